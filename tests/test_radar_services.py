"""The radar's nightly refresh on a real database, what each persona reads of it, the leaders'
snooze, and the two one-click fixes.

The refresh test writes ten months of a guild's answers: ten colleagues answer two questions
each a month and the leader two; in the last whole month the colleagues answer one each and
the leader carries thirty. That is leader burnout, and the stored signal says so in words.
"""

from datetime import date, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from tests.personas import Org, person
from trellis.communities.models import Community, Membership, Role
from trellis.core.errors import Forbidden, Invalid
from trellis.events.models import Event, EventKind
from trellis.insights.counts import add_months, month_bounds, month_of
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Department
from trellis.qa.models import Post, PostKind
from trellis.radar import fixes, selectors, services
from trellis.radar.models import RadarSignal, RadarSnooze
from trellis.radar.signals import BURNOUT, PITFALLS, SPONSOR

_ids = count(1)


def _post(
    community: Community, author_id: int, kind: str, when: datetime, parent: Post | None
) -> Post:
    n = next(_ids)
    return Post.objects.create(
        community=community,
        author_id=author_id,
        kind=kind,
        title=f"How do we roll back release {n}?" if kind == PostKind.QUESTION else "",
        body=f"Body {n}",
        question=parent,
        created_at=when,
    )


def _burnt_out_guild(org: Org) -> tuple[Community, date]:
    """The public guild's last ten whole months; returns it and the last whole month."""
    community = org.public
    department = Department.objects.create(name="Platform")
    colleagues = [person(f"helper{i}@example.com", f"Helper {i}", department) for i in range(10)]
    for colleague in colleagues:
        Membership.objects.create(
            community=community,
            person=colleague,
            role=Role.MEMBER,
            joined_at=timezone.now() - timedelta(days=400),
        )
    Membership.objects.filter(community=community).update(
        joined_at=timezone.now() - timedelta(days=400)
    )
    last = add_months(month_of(timezone.now()), -1)
    for back in range(10, 0, -1):
        month = add_months(last, -(back - 1))
        start, _ = month_bounds(month)
        burnt = back == 1
        answers = [(c.pk, 1 if burnt else 2) for c in colleagues] + [
            (org.leader.pk, 30 if burnt else 2)
        ]
        day = 0
        for author, many in answers:
            for _ in range(many):
                day += 1
                when = start + timedelta(hours=6 * day)
                question = _post(community, org.member.pk, PostKind.QUESTION, when, None)
                _post(community, author, PostKind.ANSWER, when + timedelta(hours=1), question)
    return community, last


@pytest.mark.django_db
def test_the_refresh_stores_the_burnout_of_a_guild_whose_leader_carries_it(org: Org) -> None:
    community, last = _burnt_out_guild(org)
    written = services.radar_refresh()
    rows = RadarSignal.objects.filter(community=community)
    assert written == rows.count() + RadarSignal.objects.exclude(community=community).count()
    latest = {row.pitfall: row for row in rows.filter(month=last)}
    assert set(latest) == set(PITFALLS)
    burnout = latest[BURNOUT]
    assert burnout.raised
    share = next(e for e in burnout.evidence if e["key"] == "share")
    assert share["text"].startswith("The leaders carried ")
    assert "of the answers, facilitation and moderation in the last month" in share["text"]
    # the months before were healthy, and the chart's months were filled on this first run
    before = rows.filter(pitfall=BURNOUT, month__lt=last)
    assert before.exists() and not before.filter(raised=True).exists()
    # a second run the same day writes the last month again and nothing else
    assert (
        services.radar_refresh()
        == len(PITFALLS)
        * RadarSignal.objects.filter(month=last).values("community").distinct().count()
    )
    assert RadarSignal.objects.filter(community=community, month=last).count() == len(PITFALLS)


@pytest.mark.django_db
def test_a_young_community_gets_no_signal(org: Org) -> None:
    assert services.radar_refresh() == 0
    page = selectors.community_radar(viewer=org.leader, community=org.private)
    assert page.month is None and page.signals == []


