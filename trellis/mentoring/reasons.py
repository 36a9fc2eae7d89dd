"""Why a mentor fits a mentee, worded for whoever reads it.

The same facts read differently for each side: the mentee reads about the mentor ("knows helm:
14 answers", "in Engineering, a department you are not in yet"), the mentor reads about the
mentee ("Priya joined Design 3 weeks ago and is interested in helm", "you answered 14 questions
on helm"), and an org admin pairing two other people reads about both by name. The facts are
kept as plain data (`Why`), so a mentorship stores them once and each reader gets their own
wording later. Pure: reads nothing, writes nothing.
"""

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils.timesince import timesince

if TYPE_CHECKING:
    from trellis.people.models import Person

TOPICS_SHOWN = 3
SKILLS_SHOWN = 5


class Reader(StrEnum):
    MENTEE = "mentee"
    MENTOR = "mentor"
    ADMIN = "admin"  # an org admin (or anyone else) reading about two other people


@dataclass
class TopicFit:
    """A mentor's evidence on one topic the mentee names (only from places the mentee may see)."""

    tag: str
    answers: int
    accepted: int
    guides: int
    score: float


@dataclass
class Why:
    """The facts behind one suggestion, as they were when it was made."""

    topics: list[TopicFit] = field(default_factory=list)  # best first
    skills: list[str] = field(default_factory=list)  # the mentor's skills the mentee names
    communities: int = 0  # the mentor's communities the mentee may see
    departments_reached: int = 0  # departments among those communities' members
    capacity: int = 0
    free: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Why":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        topics = [TopicFit(**t) for t in known.pop("topics", [])]
        return cls(topics=topics, **known)


def _plural(n: int, word: str, many: str = "") -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _listed(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _evidence(topic: TopicFit) -> str:
    parts = []
    if topic.answers:
        parts.append(_plural(topic.answers, "answer"))
    if topic.accepted:
        parts.append(f"{topic.accepted} accepted")
    if topic.guides:
        parts.append(f"owns {_plural(topic.guides, 'guide')}")
    return ", ".join(parts)


def _done_on(topic: TopicFit, subject: str) -> str:
    """ "you answered 14 questions on helm (3 accepted)", with `subject` as the doer."""
    owns = "own" if subject == "you" else "owns"
    said = []
    if topic.answers:
        accepted = f" ({topic.accepted} accepted)" if topic.accepted else ""
        said.append(
            f"{subject} answered {_plural(topic.answers, 'question')} on {topic.tag}{accepted}"
        )
    if topic.guides:
        guides = _plural(topic.guides, "guide")
        on = "it" if said else topic.tag
        said.append(f"{owns} {guides} on {on}" if said else f"{subject} {owns} {guides} on {on}")
    if not said:
        return f"{subject} {'have' if subject == 'you' else 'has'} written about {topic.tag}"
    return " and ".join(said)


def _interests(why: Why) -> list[str]:
    """What the mentee named that this mentor knows, in the mentee's words where possible."""
    seen: dict[str, None] = {}
    for name in [t.tag for t in why.topics[:TOPICS_SHOWN]] + why.skills[:SKILLS_SHOWN]:
        seen.setdefault(name.lower(), None)
    return list(seen)


def _for_mentee(why: Why, mentor: "Person", mentee: "Person") -> list[str]:
    said = [f"knows {t.tag}: {_evidence(t)}" for t in why.topics[:TOPICS_SHOWN]]
    if why.skills:
        said.append("lists " + ", ".join(why.skills[:SKILLS_SHOWN]) + " among their skills")
    department = mentor.department
    if department is not None and _other_department(mentor, mentee):
        said.append(f"in {department.name}, a department you are not in yet")
    elif department is not None:
        said.append(f"in your department, {department.name}")
    if why.communities:
        people = _plural(why.departments_reached, "department")
        communities = _plural(why.communities, "community", "communities")
        said.append(f"in {communities} with people from {people}")
    if why.capacity:
        said.append(f"has room for {why.free} more mentee{'s' if why.free != 1 else ''}")
    return said


def _joined(mentee: "Person", today: date, newcomer_since: date | None) -> str:
    """ "Priya joined Design 3 weeks ago", or "Priya, in Design," for someone not new."""
    name = mentee.get_short_name()
    department = mentee.department.name if mentee.department is not None else ""
    start = mentee.start_date
    if start is not None and start <= today and (newcomer_since is None or start >= newcomer_since):
        where = department or "the organisation"
        if start == today:
            return f"{name} joined {where} today and"
        since = timesince(start, today, depth=1).replace("\xa0", " ")
        return f"{name} joined {where} {since} ago and"
    return f"{name}, in {department}," if department else name


def _for_mentor(
    why: Why, mentor: "Person", mentee: "Person", today: date, newcomer_since: date | None
) -> list[str]:
    name = mentee.get_short_name()
    lead = _joined(mentee, today, newcomer_since)
    interests = _interests(why)
    if interests:
        said = [f"{lead} is interested in {_listed(interests)}"]
    else:
        said = [lead.removesuffix(" and").rstrip(",")]
    said += [_done_on(t, "you") for t in why.topics[:TOPICS_SHOWN]]
    if why.skills:
        said.append(f"you list {_listed(why.skills[:SKILLS_SHOWN])} among your skills")
    department = mentee.department
    if department is not None and _other_department(mentor, mentee):
        said.append(f"{name} works in {department.name}, outside your department")
    elif department is not None:
        said.append(f"{name} is in your department, {department.name}")
    if why.communities:
        people = _plural(why.departments_reached, "department")
        communities = _plural(why.communities, "community", "communities")
        said.append(f"you are in {communities} with people from {people}")
    return said


def _for_admin(why: Why, mentor: "Person", mentee: "Person") -> list[str]:
    them, newcomer = mentor.get_short_name(), mentee.get_short_name()
    interests = _interests(why)
    said = [f"{newcomer} is interested in {_listed(interests)}"] if interests else []
    said += [_done_on(t, them) for t in why.topics[:TOPICS_SHOWN]]
    if why.skills:
        said.append(f"{them} lists {_listed(why.skills[:SKILLS_SHOWN])} among their skills")
    if _other_department(mentor, mentee):
        assert mentor.department is not None and mentee.department is not None
        theirs, yours = mentor.department.name, mentee.department.name
        said.append(f"{them} is in {theirs}, {newcomer} in {yours}")
    elif mentor.department is not None:
        said.append(f"both in {mentor.department.name}")
    if why.communities:
        people = _plural(why.departments_reached, "department")
        communities = _plural(why.communities, "community", "communities")
        said.append(f"{them} is in {communities} with people from {people}")
    if why.capacity:
        said.append(f"{them} has room for {why.free} more mentee{'s' if why.free != 1 else ''}")
    return said


def _other_department(mentor: "Person", mentee: "Person") -> bool:
    ours, theirs = mentor.department_id, mentee.department_id
    return bool(ours and theirs and ours != theirs)


def worded(
    why: Why,
    *,
    reader: Reader,
    mentor: "Person",
    mentee: "Person",
    today: date,
    newcomer_since: date | None = None,
) -> list[str]:
    """The reasons for this pair, one a line, for `reader`; `newcomer_since` (the first start
    date that still counts as new) decides whether the mentor reads "joined ... ago"."""
    if reader is Reader.MENTOR:
        return _for_mentor(why, mentor, mentee, today, newcomer_since)
    if reader is Reader.ADMIN:
        return _for_admin(why, mentor, mentee)
    return _for_mentee(why, mentor, mentee)
