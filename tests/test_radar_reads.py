"""The radar's facts read from the database (`radar.reads.radar_facts`): a small organisation
built by hand over three months, every figure worked out by hand below, and the number of
queries, which does not grow with the communities or the months.

The organisation's time zone is Paris (an hour ahead of UTC in winter), so an answer written
at 23:30 UTC on 31 January belongs to February. "Now" is 20 March at noon: March is read up
to then, and what comes after (an answer, an event, a sponsorship) is left out.

Alpha (public, guides checked every 90 days):
  lea leads it (since December); max joined in January; leo joined in November and left on
  15 February; rita joined in February and only reads; zoe joined in March. sam sponsors it.
Beta (private, every 30 days):
  ben led it and stepped down to member on 20 February, when nia (a member since January) was
  made leader; ivy sponsored it and was deactivated on 10 February; ghost is known only from
  an import (no account) and never counts.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from trellis.agendas.models import Agenda, AgendaItem, ItemSource, Proposal
from trellis.communities.models import Community, Membership, Role, Sponsorship, Visibility
from trellis.core.models import Activity
from trellis.events.models import Event, EventKind, Reply, Rsvp
from trellis.expertise.models import Availability, RoutingDecision, RoutingStage
from trellis.insights import counts, health_reads
from trellis.insights.models import MonthlyFlow, MonthlyLevel
from trellis.library.models import Resource, ResourceKind, ResourceVersion
from trellis.people.models import Person
from trellis.qa.models import Comment, Post, PostKind
from trellis.radar.facts import MonthFacts, SponsorMonth
from trellis.radar.reads import radar_facts
from trellis.reports.models import ReportOpen
from trellis.stories.models import Cycle, Source, Story

PARIS = ZoneInfo("Europe/Paris")
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
MONTHS = [JAN, FEB, MAR]
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=PARIS)


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@dataclass
class Org:
    alpha: Community
    beta: Community
    people: dict[str, Person]

    def __getitem__(self, name: str) -> int:
        return self.people[name].pk


class _Writer:
    """Rows as the services leave them: a post and its activity row, or an imported post."""

    def __init__(self) -> None:
        self.numbers = count(1)

    def log(
        self,
        person: Person,
        verb: str,
        community: Community,
        when: datetime,
        obj: Post | Resource | Membership | None = None,
    ) -> None:
        Activity.objects.create(
            actor=person,
            verb=verb,
            object_type=obj._meta.model_name or "" if obj is not None else "",
            object_id=obj.pk if obj is not None else None,
            community=community,
            created_at=when,
        )

    def ask(self, person: Person, community: Community, when: datetime) -> Post:
        question = Post.objects.create(
            kind=PostKind.QUESTION,
            community=community,
            author=person,
            title=f"Question {next(self.numbers)}",
            body="How?",
            created_at=when,
        )
        self.log(person, "question.ask", community, when, question)
        return question

    def answer(self, person: Person, question: Post, when: datetime) -> Post:
        assert question.community is not None
        answer = Post.objects.create(
            kind=PostKind.ANSWER,
            community=question.community,
            question=question,
            author=person,
            body="Like this.",
            created_at=when,
        )
        self.log(person, "answer.post", question.community, when, answer)
        return answer

    def resource(
        self,
        person: Person,
        community: Community,
        created: datetime,
        *,
        log: bool = True,
        **fields: object,
    ) -> Resource:
        values: dict[str, object] = {"verified_at": created, "verify_by": created}
        values.update(fields)
        resource = Resource.objects.create(
            community=community,
            kind=ResourceKind.GUIDE,
            title=f"Guide {next(self.numbers)}",
            created_by=person,
            created_at=created,
            **values,
        )
        if log:
            self.log(person, "resource.create", community, created, resource)
        return resource


def _event(
    community: Community,
    start: datetime,
    facilitator: Person | None,
    *,
    cancelled: bool = False,
    attended: dict[Person, bool] | None = None,
) -> Event:
    event = Event.objects.create(
        community=community,
        kind=EventKind.CIRCLE,
        title="Circle",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        time_zone="Europe/Paris",
        facilitator=facilitator,
        cancelled_at=start - timedelta(days=1) if cancelled else None,
    )
    for person, there in (attended or {}).items():
        Rsvp.objects.create(event=event, person=person, reply=Reply.GOING, attended=there)
    return event


def _items(event: Event, *items: tuple[str, Person | None, bool]) -> Agenda:
    """An agenda with items (source, proposer, removed)."""
    agenda = Agenda.objects.create(event=event)
    for position, (source, proposer, removed) in enumerate(items):
        proposal = (
            Proposal.objects.create(event=event, title="Topic", proposed_by=proposer)
            if source == ItemSource.PROPOSAL
            else None
        )
        AgendaItem.objects.create(
            agenda=agenda,
            position=position,
            source=source,
            title="Item",
            proposal=proposal,
            removed_at=event.starts_at if removed else None,
        )
    return agenda


@pytest.fixture
def org(db: None, settings: Settings) -> Org:
    settings.TIME_ZONE = "Europe/Paris"
    names = ("lea", "max", "rita", "leo", "zoe", "sam", "ben", "nia", "ivy", "ghost")
    people = {
        name: Person.objects.create_user(f"{name}@example.com", None, name=name.title())
        for name in names
    }
    Person.objects.filter(pk=people["ivy"].pk).update(
        is_active=False, deactivated_at=at(2026, 2, 10)
    )
    Person.objects.filter(pk=people["ghost"].pk).update(is_active=False)
    lea, max_, rita, leo, zoe, sam, ben, nia, ivy, ghost = (people[n] for n in names)
    alpha = Community.objects.create(name="Alpha", slug="alpha", domain="Alpha")
    beta = Community.objects.create(
        name="Beta",
        slug="beta",
        domain="Beta",
        visibility=Visibility.PRIVATE,
        verification_interval_days=30,
    )
    w = _Writer()

    # Memberships and sponsors.
    Membership.objects.create(
        community=alpha, person=lea, role=Role.LEADER, joined_at=at(2025, 12, 1)
    )
    Membership.objects.create(community=alpha, person=max_, joined_at=at(2026, 1, 10))
    Membership.objects.create(
        community=alpha, person=leo, joined_at=at(2025, 11, 1), left_at=at(2026, 2, 15)
    )
    Membership.objects.create(community=alpha, person=rita, joined_at=at(2026, 2, 5))
    Membership.objects.create(community=alpha, person=zoe, joined_at=at(2026, 3, 5))
    bens = Membership.objects.create(community=beta, person=ben, joined_at=at(2025, 10, 1))
    nias = Membership.objects.create(
        community=beta, person=nia, role=Role.LEADER, joined_at=at(2026, 1, 15)
    )
    Membership.objects.create(community=beta, person=ivy, joined_at=at(2025, 11, 1))
    Membership.objects.create(community=beta, person=ghost, joined_at=at(2026, 1, 5))
    w.log(nia, "membership.role.leader", beta, at(2026, 2, 20), nias)
    w.log(nia, "membership.role.member", beta, at(2026, 2, 20, 13), bens)
    Sponsorship.objects.create(community=alpha, person=sam, since=at(2025, 12, 1))
    Sponsorship.objects.create(community=alpha, person=zoe, since=at(2026, 3, 25))  # after now
    Sponsorship.objects.create(community=beta, person=ivy, since=at(2025, 11, 1))

    # Alpha's questions, answers and the rest of its log.
    w.ask(lea, alpha, at(2025, 12, 10))  # lea's first contribution, before the months read
    q1 = w.ask(lea, alpha, at(2026, 1, 5))
    w.log(lea, "post.vote", alpha, at(2026, 1, 6), q1)
    w.log(leo, "post.view", alpha, at(2026, 1, 20), q1)
    a1 = w.answer(max_, q1, datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC")))  # February
    w.log(leo, "post.view", alpha, at(2026, 2, 2), q1)
    w.log(lea, "post.edit", alpha, at(2026, 2, 3), a1)  # max's answer: moderation
    w.log(lea, "post.edit", alpha, at(2026, 2, 4), q1)  # her own question: not
    w.log(rita, "community.view", alpha, at(2026, 2, 10))
    w.log(rita, "post.view", alpha, at(2026, 2, 11), q1)
    q2 = w.ask(max_, alpha, at(2026, 2, 12))
    w.log(lea, "question.close", alpha, at(2026, 2, 13), q2)  # max's question: moderation
    q3 = w.ask(max_, alpha, at(2026, 2, 14))
    w.log(max_, "question.close", alpha, at(2026, 2, 14, 13), q3)  # his own: not
    w.ask(max_, alpha, at(2026, 2, 20))  # after the February event he attended: an output
    w.answer(max_, q3, at(2026, 3, 1))  # too long after it
    w.log(lea, "post.view", alpha, at(2026, 3, 2), q1)
    w.log(rita, "post.view", alpha, at(2026, 3, 3), q1)
    w.log(lea, "duplicates.merge", alpha, at(2026, 3, 5))
    w.log(max_, "question.reopen", alpha, at(2026, 3, 6), q2)
    q5 = w.ask(zoe, alpha, at(2026, 3, 12))  # after the March event she attended: an output
    w.answer(max_, q5, at(2026, 3, 13))
    Comment.objects.create(  # imported: no activity row, still a contribution and a write
        post=q5,
        author=lea,
        body="See the guide",
        body_html="<p>See the guide</p>",
        created_at=at(2026, 3, 14),
        source="stackexchange:test",
        source_id="c1",
    )
    w.answer(max_, q2, at(2026, 3, 21))  # after now
    # Beta's.
    w.log(ben, "comment.add", beta, at(2026, 1, 8))
    w.ask(max_, beta, at(2026, 2, 21))  # an attendee of Alpha's event, but in Beta

    # Events: one held in February, one cancelled, one held in March, one still to come.
    february = _event(
        alpha, at(2026, 2, 18, 18), lea, attended={max_: True, rita: True, sam: True, leo: False}
    )
    cancelled = _event(
        alpha, at(2026, 2, 25, 18), lea, cancelled=True, attended={max_: True, sam: True}
    )
    march = _event(alpha, at(2026, 3, 10, 18), max_, attended={rita: True, zoe: True})
    _event(alpha, at(2026, 3, 25, 18), lea)
    notes = w.resource(lea, alpha, at(2026, 2, 19), verify_by=at(2026, 5, 20))
    agenda = _items(
        february,
        (ItemSource.PROPOSAL, rita, False),  # from a member
        (ItemSource.PROPOSAL, lea, False),  # from the leader
        (ItemSource.QUESTION, None, False),
        (ItemSource.PROPOSAL, max_, True),  # removed
    )
    Agenda.objects.filter(pk=agenda.pk).update(notes_resource=notes)
    _items(cancelled, (ItemSource.PROPOSAL, rita, False))
    _items(march, (ItemSource.CUSTOM, None, False))
    w.resource(sam, alpha, at(2026, 2, 22), verify_by=at(2026, 5, 23))  # an output

    # The library.
    old = w.resource(
        lea, alpha, at(2025, 9, 1), log=False, verified_at=at(2026, 3, 1), verify_by=at(2026, 5, 30)
    )
    w.log(lea, "resource.verify", alpha, at(2026, 3, 1), old)
    w.resource(lea, alpha, at(2025, 12, 1), log=False, verify_by=at(2026, 3, 1), canonical=old)
    w.resource(
        lea,
        alpha,
        at(2025, 12, 1),
        log=False,
        verify_by=at(2026, 3, 1),
        obsolete_at=at(2026, 2, 10),
    )
    checked = w.resource(
        ben, beta, at(2025, 12, 1), log=False, verified_at=at(2026, 3, 5), verify_by=at(2026, 4, 4)
    )
    ResourceVersion.objects.create(
        resource=checked, number=1, kind=checked.kind, title="v1", created_at=at(2025, 12, 1)
    )
    w.log(ben, "resource.verify", beta, at(2026, 1, 20), checked)
    ResourceVersion.objects.create(
        resource=checked, number=2, kind=checked.kind, title="v2", created_at=at(2026, 3, 5)
    )

    # Routing: lea routed three questions within a week in February (her cap is the default
    # 3), nia two within a week in March (her cap is 2); max many, but he leads nothing.
    Availability.objects.create(person=nia, weekly_cap=2)
    for person, moments in (
        (lea, [at(2026, 1, 28), at(2026, 2, 2), at(2026, 2, 3)]),
        (nia, [at(2026, 2, 26), at(2026, 3, 2), at(2026, 3, 5)]),
        (max_, [at(2026, 1, day) for day in (10, 11, 12, 13)]),
    ):
        for moment in moments:
            question = Post.objects.create(  # outside any community
                kind=PostKind.QUESTION, title="Routed", body="?", created_at=moment
            )
            RoutingDecision.objects.create(
                question=question,
                person=person,
                community=alpha,
                stage=RoutingStage.EXPERT,
                reason="answered similar ones",
                created_at=moment,
            )

    # Levels as the monthly job stored them.
    for month, person, level in (
        (JAN, lea, "core"),
        (FEB, lea, "core"),
        (FEB, max_, "core"),
        (MAR, lea, "core"),
        (MAR, max_, "core"),
        (MAR, rita, "peripheral"),
    ):
        MonthlyLevel.objects.create(person=person, community=alpha, month=month, level=level)
    MonthlyLevel.objects.create(person=zoe, community=None, month=MAR, level="core")
    for month, before, after, people_count in (
        (FEB, "occasional", "core", 1),  # up
        (FEB, "core", "core", 1),
        (FEB, "", "peripheral", 1),  # new: not a move
        (FEB, "active", "occasional", 1),  # down
        (MAR, "peripheral", "active", 2),  # up
        (MAR, "core", "core", 2),
    ):
        MonthlyFlow.objects.create(
            community=alpha, month=month, before=before, after=after, people=people_count
        )
    MonthlyFlow.objects.create(community=None, month=MAR, before="inactive", after="core", people=5)

    # What reached the sponsors.
    for person, community, when in (
        (sam, alpha, at(2026, 1, 3)),
        (sam, beta, at(2026, 2, 3)),  # not Beta's sponsor
        (sam, alpha, at(2026, 3, 2)),
    ):
        ReportOpen.objects.create(
            person=person, community=community, period="2026-01", opened_as="page", opened_at=when
        )
    for told, featured, hidden in (
        (at(2026, 1, 12), True, False),  # in the report
        (at(2026, 1, 15), False, False),  # not featured
        (at(2026, 1, 20), True, True),  # hidden
    ):
        Story.objects.create(
            community=alpha,
            teller=max_,
            source=Source.EVENT,
            source_id=next(w.numbers),
            cycle=Cycle.IMMEDIATE,
            told_at=told,
            featured_at=told if featured else None,
            hidden_at=told if hidden else None,
        )
    return Org(alpha=alpha, beta=beta, people=people)


def test_alpha_month_by_month(org: Org) -> None:
    lea, max_, rita, zoe, sam = (org[n] for n in ("lea", "max", "rita", "zoe", "sam"))
    facts = radar_facts(months=MONTHS, now=NOW)[org.alpha.pk]
    assert facts == [
        MonthFacts(
            month=JAN,
            members=3,  # lea, max, leo
            new_members=1,  # max
            active=2,  # lea, leo (who reads)
            contributors=1,  # lea
            new_contributors=0,  # lea contributed in December
            questions=1,
            unanswered=0,  # max answered it (in February)
            actions_by_leader={lea: 2},  # asked, voted
            leaders=frozenset({lea}),
            core=frozenset({lea}),
            guides=2,  # the old guide and the one made obsolete in February
            stale_guides=1,  # the old one: 90 days after September
            sponsors=(SponsorMonth(person_id=sam, opened_report=True, stories_told=1),),
        ),
        MonthFacts(
            month=FEB,
            members=3,  # lea, max, rita (leo left)
            new_members=1,  # rita
            active=5,  # lea, max, rita, leo, sam
            contributors=3,  # lea, max, sam (a guide)
            new_contributors=2,  # max, sam
            questions=3,
            unanswered=2,  # the one answered after now still counts as unanswered
            answers_by_person={max_: 1},  # 23:30 UTC on 31 January is February in Paris
            moderation_by_person={lea: 2},  # an edit and a close of max's posts
            actions_by_leader={lea: 4},  # two edits, a close, the notes
            leaders=frozenset({lea}),
            leaders_at_cap=frozenset({lea}),
            events=1,  # the cancelled one not counted
            attendance=3,  # max, rita, sam
            facilitations_by_person={lea: 1},
            event_outputs=3,  # the notes, max's question, sam's guide
            agenda_items=3,  # the removed one not counted
            agenda_items_from_members=1,  # rita's
            core=frozenset({lea, max_}),
            moved_inward=1,
            guides=3,  # the old one, the notes, sam's
            stale_guides=1,
            sponsors=(SponsorMonth(person_id=sam, attended=1),),
        ),
        MonthFacts(
            month=MAR,
            members=4,  # zoe joined
            new_members=1,
            active=4,  # lea, max, rita, zoe
            contributors=3,  # lea, max, zoe
            new_contributors=1,  # zoe
            questions=1,
            unanswered=0,
            answers_by_person={max_: 2},  # the one after now left out
            moderation_by_person={lea: 1, max_: 1},  # a merge, a reopen
            actions_by_leader={lea: 3},  # verified, merged, an imported comment
            leaders=frozenset({lea}),
            events=1,  # the one on the 25th is still to come
            attendance=2,
            facilitations_by_person={max_: 1},
            event_outputs=1,  # zoe's question
            agenda_items=1,
            core=frozenset({lea, max_}),  # zoe's organisation-wide level is not Alpha's
            moved_inward=2,
            guides=3,
            stale_guides=0,  # the old one was verified on 1 March
            sponsors=(SponsorMonth(person_id=sam, opened_report=True),),  # zoe's starts later
        ),
    ]
    assert rita not in facts[1].moderation_by_person and zoe not in facts[2].leaders


def test_beta_leaders_sponsors_and_guides(org: Org) -> None:
    ben, nia, ivy, max_ = (org[n] for n in ("ben", "nia", "ivy", "max"))
    facts = radar_facts(months=MONTHS, now=NOW, communities=[org.beta.pk])
    assert list(facts) == [org.beta.pk]
    assert facts[org.beta.pk] == [
        MonthFacts(
            month=JAN,
            members=3,  # ben, nia, ivy; ghost has no account
            new_members=1,  # nia
            active=1,
            contributors=1,
            new_contributors=1,  # ben
            actions_by_leader={ben: 2},  # a comment, a verification
            leaders=frozenset({ben}),  # he stepped down in February
            guides=1,
            stale_guides=0,  # verified on 20 January
            sponsors=(SponsorMonth(person_id=ivy),),
        ),
        MonthFacts(
            month=FEB,
            members=2,  # ivy deactivated
            active=1,
            contributors=1,
            new_contributors=1,  # max
            questions=1,
            unanswered=1,
            actions_by_leader={nia: 2},  # the two role changes
            leaders=frozenset({nia}),  # made leader on the 20th
            guides=1,
            stale_guides=1,  # 30 days after 20 January
            sponsors=(SponsorMonth(person_id=ivy, left=True),),
        ),
        MonthFacts(
            month=MAR,
            members=2,
            leaders=frozenset({nia}),
            leaders_at_cap=frozenset({nia}),
            guides=1,
            stale_guides=0,  # edited (so verified) on 5 March
        ),
    ]
    assert max_ not in facts[org.beta.pk][1].answers_by_person


def test_active_and_contributors_as_the_health_figures_count_them(org: Org) -> None:
    """The radar reads readers on its own (the health read counts their days too, slow at
    scale): the same people."""
    ids = [org.alpha.pk, org.beta.pk]
    spans = [(start, min(end, NOW)) for start, end in map(counts.month_bounds, MONTHS)]
    active = health_reads.active_by_scope(ids, spans, PARIS)
    contributors = health_reads.contributors_by_scope(ids, spans)
    for pk, months in radar_facts(months=MONTHS, now=NOW, communities=ids).items():
        assert [m.active for m in months] == [people for people, _days in active[pk]]
        assert [m.contributors for m in months] == [len(people) for people in contributors[pk]]


def test_months_asked_apart_and_each_community_alone(org: Org) -> None:
    """Months need not be consecutive (those between are read, not returned), and reading a
    community alone gives what reading them all does."""
    # other tests' organisations may share the database: read these two by name
    ids = [org.alpha.pk, org.beta.pk]
    together = radar_facts(months=MONTHS, now=NOW, communities=ids)
    apart = radar_facts(months=[JAN, MAR], now=NOW, communities=ids)
    assert apart == {pk: [months[0], months[2]] for pk, months in together.items()}
    alone = radar_facts(months=MONTHS, now=NOW, communities=[org.alpha.pk])
    assert alone == {org.alpha.pk: together[org.alpha.pk]}


def test_many_communities_read_alike(org: Org) -> None:
    """Beyond eight communities, rows are found by time rather than by community: the same
    facts."""
    few = radar_facts(months=MONTHS, now=NOW)
    for k in range(10):
        Community.objects.create(name=f"Quiet {k}", slug=f"quiet-{k}", domain="Nothing")
    many = radar_facts(months=MONTHS, now=NOW)
    assert len(many) == len(few) + 10
    assert {pk: many[pk] for pk in few} == few
    assert all(
        month == MonthFacts(month=month.month) for pk in set(many) - set(few) for month in many[pk]
    )


def _queries(months: list[date], communities: list[int] | None) -> int:
    with CaptureQueriesContext(connection) as queries:
        radar_facts(months=months, now=NOW, communities=communities)
    return len(queries)


def test_queries_do_not_grow_with_communities_or_months(org: Org) -> None:
    """One community's month and twelve communities' six months (from October, before
    anything) take the same queries: 33, every source read once (people's first contributions
    in one chunk here)."""
    one = _queries([MAR], [org.alpha.pk])
    for k in range(10):
        Community.objects.create(name=f"Quiet {k}", slug=f"quiet-{k}", domain="Nothing")
    many = _queries([date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1), *MONTHS], None)
    assert one == many == 33


def test_a_month_not_started_is_refused(org: Org) -> None:
    with pytest.raises(ValueError, match="not started"):
        radar_facts(months=[date(2026, 4, 1)], now=NOW)
    with pytest.raises(ValueError, match="time zone"):
        radar_facts(months=MONTHS, now=NOW.replace(tzinfo=None))
    assert radar_facts(months=[], now=NOW) == {}