def _stored(community: Community, month: date = date(2026, 10, 1)) -> None:
    for pitfall in PITFALLS:
        RadarSignal.objects.create(
            community=community,
            pitfall=pitfall,
            month=month,
            score=0.9,
            threshold=0.5,
            raised=True,
            evidence=[{"key": "k", "strength": 1, "weight": 1, "text": f"{pitfall} evidence"}],
            computed_at=timezone.now(),
        )


@pytest.mark.django_db
def test_who_reads_which_signals(org: Org) -> None:
    _stored(org.private)
    read = {
        name: [
            s.pitfall
            for s in selectors.community_radar(
                viewer=getattr(org, name), community=org.private
            ).signals
        ]
        for name in ("admin", "leader", "sponsor", "member", "outsider")
    }
    assert read["admin"] == read["leader"] == list(PITFALLS)
    assert read["sponsor"] == [SPONSOR]
    assert read["member"] == read["outsider"] == []
    assert selectors.community_radar(viewer=org.sponsor, community=org.private).may_act is False


@pytest.mark.django_db
def test_a_leader_snoozes_with_a_reason_and_wakes_it(org: Org) -> None:
    _stored(org.private)
    until = timezone.localdate() + timedelta(days=30)
    with pytest.raises(Invalid, match="Say why"):
        services.radar_snooze(
            actor=org.leader, community=org.private, pitfall=BURNOUT, reason=" ", until=until
        )
    with pytest.raises(Invalid, match="six months at most"):
        services.radar_snooze(
            actor=org.leader,
            community=org.private,
            pitfall=BURNOUT,
            reason="Later",
            until=until + timedelta(days=200),
        )
    with pytest.raises(Invalid, match="after today"):
        services.radar_snooze(
            actor=org.leader,
            community=org.private,
            pitfall=BURNOUT,
            reason="Later",
            until=timezone.localdate(),
        )
    with pytest.raises(Invalid, match="no pitfall"):
        services.radar_snooze(
            actor=org.leader, community=org.private, pitfall="gloom", reason="Later", until=until
        )
    for outsider in (org.member, org.sponsor, org.outsider):
        with pytest.raises(Forbidden):
            services.radar_snooze(
                actor=outsider, community=org.private, pitfall=BURNOUT, reason="Later", until=until
            )
    assert not RadarSnooze.objects.exists()

    services.radar_snooze(
        actor=org.leader,
        community=org.private,
        pitfall=BURNOUT,
        reason="Rotation starts in May",
        until=until,
    )
    page = selectors.community_radar(viewer=org.admin, community=org.private)
    burnout = next(s for s in page.signals if s.pitfall == BURNOUT)
    assert burnout.snooze is not None and burnout.snooze.reason == "Rotation starts in May"
    assert BURNOUT not in [s.pitfall for s in page.raised]
    assert BURNOUT in [s.pitfall for s in page.quiet]
    _, rows = selectors.org_radar()
    row = next(r for r in rows if r.community == org.private)
    assert row.snoozed == ["Leader burnout"] and "Leader burnout" not in row.raised

    services.radar_wake(actor=org.leader, community=org.private, pitfall=BURNOUT)
    page = selectors.community_radar(viewer=org.admin, community=org.private)
    assert BURNOUT in [s.pitfall for s in page.raised]


@pytest.mark.django_db
def test_an_expired_snooze_shows_the_signal_again(org: Org) -> None:
    _stored(org.private)
    RadarSnooze.objects.create(
        community=org.private,
        pitfall=BURNOUT,
        reason="Old",
        snoozed_by=org.leader,
        snoozed_at=timezone.now() - timedelta(days=40),
        until=timezone.localdate(),
    )
    page = selectors.community_radar(viewer=org.leader, community=org.private)
    assert BURNOUT in [s.pitfall for s in page.raised]


