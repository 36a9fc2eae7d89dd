"""Who could mentor whom, and why; each person's own mentorships.

A mentee's suggestions rank the people who may mentor today by
- topic fit: the mentee's title, skills and interests against the mentors' demonstrated
  knowledge (`TopicEvidence` per tag, only from the scopes *the mentee* may see, so what a
  mentor did in a private community never counts or shows for someone outside it) and the
  skills the mentors list on their profile;
- cross-department reach: a mentor in another department than the mentee's, and one whose
  communities (again only those the mentee may see) bring together people of many departments;
- room: mentors with more free places rank a little higher (load is spread).
Nobody without topic fit is suggested. Nobody who opted out of being asked or is away, who closed
their mentor offer or has no free place, who is a newcomer themselves, inactive, or who already
has an open (or a declined) mentorship with the mentee is suggested.
"""

import functools
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from trellis.communities.models import Membership
from trellis.core import access
from trellis.core.models import Tag
from trellis.expertise.models import Availability, TopicEvidence
from trellis.mentoring.models import (
    DEFAULT_CAPACITY,
    OPEN_STATUSES,
    MentorOffer,
    Mentorship,
    MentorshipStatus,
)
from trellis.mentoring.reasons import Reader, TopicFit, Why, worded
from trellis.people.models import Person

SKILL_WEIGHT = 0.7  # a listed skill the mentee names, against log1p of decayed evidence
CROSS_WEIGHT = 0.5  # a mentor in another department
REACH_WEIGHT = 0.5  # communities spanning REACH_FULL departments or more
REACH_FULL = 5
ROOM_WEIGHT = 0.25  # all places free
MAX_BONUS = CROSS_WEIGHT + REACH_WEIGHT + ROOM_WEIGHT  # what a score adds to topic fit at most
MAX_TERMS = 40
MAX_CANDIDATES = 200  # by topic fit, before reach and room are looked at
STATE_BATCH = 200  # candidates whose state (room, availability) is read at once, best fit first
MAX_OPEN_AS_MENTEE = 3  # open requests a mentee may have at once

GENERIC_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "in",
        "on",
        "at",
        "to",
        "with",
        "new",
        "senior",
        "junior",
        "lead",
        "staff",
        "principal",
        "head",
        "chief",
        "associate",
        "assistant",
        "intern",
        "trainee",
        "engineer",
        "engineering",
        "manager",
        "management",
        "specialist",
        "director",
        "officer",
        "analyst",
        "consultant",
        "team",
        "member",
        "i",
        "ii",
        "iii",
        "iv",
    ]
)
WORD = re.compile(r"[\w][\w.+#-]*")


def newcomer_days() -> int:
    return int(settings.TRELLIS_NEWCOMER_DAYS)


def newcomer_since(today: date | None = None) -> date:
    return (today or timezone.localdate()) - timedelta(days=newcomer_days())


