"""Drift (issue 18, "the questions' topics moving away from the charter"): each month's share
of questions as close to the community's own words as its typical question, read from the
stored question vectors; it falls when the questions leave the domain, and says nothing
without an embedder or with too few questions."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.test_search import WordHashEmbedder
from trellis.communities.models import Community
from trellis.insights import counts
from trellis.radar.charter_fit import MIN_QUESTIONS, monthly_fit
from trellis.radar.reads import radar_facts
from trellis.search import embeddings
from trellis.search.embeddings import to_blob
from trellis.search.models import DocKind, Document

MODEL = WordHashEmbedder(dim=256)
ON_DOMAIN = [
    "kubernetes pod eviction",
    "helm chart rollback",
    "cluster node drain",
    "container image pull",
    "kubernetes ingress tls",
    "pod autoscaling cluster",
]
OFF_DOMAIN = ["expense report approval", "payroll cut-off date", "travel booking policy"]


def _months(n: int) -> list[tuple[datetime, datetime]]:
    last = counts.add_months(counts.month_of(timezone.now()), -1)
    return [counts.month_bounds(counts.add_months(last, k - n + 1)) for k in range(n)]


def _ask(community: Community, title: str, at: datetime, n: int) -> None:
    vector = MODEL.embed([embeddings.document_text(title, "", f"{title} question {n}")])[0]
    Document.objects.create(
        kind=DocKind.QUESTION, object_id=10_000 + n, community=community, title=title,
        created_at=at, embedding=to_blob(vector), embedding_model=MODEL.name,
    )  # fmt: skip


@pytest.fixture
def drifting(db: None) -> Community:
    """Eight months of questions on containers, then two on expenses and travel."""
    community = Community.objects.create(
        name="Kubernetes Guild", slug="kubernetes",
        domain="Running kubernetes clusters: pods, helm charts, nodes and container images.",
    )  # fmt: skip
    n = 0
    for month, (start, _) in enumerate(_months(10)):
        for i in range(4):
            titles = ON_DOMAIN if month < 8 else OFF_DOMAIN
            _ask(community, titles[(month + i) % len(titles)], start + timedelta(days=3 + i), n)
            n += 1
    return community


def test_the_share_fitting_the_domain_falls_when_the_questions_leave_it(
    drifting: Community,
) -> None:
    spans = _months(10)
    with embeddings.using(MODEL):
        shares = monthly_fit([drifting.pk], [end for _, end in spans], spans[0][0])[drifting.pk]
    steady, drifted = shares[:8], shares[8:]
    assert all(s is not None and s >= 0.5 for s in steady), shares
    assert drifted == [0.0, 0.0]


def test_the_radar_reads_it_into_each_month(drifting: Community) -> None:
    spans = _months(10)
    months = [start.date().replace(day=1) for start, _ in spans]
    with embeddings.using(MODEL):
        facts = radar_facts(months=months, now=timezone.now())[drifting.pk]
    assert [m.charter_fit for m in facts][-2:] == [0.0, 0.0]
    assert all(m.charter_fit for m in facts[:8])


def test_nothing_is_said_without_an_embedder_or_with_few_questions(drifting: Community) -> None:
    spans = _months(10)
    ends = [end for _, end in spans]
    with embeddings.using(None):
        assert monthly_fit([drifting.pk], ends, spans[0][0]) == {}
    quiet = Community.objects.create(name="Quiet", slug="quiet", domain="Kubernetes clusters.")
    for n in range(MIN_QUESTIONS - 1):
        _ask(quiet, ON_DOMAIN[n % len(ON_DOMAIN)], spans[n % 10][0] + timedelta(days=1), 500 + n)
    with embeddings.using(MODEL):
        shares = monthly_fit([quiet.pk], ends, spans[0][0])[quiet.pk]
    assert shares == [None] * 10
