// Reads an iCalendar document on stdin the way Thunderbird's calendar does (Mozilla's ical.js)
// and prints its events as JSON: uid, summary, start and end in UTC, the time zone named.
import ICAL from "ical.js";

let text = "";
for await (const chunk of process.stdin) text += chunk;
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const recurrence = component.getFirstPropertyValue("recurrence-id");
  return {
    uid: event.uid,
    summary: event.summary,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    zone: event.startDate.zone ? event.startDate.zone.tzid : null,
    local_start: event.startDate.toString(),
    recurrence_id: recurrence ? recurrence.toJSDate().toISOString() : null,
    status: component.getFirstPropertyValue("status"),
  };
});
process.stdout.write(JSON.stringify(events));