def is_newcomer(person: Person, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    start = person.start_date
    return start is not None and newcomer_since(today) <= start <= today


def newcomers(today: date | None = None) -> QuerySet[Person]:
    """Everyone active whose start date falls within the newcomer window (none in the future)."""
    today = today or timezone.localdate()
    return Person.objects.filter(
        is_active=True, start_date__gte=newcomer_since(today), start_date__lte=today
    )


def _normal(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower())[:50]


@functools.lru_cache(maxsize=8192)  # people list the same skills: each is read once
def _skill_terms(skill: str) -> frozenset[str]:
    words = {w.strip(".-") for w in WORD.findall(skill.lower())}
    return frozenset(({_normal(skill)} | words) - GENERIC_WORDS - {""})


def mentee_terms(person: Person) -> set[str]:
    """What a mentee's profile says they work on: each skill and interest as a whole (as a
    tag would spell it: "incident response" -> "incident-response") and its words, and the
    telling words of their title ("Site reliability engineer" -> site, reliability)."""
    terms: dict[str, None] = {}
    phrases = [str(s) for s in [*(person.skills or []), *(person.interests or [])] if str(s)]
    for phrase in phrases:
        terms[_normal(phrase)] = None
    for text in [*phrases, person.title]:
        for word in WORD.findall(text.lower()):
            word = word.strip(".-")
            if len(word) >= 2 and word not in GENERIC_WORDS:
                terms[word] = None
    return set(list(terms)[:MAX_TERMS]) - {""}


@dataclass
class Suggestion:
    mentor: Person
    mentee: Person  # whom the mentor is suggested for
    score: float = 0.0
    topics: list[TopicFit] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)  # the mentor's skills the mentee names
    other_department: bool = False
    communities: int = 0  # the mentor's communities the mentee may see
    departments_reached: int = 0  # departments among those communities' members
    capacity: int = 0
    free: int = 0

    @property
    def topic_fit(self) -> float:
        return math.log1p(sum(t.score for t in self.topics)) + SKILL_WEIGHT * len(self.skills)

    @property
    def why(self) -> Why:
        return Why(
            topics=self.topics,
            skills=self.skills,
            communities=self.communities,
            departments_reached=self.departments_reached,
            capacity=self.capacity,
            free=self.free,
        )

    def reasons_for(self, reader: Reader) -> list[str]:
        """Why this mentor, worded for the mentee, the mentor or an org admin."""
        today = timezone.localdate()
        return worded(
            self.why,
            reader=reader,
            mentor=self.mentor,
            mentee=self.mentee,
            today=today,
            newcomer_since=newcomer_since(today),
        )

    @property
    def reasons(self) -> list[str]:
        """For the mentee, who reads about the mentor."""
        return self.reasons_for(Reader.MENTEE)

    @property
    def reasons_for_admin(self) -> list[str]:
        return self.reasons_for(Reader.ADMIN)


@dataclass
class MentorState:
    """What decides whether someone may mentor today, and how much room they have."""

    person: Person
    capacity: int
    taken: int
    problem: str | None  # why they cannot take a mentee now, or None

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


def offer_of(person: Person) -> MentorOffer:
    """Stored, or the defaults (open for two mentees until the person says otherwise)."""
    return MentorOffer.objects.filter(person=person).first() or MentorOffer(person=person)


def open_count(mentor_ids: set[int]) -> dict[int, int]:
    rows = (
        Mentorship.objects.filter(mentor_id__in=mentor_ids, status__in=OPEN_STATUSES)
        .values("mentor_id")
        .annotate(n=Count("pk"))
    )
    return {r["mentor_id"]: r["n"] for r in rows}


MENTOR_FIELDS = ("name", "email", "title", "department", "start_date", "is_active")


def mentor_states(person_ids: set[int], today: date | None = None) -> dict[int, MentorState]:
    """For each of these people (those who exist), whether they may take a mentee today."""
    today = today or timezone.localdate()
    # What a suggestion shows of a mentor and what decides their state; not the whole row
    # (bio, skills, interests) of hundreds of people.
    people = (
        Person.objects.filter(pk__in=person_ids)
        .select_related("department")
        .only(*MENTOR_FIELDS, "department__name", "department__slug")
    )
    # Plain values, not MentorOffer rows: a cohort asks about hundreds of people at once.
    offers = {
        pk: (is_open, capacity)
        for pk, is_open, capacity in MentorOffer.objects.filter(
            person_id__in=person_ids
        ).values_list("person_id", "open", "capacity")
    }
    away = {
        a.person_id: a
        for a in Availability.objects.filter(person_id__in=person_ids)
        if not a.can_be_asked_on(today)
    }
    taken = open_count(person_ids)
    states = {}
    for person in people:
        is_open, capacity = offers.get(person.pk, (True, DEFAULT_CAPACITY))
        used = taken.get(person.pk, 0)
        problem = None
        if not person.is_active:
            problem = f"{person.name} cannot sign in to Trellis."
        elif is_newcomer(person, today):
            problem = f"{person.name} is a newcomer too."
        elif person.pk in away:
            problem = f"{person.name} is away or prefers not to be asked at the moment."
        elif not is_open or capacity == 0:
            problem = f"{person.name} is not mentoring at the moment."
        elif used >= capacity:
            problem = f"{person.name} has no room left ({used} of {capacity} places taken)."
        states[person.pk] = MentorState(person, capacity, used, problem)
    return states


