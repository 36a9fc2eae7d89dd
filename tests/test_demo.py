"""The demo organisation: deterministic, well-formed, and careful with existing data."""

from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from trellis.communities.models import Community, Membership, Role, Sponsorship, Status, Visibility
from trellis.core.models import Activity
from trellis.ops.demo import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    DEPARTMENTS,
    MIN_SIZE,
    community_count,
    plan_org,
)
from trellis.ops.demo_corpus import DEPARTMENT_SLUGS
from trellis.people.models import Department, Person

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Settings) -> None:
    # The demo hashes its one password once; MD5 keeps that out of the test's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def demo(**options: Any) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **{"size": 300, **options})
    return out.getvalue()


def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    people = sorted(
        Person.objects.values_list(
            "email", "name", "title", "department__slug", "manager__email", "location",
            "start_date", "skills", "interests",
        )
    )  # fmt: skip
    memberships = sorted(
        Membership.objects.values_list("community__slug", "person__email", "role", "left_at")
        .order_by()
        .distinct()
        .filter(left_at__isnull=True)
    )
    communities = sorted(Community.objects.values_list("slug", "name", "status", "visibility"))
    return people, memberships, communities


def test_plan_is_pure_and_seeded() -> None:
    assert plan_org(300, 7, now=NOW) == plan_org(300, 7, now=NOW)
    names = [p.name for p in plan_org(300, 7, now=NOW).people]
    assert names != [p.name for p in plan_org(300, 8, now=NOW).people]


@pytest.mark.django_db
def test_same_seed_gives_the_same_organisation() -> None:
    """At the smallest size every generator still runs (the written corpus scaled down), at a
    fifth of the cost of three default builds."""
    demo(seed=42, size=MIN_SIZE)
    first = snapshot()
    demo(seed=42, size=MIN_SIZE, reset=True)
    assert snapshot() == first
    demo(seed=43, size=MIN_SIZE, reset=True)
    assert snapshot()[0] != first[0]


@pytest.mark.django_db
def test_the_default_demo_is_well_formed_signs_in_shows_knowledge_and_is_made_once() -> None:
    """One build of the default demo (seconds each), checked four ways."""
    output = demo(if_empty=True)  # an empty database: made as without --if-empty
    _check_well_formed(output)
    _check_logins()
    _check_knowledge(output)
    again = demo(if_empty=True, size=500, seed=1)  # people exist now: nothing is made
    assert "not created" in again
    assert Person.objects.count() == 300


def _check_well_formed(output: str) -> None:
    assert ADMIN_EMAIL in output and DEMO_PASSWORD in output

    departments = {d.pk: d.parent_id for d in Department.objects.all()}
    assert len(departments) >= 8
    assert any(parent is not None for parent in departments.values())
    pk: int | None
    for pk in departments:  # every chain of parents ends at a root
        seen = set()
        while pk is not None:
            assert pk not in seen
            seen.add(pk)
            pk = departments[pk]

    people = {p.pk: p for p in Person.objects.all()}
    assert len(people) == 300
    assert sum(p.manager_id is None for p in people.values()) == 1
    for person in people.values():  # no reporting cycles: everyone reaches the CEO
        seen = set()
        current: Person | None = person
        while current is not None:
            assert current.pk not in seen
            seen.add(current.pk)
            current = people[current.manager_id] if current.manager_id else None
        assert person.title and person.location and person.start_date and person.skills
        assert person.department_id is not None
    assert len({p.email for p in people.values()}) == 300
    today = timezone.now().date()
    # every start_date was asserted set above
    assert all(p.start_date is not None and p.start_date <= today for p in people.values())
    assert any(
        p.start_date is not None and (today - p.start_date).days < 90 for p in people.values()
    )  # new hires

    communities = list(Community.objects.all())
    assert len(communities) == community_count(300) == 12
    assert any(c.visibility == Visibility.PRIVATE for c in communities)
    assert len({c.status for c in communities}) >= 3
    assert Status.ARCHIVED not in {c.status for c in communities}
    active = Membership.objects.filter(left_at__isnull=True)
    sizes = []
    for community in communities:
        mine = active.filter(community=community)
        assert mine.filter(role=Role.LEADER).exists(), community.slug
        assert Sponsorship.objects.filter(community=community).exists(), community.slug
        assert community.charter and community.domain
        assert community.created_at < timezone.now()
        sizes.append(mine.count())
    assert max(sizes) >= 4 * min(sizes)  # a few big communities, several small ones
    assert set(Membership.objects.values_list("role", flat=True)) <= set(Role.values)
    assert Membership.objects.filter(left_at__isnull=False).exists()  # some history
    assert Activity.objects.filter(verb="community.view").exists()
    assert Activity.objects.filter(verb="community.join").exists()
    assert Activity.objects.dates("created_at", "month").count() > 2  # backdated, not "now"


def _check_logins() -> None:
    admin = Person.objects.get(email=ADMIN_EMAIL)
    assert admin.is_org_admin and admin.is_staff and admin.is_superuser
    assert admin.manager is not None
    assert Client().login(email=ADMIN_EMAIL, password=DEMO_PASSWORD)
    someone = Person.objects.filter(is_org_admin=False).order_by("pk")[150]
    assert not someone.is_staff
    assert Client().login(email=someone.email, password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_refuses_to_mix_into_existing_people_without_reset() -> None:
    Person.objects.create_user("someone@example.com", "pw", name="Some One")
    with pytest.raises(CommandError, match="already holds people"):
        demo()
    # --reset replaces only a demo organisation, never real people.
    with pytest.raises(CommandError, match="not demo people"):
        demo(reset=True)
    assert list(Person.objects.values_list("email", flat=True)) == ["someone@example.com"]


@pytest.mark.django_db
def test_size_is_bounded() -> None:
    with pytest.raises(CommandError, match="--size"):
        demo(size=10)


def test_bigger_organisations_get_more_communities() -> None:
    plan = plan_org(4000, 1, now=NOW)
    assert len(plan.communities) == community_count(4000) == 14
    assert len({p.email for p in plan.people}) == 4000
    assert all(p.manager < p.index for p in plan.people)  # managers first: no cycles
    assert {m.role for m in plan.memberships} == set(Role.values)


def _check_knowledge(out: str) -> None:
    from trellis.library.models import Resource
    from trellis.qa.models import Post, PostKind

    assert "questions with" in out
    questions = Post.objects.filter(kind=PostKind.QUESTION)
    assert questions.count() >= 100
    assert questions.filter(accepted_answer__isnull=False).count() >= 30
    assert questions.filter(answer_count=0).exists()  # the unanswered queue has something
    assert Post.objects.filter(kind=PostKind.ANSWER, score__gt=0).exists()
    assert {r.freshness() for r in Resource.objects.all()} >= {"fresh", "stale"}
    for question in questions.filter(answer_count__gt=0)[:3]:
        assert question.answer_count == question.answers.count()
    client = Client()
    assert client.login(email=ADMIN_EMAIL, password=DEMO_PASSWORD)
    answered = questions.filter(answer_count__gt=1).first()
    assert answered is not None
    page = client.get(f"/questions/{answered.pk}/")

    assert page.status_code == 200 and "answers" in page.content.decode()


def test_the_corpus_knows_the_demos_departments() -> None:
    # demo_corpus checks writers against its own list (demo.py imports it, so it cannot import
    # demo.py back): the two lists must stay the same
    assert {spec.slug for spec in DEPARTMENTS} == DEPARTMENT_SLUGS
