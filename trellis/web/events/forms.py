"""The event form takes a day and local times in the event's time zone, as people plan."""

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings

from trellis.communities.models import Community
from trellis.events.models import ANSWERS, MAX_CAPACITY, Event, EventKind, Reply
from trellis.events.recurrence import EVERY_MONTH, EVERY_TWO_WEEKS, EVERY_WEEK, MAX_OCCURRENCES
from trellis.events.services import ALL, FOLLOWING, THIS, EventFields, Repeat

ORG_WIDE = ""
NO_REPEAT = ""
REPEAT_CHOICES = [
    (NO_REPEAT, "Does not repeat"),
    (EVERY_WEEK, "Every week, on the same weekday"),
    (EVERY_TWO_WEEKS, "Every two weeks, on the same weekday"),
    (EVERY_MONTH, "Every month, on the same weekday (e.g. the second Thursday)"),
]
SCOPE_CHOICES = [
    (THIS, "Only this date"),
    (FOLLOWING, "This date and the following ones"),
    (ALL, "Every date of the series not over yet"),
]


class EventForm(forms.Form):
    community = forms.ChoiceField(label="For", required=False)
    kind = forms.ChoiceField(label="Kind of event", choices=EventKind.choices)
    title = forms.CharField(max_length=200, strip=True)
    description = forms.CharField(
        required=False,
        max_length=20_000,
        label="What it's about (optional)",
        help_text="Markdown works: **bold**, lists, links.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(label="Starts", widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label="Ends", widget=forms.TimeInput(attrs={"type": "time"}))
    time_zone = forms.CharField(
        max_length=64,
        label="Time zone",
        help_text="The times above are in this zone, e.g. Europe/London.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    place = forms.CharField(
        required=False, max_length=200, label="Room or place", help_text="Or leave empty."
    )
    video_url = forms.CharField(
        required=False, max_length=500, label="Video link", help_text="Or leave empty."
    )
    capacity = forms.IntegerField(
        required=False,
        label="Places",
        help_text=f"Leave empty for no limit; at most {MAX_CAPACITY:,}. "
        "When it is full, people join a waitlist.",
    )
    repeat = forms.ChoiceField(label="Repeats", choices=REPEAT_CHOICES, required=False)
    repeat_count = forms.IntegerField(
        required=False,
        label="How many times",
        help_text=f"Including the first; at most {MAX_OCCURRENCES}.",
    )
    repeat_until = forms.DateField(
        required=False,
        label="Or until (the last date)",
        help_text="A series runs for at most two years.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self, *args: Any, communities: list[Community], org_wide: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [(c.slug, c.name) for c in communities]
        if org_wide:
            choices.insert(0, (ORG_WIDE, "The whole organisation"))
        field = self.fields["community"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.required = not org_wide
        if not self.is_bound and not self.initial.get("time_zone"):
            self.initial["time_zone"] = settings.TIME_ZONE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("repeat"):
            count, until = data.get("repeat_count"), data.get("repeat_until")
            if count is None and until is None and "repeat_count" not in self.errors:
                self.add_error(
                    "repeat_count",
                    "Say when the series ends: how many times, or the last day. "
                    "A series that never ends can't be planned.",
                )
            elif count is not None and until is not None:
                self.add_error("repeat_until", "Give how many times or the last day, not both.")
        return data

    def repeat_choice(self) -> Repeat | None:
        data = self.cleaned_data
        if not data.get("repeat"):
            return None
        return Repeat(
            every=data["repeat"], count=data.get("repeat_count"), until=data.get("repeat_until")
        )

    def without_repeat(self, *, in_series: bool) -> None:
        """An event already made keeps how it repeats; an occurrence's edit says whether it
        is for this date only or for the series."""
        for name in ("repeat", "repeat_count", "repeat_until"):
            del self.fields[name]
        if in_series:
            self.fields["scope"] = scope_field("Apply the change to")

    def event_fields(self) -> EventFields:
        data = self.cleaned_data
        return EventFields(
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            starts_at=datetime.combine(data["day"], data["starts"]),
            ends_at=datetime.combine(data["day"], data["ends"]),
            time_zone=data["time_zone"].strip(),
            place=data["place"],
            video_url=data["video_url"],
            capacity=data["capacity"],
        )

    @staticmethod
    def initial_for(event: Event) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(event.time_zone)
        starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        return {
            "community": event.community.slug if event.community else ORG_WIDE,
            "kind": event.kind,
            "title": event.title,
            "description": event.description,
            "day": starts.date(),
            "starts": starts.strftime("%H:%M"),
            "ends": ends.strftime("%H:%M"),
            "time_zone": event.time_zone,
            "place": event.place,
            "video_url": event.video_url,
            "capacity": event.capacity,
        }


def scope_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=SCOPE_CHOICES, initial=THIS, widget=forms.RadioSelect
    )


class ScopeForm(forms.Form):
    scope = scope_field("Cancel")


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=[(a.value, a.label) for a in map(Reply, ANSWERS)])


class FeedForm(forms.Form):
    community = forms.CharField(required=False, max_length=140)