@dataclass
class MenteeFacts:
    """What ranking and explaining need to know about one mentee: the terms of their profile,
    the evidence of the topics they name (only from scopes they may see), who lists those
    topics among their skills, the communities they may see, and the mentors they already
    have an open (or a declined) mentorship with."""

    mentee_id: int
    terms: set[str]
    evidence: dict[int, list[TopicFit]]
    skills: dict[int, list[str]]
    visible: access.SearchScope
    closed: set[int]
    by_fit: list[int] | None = None  # candidates, best topic fit first (worked out once)


SKILL_PREFILTER_TOKENS = 100  # more tokens than this: read every listed skill, no LIKE prefilter


def _skill_holders(terms: set[str]) -> dict[int, list[tuple[str, frozenset[str]]]]:
    """People who list one of the terms among their skills (the skill as a whole, or one of its
    words), with each of their skills and its terms: one query, however many terms."""
    if not terms:
        return {}
    people = Person.objects.filter(is_active=True)
    tokens = sorted({t.split("-")[0] for t in terms if t.split("-")[0]})
    if len(tokens) <= SKILL_PREFILTER_TOKENS:  # else one plain read beats a huge OR of LIKEs
        prefilter = Q()
        for token in tokens:
            prefilter |= Q(skills__icontains=token)
            escaped = json.dumps(token)[1:-1]  # SQLite keeps JSON text ASCII (\u00e9)
            if escaped != token:
                prefilter |= Q(skills__icontains=escaped)
        people = people.filter(prefilter)
    found: dict[int, list[tuple[str, frozenset[str]]]] = {}
    for pk, skills in people.values_list("pk", "skills"):
        listed = [(str(s), _skill_terms(str(s))) for s in (skills or [])]
        if any(named & terms for _, named in listed):
            found[pk] = listed
    return found


