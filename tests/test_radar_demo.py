"""The demo organisation's communities raise exactly the pitfalls their histories were written
to have, and no others (issue 18, acceptance point 4).

The demo is built as a visitor builds it (`trellis demo`, today's date: the lives are written
in whole calendar months before "now", so any day of any month gives the same reading), and
its generation runs the radar: the signals stored for the last whole month are the ones read.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from pytest_django import Settings

from trellis.communities.models import Community
from trellis.ops.demo_knowledge import LIVES
from trellis.radar.models import RadarSignal
from trellis.radar.signals import BURNOUT, MEETINGS, SPONSOR, STAGNATION

EXPECTED = {
    "ux-design": {BURNOUT},
    "customer-voice": {SPONSOR},
    "ways-of-working": {STAGNATION},
    "product-management": {MEETINGS},
}
# What each raised signal's evidence must say, in words: (indicator key, words in its text).
EVIDENCE = {
    ("ux-design", BURNOUT): [
        ("share", "The leaders carried 100% of the answers, facilitation and moderation"),
        ("rotation", "1 person facilitated the last"),
    ],
    ("customer-voice", SPONSOR): [
        ("absent", "has not opened the impact report, come to an event or been told a value"),
        ("report", "has not opened the impact report for 4 months"),
    ],
    ("ways-of-working", STAGNATION): [
        ("unanswered", "100% of recent questions are still unanswered, against 0% before"),
        ("stale", "100% of the community's guides are overdue for review"),
        ("newcomers", "of members joined each month lately"),
    ],
    ("product-management", MEETINGS): [
        ("agenda", "0% of agenda items came from members"),
        ("outputs", "Events went on"),
    ],
}


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_the_demo_raises_the_pitfalls_its_histories_were_written_to_have() -> None:
    call_command("demo", stdout=StringIO(), size=300)
    latest = RadarSignal.objects.order_by("-month").values_list("month", flat=True).first()
    assert latest is not None, "the demo's generation runs the radar"
    signals = RadarSignal.objects.filter(month=latest).select_related("community")
    slugs = set(Community.objects.values_list("slug", flat=True))
    assert set(EXPECTED) <= slugs and set(EXPECTED) <= set(LIVES)

    raised: dict[str, set[str]] = {slug: set() for slug in slugs}
    for signal in signals.filter(raised=True):
        raised[signal.community.slug].add(signal.pitfall)
    assert raised == {slug: EXPECTED.get(slug, set()) for slug in slugs}

    # the communities old enough to read were read, quiet ones included
    read = set(signals.values_list("community__slug", flat=True))
    assert set(EXPECTED) | {"python", "kubernetes", "data-analytics"} <= read

    for (slug, pitfall), expected in EVIDENCE.items():
        signal = signals.get(community__slug=slug, pitfall=pitfall)
        said = {item["key"]: item["text"] for item in signal.evidence}
        for key, words in expected:
            assert key in said, (slug, pitfall, key, said)
            assert words in said[key], (slug, pitfall, key, said[key])
