"""First contact: the default demo organisation as an evaluator meets it (issue 15). Its
knowledge is the written corpus, each community has the life it is meant to have, and "who
knows" finds a fitting person for the questions a first-time user types."""

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from statistics import median

import pytest
from django.db.models import Min
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.first_contact import FirstContact
from tests.first_contact_queries import WHO_KNOWS_QUERIES, WhoKnowsQuery
from tests.nonsense_queries import NONSENSE_QUERIES
from tests.shared_org import SharedBuild
from trellis.communities.models import Membership
from trellis.expertise import selectors
from trellis.expertise.models import LearnedTopic, QuestionTopic, TopicEvidence
from trellis.library.models import Resource
from trellis.mentoring import selectors as mentoring
from trellis.ops import demo_corpus
from trellis.people.models import Person
from trellis.qa.models import Post, PostKind, PostTag
from trellis.search import embeddings
from trellis.search import selectors as search
from trellis.search.query import STOPWORDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def first_contact(db: None, _shared_build: SharedBuild) -> Iterator[FirstContact]:
    built = _shared_build.first_contact
    assert built is not None
    with embeddings.using(built.model):
        yield built


def test_the_default_demo_is_the_written_corpus(first_contact: FirstContact) -> None:
    corpus = demo_corpus.load_corpus()
    everywhere = (*corpus.values(), *demo_corpus.load_organisation_wide())
    written = {q.title for c in everywhere for q in c.questions}
    questions = set(Post.objects.filter(kind=PostKind.QUESTION).values_list("title", flat=True))
    assert questions == written and len(written) >= 300
    assert Post.objects.filter(kind=PostKind.ANSWER).count() >= 600
    assert Resource.objects.count() >= 60
    # every community of the default demo has its own file
    assert set(corpus) == set(Membership.objects.values_list("community__slug", flat=True))


def _first_answer_hours(slug: str) -> float:
    rows = (
        Post.objects.filter(kind=PostKind.QUESTION, community__slug=slug, answer_count__gt=0)
        .annotate(first=Min("answers__created_at"))
        .values_list("created_at", "first")
    )
    return float(median((first - asked).total_seconds() / 3600 for asked, first in rows))


def test_each_community_has_the_life_it_is_meant_to_have(first_contact: FirstContact) -> None:
    # thriving communities answer within hours, the stagnating one takes days
    assert _first_answer_hours("kubernetes") < 12 < _first_answer_hours("ways-of-working")
    # the stagnating one asked most of its questions long ago and leaves recent ones waiting
    old = timezone.now() - timedelta(days=270)
    stagnating = Post.objects.filter(kind=PostKind.QUESTION, community__slug="ways-of-working")
    assert stagnating.filter(created_at__lt=old).count() > stagnating.count() / 2
    latest = stagnating.order_by("-created_at")[:5]
    assert all(q.answer_count == 0 for q in latest)
    # in the community its leader carries, the leader wrote most answers
    leader = Membership.objects.get(community__slug="ux-design", role="leader").person_id
    answers = Post.objects.filter(kind=PostKind.ANSWER, community__slug="ux-design")
    assert answers.filter(author_id=leader).count() > answers.count() / 2
    # the new communities have all their history in their few months
    for slug in ("accessibility", "docs-writing"):
        first = Post.objects.filter(community__slug=slug).aggregate(Min("created_at"))
        assert first["created_at__min"] > timezone.now() - timedelta(days=150)


def _fits(person: Person, query: WhoKnowsQuery, communities: dict[int, set[str]]) -> bool:
    department = person.department.slug if person.department else ""
    return department in query.departments or bool(
        communities.get(person.pk, set()) & query.communities
    )


def test_who_knows_puts_a_fitting_person_in_the_top_three(first_contact: FirstContact) -> None:
    viewer = Person.objects.get(email=first_contact.demo.sample_email)
    communities: dict[int, set[str]] = {}
    for person, slug in Membership.objects.filter(left_at__isnull=True).values_list(
        "person_id", "community__slug"
    ):
        communities.setdefault(person, set()).add(slug)
    misses = []
    for query in WHO_KNOWS_QUERIES:
        top = selectors.who_knows(viewer=viewer, text=query.text)[:3]
        if not any(_fits(e.person, query, communities) for e in top):
            misses.append(
                f"{query.text!r}: "
                + "; ".join(f"{e.person.title} ({e.person.department})" for e in top)
            )
    assert len(misses) <= 3, "\n".join(misses)


def test_learned_topic_labels_name_their_questions_subject(first_contact: FirstContact) -> None:
    topics = list(LearnedTopic.objects.all())
    assert len(topics) >= 12  # the twelve communities' subjects, at least
    named_by_a_tag = 0
    for topic in topics:
        questions = QuestionTopic.objects.filter(topic=topic).values_list("question_id")
        tags = Counter(
            PostTag.objects.filter(post_id__in=questions).values_list("tag__name", flat=True)
        )
        common = [name for name, _ in tags.most_common(3)]
        words = topic.label.split(" · ")
        assert not set(words) & STOPWORDS, topic.label
        named_by_a_tag += any(w in common for w in words)
    assert named_by_a_tag >= 0.8 * len(topics)