class Ranker:
    """Ranks mentors for mentees. One ranker serves a whole cohort: what does not depend on
    the mentee (mentors' states, their communities' departments) is read once, and what does
    (`MenteeFacts`) is read for all the cohort's mentees at once by `prepare`, so a cohort costs
    a handful of queries plus one per mentee (the communities they may see), not a skills scan
    and an evidence query per mentee."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today or timezone.localdate()
        self._states: dict[int, MentorState | None] = {}
        self._communities: dict[int, list[int]] = {}  # mentor -> active communities
        self._departments: dict[int, set[int]] = {}  # community -> members' departments
        self._facts: dict[int, MenteeFacts] = {}  # mentee -> what ranking needs of them
        self._reaches: dict[tuple[int, access.SearchScope], tuple[int, int]] = {}

    def states(self, ids: set[int]) -> dict[int, MentorState]:
        unknown = ids - set(self._states)
        if unknown:
            found = mentor_states(unknown, self.today)
            for pk in unknown:
                self._states[pk] = found.get(pk)
        return {pk: s for pk in ids if (s := self._states[pk]) is not None}

    def take(self, mentor_id: int) -> None:
        """One more of this mentor's places is spoken for (a cohort being planned)."""
        state = self._states.get(mentor_id)
        if state is not None:
            state.taken += 1

    def _load_communities(self, mentor_ids: set[int]) -> None:
        unknown = mentor_ids - set(self._communities)
        if not unknown:
            return
        for pk in unknown:
            self._communities[pk] = []
        rows = Membership.objects.filter(person_id__in=unknown, left_at__isnull=True)
        for person_id, community_id in rows.values_list("person_id", "community_id"):
            self._communities[person_id].append(community_id)
        needed = {c for pk in unknown for c in self._communities[pk]} - set(self._departments)
        for community_id in needed:
            self._departments[community_id] = set()
        if needed:
            spread = (
                Membership.objects.filter(
                    community_id__in=needed, left_at__isnull=True, person__department__isnull=False
                )
                .values_list("community_id", "person__department_id")
                .distinct()
            )
            for community_id, department_id in spread:
                self._departments[community_id].add(department_id)

    def prepare(self, mentees: Iterable[Person], *, mentors: set[int] | None = None) -> None:
        """Read the facts of all these mentees at once (those not read yet), and the states and
        communities of the given mentors (by default: of everyone who could mentor one of
        them and has room)."""
        todo = {m.pk: m for m in mentees if m.pk not in self._facts}
        if mentors is not None:
            self.states(mentors)
            self._load_communities(mentors)
        if not todo:
            return
        terms = {pk: mentee_terms(m) for pk, m in todo.items()}
        everything = set().union(*terms.values())
        # The one read that depends on who looks; evidence is filtered with it below
        # (`SearchScope.covers`: org-wide rows, or a community they may see).
        visible = access.search_scopes(list(todo.values()))
        signed_in = {pk for pk, m in todo.items() if access.is_signed_in(m)}
        tags = (
            dict(Tag.objects.filter(name__in=everything).values_list("pk", "name"))
            if everything
            else {}
        )
        rows: list[tuple[Any, ...]] = []  # person, tag, community, answers, accepted, guides, score
        if tags and signed_in:
            scope = Q(tag_id__in=tags)
            if not any(access.is_org_admin(todo[pk]) for pk in signed_in):
                seen = set().union(*(visible[pk].community_ids for pk in signed_in))
                scope &= Q(community__isnull=True) | Q(community_id__in=sorted(seen))
            rows = list(
                TopicEvidence.objects.filter(scope)
                .values("person_id", "tag_id", "community_id")
                .annotate(s=Sum("score"), a=Sum("answers"), c=Sum("accepted"), g=Sum("guides"))
                .order_by("person_id", "tag_id", "community_id")
                .values_list("person_id", "tag_id", "community_id", "a", "c", "g", "s")
            )
        # Indexed by term, so each mentee looks only at what their own terms found.
        by_tag: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            by_tag[tags[row[1]]].append(row)
        holders = _skill_holders(everything)
        by_term: dict[str, list[tuple[int, int]]] = defaultdict(list)  # -> (holder, position)
        for holder, listed in holders.items():
            for position, (_, words) in enumerate(listed):
                for word in words & everything:
                    by_term[word].append((holder, position))
        closed: dict[int, set[int]] = defaultdict(set)
        pairs = Mentorship.objects.filter(mentee_id__in=todo).filter(
            Q(status__in=OPEN_STATUSES) | Q(status=MentorshipStatus.DECLINED)
        )
        for mentee_id, mentor_id in pairs.values_list("mentee_id", "mentor_id"):
            closed[mentee_id].add(mentor_id)
        for pk in todo:
            mine, sees = terms[pk], visible[pk]
            sums: dict[tuple[int, int], list[float]] = {}
            found = [row for term in mine for row in by_tag.get(term, [])]
            for person_id, tag_id, community_id, *counts in found if pk in signed_in else []:
                if not sees.covers(community_id):
                    continue
                total = sums.setdefault((person_id, tag_id), [0, 0, 0, 0.0])
                for i, count in enumerate(counts):
                    total[i] += count
            evidence: dict[int, list[TopicFit]] = defaultdict(list)
            for (person_id, tag_id), (a, c, g, s) in sums.items():
                evidence[person_id].append(TopicFit(tags[tag_id], int(a), int(c), int(g), float(s)))
            skills: dict[int, list[str]] = defaultdict(list)
            hits = {hit for term in mine for hit in by_term.get(term, [])}
            for holder, position in sorted(hits):  # each holder's skills in their own order
                skills[holder].append(holders[holder][position][0])
            self._facts[pk] = MenteeFacts(pk, mine, dict(evidence), dict(skills), sees, closed[pk])
        if mentors is None:  # each mentee's best fits at once; rank reads more if need be
            best = set().union(*(self._by_fit(self._facts[pk])[:STATE_BATCH] for pk in todo))
            states = self.states(best)
            self._load_communities({pk for pk, s in states.items() if s.problem is None and s.free})

    @staticmethod
    def _candidates(mentee_id: int, facts: MenteeFacts) -> set[int]:
        return (set(facts.evidence) | set(facts.skills)) - {mentee_id} - facts.closed

    def facts(self, mentee: Person) -> MenteeFacts:
        if mentee.pk not in self._facts:
            self.prepare([mentee], mentors=set())  # rank and explain read the mentors they need
        return self._facts[mentee.pk]

    def _reach(self, mentor_id: int, visible: access.SearchScope) -> tuple[int, int]:
        """The mentor's communities within `visible`, and the departments among their
        members: the same for every mentee who sees the same communities, so kept."""
        key = (mentor_id, visible)
        if key not in self._reaches:
            shown = [c for c in self._communities.get(mentor_id, []) if visible.covers(c)]
            departments = set().union(*(self._departments[c] for c in shown))
            self._reaches[key] = (len(shown), len(departments))
        return self._reaches[key]

    def explain(self, mentee: Person, mentor: Person) -> Suggestion:
        """Why this mentor for this mentee (whether or not they fit at all)."""
        facts = self.facts(mentee)
        if mentor.pk not in self._communities:
            self._load_communities({mentor.pk})
        if mentor.pk not in self._states:
            self.states({mentor.pk})
        state = self._states[mentor.pk]
        topics = sorted(
            facts.evidence.get(mentor.pk, []), key=lambda t: (-t.score, -t.answers, t.tag)
        )
        suggestion = Suggestion(
            mentor=mentor, mentee=mentee, topics=topics, skills=facts.skills.get(mentor.pk, [])
        )
        suggestion.other_department = bool(
            mentor.department_id
            and mentee.department_id
            and mentor.department_id != mentee.department_id
        )
        suggestion.communities, suggestion.departments_reached = self._reach(
            mentor.pk, facts.visible
        )
        if state is not None:
            suggestion.capacity, suggestion.free = state.capacity, state.free
        reach = min(suggestion.departments_reached, REACH_FULL) / REACH_FULL
        room = suggestion.free / suggestion.capacity if suggestion.capacity else 0.0
        suggestion.score = (
            suggestion.topic_fit
            + CROSS_WEIGHT * suggestion.other_department
            + REACH_WEIGHT * reach
            + ROOM_WEIGHT * room
        )
        return suggestion

    @staticmethod
    def _fit(facts: MenteeFacts, mentor_id: int) -> float:
        """`Suggestion.topic_fit` before the suggestion is made."""
        topics = facts.evidence.get(mentor_id, [])
        return math.log1p(sum(t.score for t in topics)) + SKILL_WEIGHT * len(
            facts.skills.get(mentor_id, [])
        )

    def _by_fit(self, facts: MenteeFacts) -> list[int]:
        """The mentee's possible mentors, best topic fit first (None of them read yet)."""
        if facts.by_fit is None:
            fit = {pk: self._fit(facts, pk) for pk in self._candidates(facts.mentee_id, facts)}
            facts.by_fit = sorted((pk for pk in fit if fit[pk] > 0), key=lambda pk: (-fit[pk], pk))
        return facts.by_fit

    def _worth_explaining(
        self, mentee: Person, facts: MenteeFacts, chosen: list[MentorState], limit: int
    ) -> list[MentorState]:
        """Of these mentors, those who may still make the top `limit`: everything of a score
        but the reach is known without explaining, and the reach adds at most REACH_WEIGHT."""
        if len(chosen) <= limit:
            return chosen

        def known(state: MentorState) -> float:
            person = state.person
            other = bool(
                person.department_id
                and mentee.department_id
                and person.department_id != mentee.department_id
            )
            room = state.free / state.capacity if state.capacity else 0.0
            return self._fit(facts, person.pk) + CROSS_WEIGHT * other + ROOM_WEIGHT * room

        scores = {state.person.pk: known(state) for state in chosen}
        bar = sorted(scores.values(), reverse=True)[limit - 1] - REACH_WEIGHT - 1e-9
        return [state for state in chosen if scores[state.person.pk] >= bar]

    def rank(self, mentee: Person, limit: int = 10) -> list[Suggestion]:
        """The `limit` best mentors for the mentee. Candidates are walked best topic fit first
        and only as far as needed: a score is the topic fit plus at most MAX_BONUS (department,
        reach, room), so once `limit` mentors who may take a mentee are found, whoever fits
        more than MAX_BONUS worse than the last of them cannot make the list. At 50,000 people
        nearly everyone knows something a cohort names; reading them all took seconds."""
        facts = self.facts(mentee)
        order = self._by_fit(facts)
        chosen: list[MentorState] = []
        floor = -math.inf
        for start in range(0, len(order), STATE_BATCH):
            batch = order[start : start + STATE_BATCH]
            batch = [pk for pk in batch if self._fit(facts, pk) >= floor]
            states = self.states(set(batch))
            for pk in batch:
                state = states.get(pk)
                if state is None or state.problem is not None or state.free <= 0:
                    continue
                chosen.append(state)
                if len(chosen) == limit:
                    # Sums in another order may differ a hair: keep ties.
                    floor = self._fit(facts, pk) - MAX_BONUS - 1e-9
            if len(chosen) >= MAX_CANDIDATES or len(batch) < STATE_BATCH:
                break
        chosen = self._worth_explaining(mentee, facts, chosen[:MAX_CANDIDATES], limit)
        self._load_communities({state.person.pk for state in chosen})
        found = [self.explain(mentee, state.person) for state in chosen]
        found = [s for s in found if s.topic_fit > 0]
        return sorted(found, key=lambda s: (-s.score, s.mentor.name, s.mentor.pk))[:limit]