@pytest.mark.django_db
def test_the_sponsor_fix_plans_a_show_and_tell_and_invites_the_sponsor_with_the_report(
    org: Org,
) -> None:
    done = fixes.fix_apply(actor=org.leader, community=org.private, pitfall=SPONSOR)
    event = Event.objects.get(community=org.private, kind=EventKind.SHOW_AND_TELL)
    assert event.starts_at.date() >= timezone.localdate() + timedelta(days=20)
    assert f"/c/{org.private.slug}/report/" in event.description
    note = Notification.objects.get(recipient=org.sponsor, kind=Kind.INVITATION)
    assert note.url == f"/events/{event.pk}/" and "impact report" in note.title
    assert done.startswith("A show & tell is planned for ") and "Sam Sponsor" in done
    # a second click invites to the same show & tell, planning nothing new
    again = fixes.fix_apply(actor=org.leader, community=org.private, pitfall=SPONSOR)
    assert again.startswith("Sam Sponsor has been invited to the show & tell on")
    assert Event.objects.filter(community=org.private, kind=EventKind.SHOW_AND_TELL).count() == 1


@pytest.mark.django_db
def test_the_sponsor_fix_needs_a_sponsor_and_a_leader(org: Org) -> None:
    with pytest.raises(Forbidden):
        fixes.fix_apply(actor=org.sponsor, community=org.private, pitfall=SPONSOR)
    org.private.sponsorship_set.all().delete()
    with pytest.raises(Invalid, match="has no sponsor to invite"):
        fixes.fix_apply(actor=org.leader, community=org.private, pitfall=SPONSOR)
    assert not Event.objects.filter(community=org.private).exists()


@pytest.mark.django_db
def test_the_burnout_fix_switches_the_rotation_on(org: Org) -> None:
    assert not org.private.rotation_enabled
    done = fixes.fix_apply(actor=org.leader, community=org.private, pitfall=BURNOUT)
    org.private.refresh_from_db()
    assert org.private.rotation_enabled
    assert done.startswith("The rotation is on, but there is no upcoming session")


@pytest.mark.django_db
def test_a_pitfall_that_is_not_one_has_no_fix(org: Org) -> None:
    with pytest.raises(Invalid, match="no one-click fix"):
        fixes.fix_apply(actor=org.leader, community=org.private, pitfall="gloom")


@pytest.mark.django_db
def test_the_stagnation_fix_drafts_a_renewal_circle_on_the_longest_waiting_questions(
    org: Org,
) -> None:
    asked = timezone.now() - timedelta(days=120)
    waiting = Post.objects.create(
        community=org.private,
        author=org.member,
        kind=PostKind.QUESTION,
        title="Who rotates the breach drill keys when the vault owner is away?",
        body="Nobody has said.",
        created_at=asked,
    )
    org.private.agendas_enabled = False
    org.private.save(update_fields=["agendas_enabled"])
    done = fixes.fix_apply(actor=org.leader, community=org.private, pitfall="stagnation")
    circle = Event.objects.get(community=org.private, kind=EventKind.CIRCLE)
    assert circle.title == "Renewal circle: the questions nobody has answered"
    assert circle.starts_at.date() >= timezone.localdate() + timedelta(days=14)
    items = list(circle.agenda.items.values_list("question_id", "title"))
    assert (waiting.pk, waiting.title) in items
    org.private.refresh_from_db()
    assert org.private.events_enabled and org.private.agendas_enabled
    assert done.startswith("Renewal circle planned for ")
    assert "its draft agenda holds" in done and "Edit and publish it from the event." in done


@pytest.mark.parametrize(
    ("planned_from", "held_on"),
    [
        (date(2026, 12, 1), date(2026, 12, 1)),  # a Tuesday
        (date(2026, 12, 4), date(2026, 12, 8)),  # a Friday: the Tuesday after
        (date(2026, 12, 23), date(2027, 1, 5)),  # the year-end break: the first Tuesday after
    ],
)
def test_a_show_and_tell_is_planned_on_a_working_midweek_day(
    planned_from: date, held_on: date
) -> None:
    assert fixes._working_day(planned_from) == held_on