def test_every_newcomers_first_mentor_shares_a_skill_a_subject_or_a_community(
    first_contact: FirstContact,
) -> None:
    newcomers = list(mentoring.newcomers())
    assert len(newcomers) >= 5
    for newcomer in newcomers:
        suggested = mentoring.suggestions(viewer=newcomer, limit=1)
        assert suggested, f"{newcomer.title}: no mentor suggested"
        mentor = suggested[0].mentor
        skills = {s.lower() for s in newcomer.skills} & {s.lower() for s in mentor.skills}
        subjects = mentoring.mentee_terms(newcomer) & set(
            TopicEvidence.objects.filter(person=mentor).values_list("tag__name", flat=True)
        )
        places = set(
            Membership.objects.filter(person=newcomer, left_at__isnull=True).values_list(
                "community_id", flat=True
            )
        ) & set(
            Membership.objects.filter(person=mentor, left_at__isnull=True).values_list(
                "community_id", flat=True
            )
        )
        assert skills or subjects or places, f"{newcomer.title} -> {mentor.title}"


def test_nonsense_gets_nothing_by_meaning_and_the_ask_panel_says_no_close_match(
    first_contact: FirstContact, client: Client
) -> None:
    member = Person.objects.get(email=first_contact.demo.sample_email)
    client.force_login(member)
    for query in NONSENSE_QUERIES:
        by_meaning = search.search(viewer=member, text=query, mode="semantic")
        assert by_meaning.hits == [], f"{query!r} found {by_meaning.hits[0].document.title!r}"
        panel = client.get(reverse("search-similar"), {"title": query})
        assert 'data-testid="no-close-match"' in panel.content.decode(), query
    # while a real question still finds what was asked before
    panel = client.get(reverse("search-similar"), {"title": "helm rollback failed"})
    assert "no-close-match" not in panel.content.decode()
    assert "helm" in panel.content.decode().lower()


def test_the_private_communitys_leaders_find_requests_waiting(
    first_contact: FirstContact, client: Client
) -> None:
    from trellis.communities.models import Community, JoinRequest, Visibility
    from trellis.notifications.models import Kind, Notification

    private = Community.objects.get(visibility=Visibility.PRIVATE)
    waiting = list(JoinRequest.objects.filter(community=private, status="pending"))
    assert len(waiting) == 2
    assert all("engineer" in r.person.title.lower() and r.message for r in waiting)
    team = Membership.objects.filter(
        community=private, left_at__isnull=True, role__in=["leader", "facilitator", "core"]
    ).values_list("person_id", flat=True)
    told = Notification.objects.filter(kind=Kind.JOIN_REQUEST, recipient_id__in=team)
    assert {n.recipient_id for n in told} == set(team) and len(told) == 2 * len(team)
    leader = Membership.objects.filter(community=private, role="leader").first()
    assert leader is not None
    client.force_login(leader.person)
    home = client.get(reverse("home")).content.decode()
    assert f"2 requests to join {private.name}" in home


def test_the_demo_has_a_rhythm_of_events_people_reply_to(
    first_contact: FirstContact, client: Client
) -> None:
    from trellis.communities.models import Visibility
    from trellis.events.models import Event, Reply, Rsvp

    upcoming = list(Event.objects.filter(starts_at__gt=timezone.now()).select_related("community"))
    assert len(upcoming) >= 6
    for event in upcoming:  # organised by the community's own leader
        assert Membership.objects.filter(
            community=event.community, person=event.created_by, role="leader"
        ).exists()
        assert Rsvp.objects.filter(event=event, reply=Reply.GOING).exists()
    assert Rsvp.objects.filter(reply=Reply.WAITLIST).exists()  # a full one has a waitlist
    private = [e for e in upcoming if e.community and e.community.visibility == Visibility.PRIVATE]
    council = private[0].community
    inside = Membership.objects.filter(community=council, left_at__isnull=True)
    outsider = (
        Person.objects.filter(is_active=True, is_org_admin=False)
        .exclude(pk__in=inside.values("person_id"))
        .exclude(sponsored_communities=council)
        .order_by("pk")
        .first()
    )
    assert outsider is not None
    client.force_login(outsider)
    page = client.get(reverse("event-list")).content.decode()
    assert any(e.title in page for e in upcoming if e.community != council)
    assert private[0].title not in page