def suggestions(*, viewer: access.Viewer, limit: int = 10) -> list[Suggestion]:
    """Mentors for the viewer themselves, best first."""
    if not access.is_signed_in(viewer) or not isinstance(viewer, Person):
        return []
    return Ranker().rank(viewer, limit=limit)


def mentorships_of(*, viewer: access.Viewer, status: str = "") -> QuerySet[Mentorship]:
    """The viewer's own mentorships, as mentor and as mentee, newest first."""
    if not access.is_signed_in(viewer):
        return Mentorship.objects.none()
    me = access.viewer_id(viewer)
    found = Mentorship.objects.filter(Q(mentor_id=me) | Q(mentee_id=me))
    if status:
        found = found.filter(status=status)
    return found.select_related("mentor__department", "mentee__department", "proposed_by").order_by(
        "-created_at", "-pk"
    )


@dataclass(frozen=True)
class MentorshipSeen:
    """One of the viewer's mentorships, with their part in it: which side they are and who
    proposed or declined it are wording ("You mentor...", "Withdraw"); `can_accept` is the
    rule (`access.can_accept_mentorship`)."""

    mentorship: Mentorship
    viewer_is_mentor: bool
    viewer_is_mentee: bool
    proposed_by_viewer: bool
    declined_by_viewer: bool
    can_accept: bool
    reasons: list[str]  # why this pair, worded for the viewer's side


def reader_of(viewer: access.Viewer, mentorship: Mentorship) -> Reader:
    """Which side's wording the viewer reads: their own side, or an onlooker's."""
    if access.is_self(viewer, mentorship.mentor_id):
        return Reader.MENTOR
    if access.is_self(viewer, mentorship.mentee_id):
        return Reader.MENTEE
    return Reader.ADMIN


def mentorships_seen(*, viewer: access.Viewer) -> list[MentorshipSeen]:
    """`mentorships_of`, each with the viewer's part in it, for the mentorships page."""
    today = timezone.localdate()
    since = newcomer_since(today)
    return [
        MentorshipSeen(
            mentorship=m,
            viewer_is_mentor=access.is_self(viewer, m.mentor_id),
            viewer_is_mentee=access.is_self(viewer, m.mentee_id),
            proposed_by_viewer=access.is_self(viewer, m.proposed_by_id),
            declined_by_viewer=access.is_self(viewer, m.declined_by_id),
            can_accept=access.can_accept_mentorship(viewer, m),
            reasons=m.reasons_for(reader_of(viewer, m), today=today, newcomer_since=since),
        )
        for m in mentorships_of(viewer=viewer)
    ]


def open_as_mentee(person: Person) -> int:
    return Mentorship.objects.filter(mentee=person, status__in=OPEN_STATUSES).count()