def test_the_leaders_insights_read_like_a_real_community(
    first_contact: FirstContact, client: Client
) -> None:
    """What a leader meets on the insights pages of the demo: figures computed, named people
    with reasons, a map with departments, and no placeholder leaking into the words."""
    from trellis.communities.models import Community, Visibility
    from trellis.insights.models import InsightSnapshot

    public = Community.objects.filter(visibility=Visibility.PUBLIC)
    assert InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH, community=None).count() == 12
    admin = Person.objects.get(email="admin@demo.trellis.local")
    client.force_login(admin)
    busiest = max(public, key=lambda c: Post.objects.filter(community=c).count())
    pages = {
        "health": reverse("org-health"),
        "champions": reverse("community-champions", args=[busiest.slug]),
        "silos": reverse("org-silos"),
        "participation": reverse("community-participation", args=[busiest.slug]),
    }
    text = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        text[name] = response.content.decode()
        visible = _visible_text(text[name])
        for placeholder in (r"\bNone\b", r"\bnan\b", r"\{\{", r"\{%", r"\[\]", r"\b0 of 0\b"):
            assert not re.search(placeholder, visible), (name, placeholder)
    headline = InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH, community=None).latest(
        "month"
    )
    assert "label" in str(headline.figures)
    # Stored from one set of reads for all twelve months: each as reading it alone gives.
    from trellis.insights import counts, health_reads, health_selectors

    for row in InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH, community=None):
        start, end = counts.month_bounds(row.month)
        alone = health_reads.health_for(community=None, start=start, end=end, as_of=row.computed_at)
        assert row.figures == health_selectors.figures_of(alone, as_of=row.computed_at), row
    assert "Helped" in text["champions"] and "Not yet recognised" in text["champions"]
    assert text["silos"].count("<circle") >= 5  # departments on the map
    private = Community.objects.get(visibility=Visibility.PRIVATE)
    assert private.name not in _visible_text(text["silos"])


def _visible_text(page: str) -> str:
    """The page's words: tags, scripts and styles left out."""
    without_code = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", without_code).split())


def test_discovery_proposes_the_topic_the_demo_asks_about_with_no_home(
    first_contact: FirstContact, client: Client
) -> None:
    """The demo's organisation-wide localisation questions, asked across departments and
    answered by the same few, are the one community proposed, with those few as its core;
    nothing else is proposed (no community, no spin-off, merge or joint event)."""
    from trellis.radar.models import DomainProposal, ProposalStatus

    proposed = list(DomainProposal.objects.filter(status=ProposalStatus.OPEN))
    assert [(p.kind, p.name) for p in proposed] == [("community", "Localisation")]
    (localisation,) = proposed
    organisation_wide = {q.title for c in demo_corpus.load_organisation_wide() for q in c.questions}
    where = dict((c, n) for c, n in localisation.evidence["in_communities"])
    assert where[None] >= 12 and localisation.evidence["questions"] <= 20
    examples = Post.objects.filter(pk__in=localisation.evidence["examples"])
    assert examples.filter(title__in=organisation_wide).count() >= 3  # the rest in docs-writing
    answered = Counter(
        Post.objects.filter(
            kind=PostKind.ANSWER, question__title__in=organisation_wide
        ).values_list("author_id", flat=True)
    )
    core = [e["person_id"] for e in localisation.core]
    assert core[:2] == [p for p, _ in answered.most_common(2)]
    assert set(core) >= {p for p, n in answered.items() if n >= 3}  # the few who answer it
    admin = Person.objects.get(email="admin@demo.trellis.local")
    client.force_login(admin)
    page = _visible_text(client.get(reverse("discover")).content.decode())
    assert "Localisation" in page and "in no community" in page
    for placeholder in (r"\bNone\b", r"\bnan\b", r"\{\{", r"\[\]"):
        assert not re.search(placeholder, page), placeholder


def test_the_nightly_radar_with_the_questions_meaning_still_tells_the_demos_stories(
    first_contact: FirstContact,
) -> None:
    """The demo's generation runs the radar before any vector exists; the first nightly run
    reads the questions' fit to their communities' domains too (drift), and must still raise
    exactly the pitfalls the histories were written to have."""
    from tests.test_radar_demo import EXPECTED
    from trellis.communities.models import Community
    from trellis.radar.models import RadarSignal
    from trellis.radar.services import radar_refresh

    radar_refresh()
    latest = RadarSignal.objects.order_by("-month").values_list("month", flat=True).first()
    assert latest is not None
    signals = RadarSignal.objects.filter(month=latest)
    raised: dict[str, set[str]] = {
        s: set() for s in Community.objects.values_list("slug", flat=True)
    }
    for slug, pitfall in signals.filter(raised=True).values_list("community__slug", "pitfall"):
        raised[slug].add(pitfall)
    assert raised == {slug: EXPECTED.get(slug, set()) for slug in raised}
    drift = [
        item for s in signals for item in s.evidence if item["key"] == "drift" and item["text"]
    ]
    assert drift, "the questions' fit to the domain is read once vectors exist"
