"""Domain discovery in a real browser (issue 18): an org admin finds a topic the organisation
keeps asking about with no home, reads who asks and who answers, starts the community in one
click, and its likely core find the invitation and join; the outsider sees none of it.

The questions are real ones asked and answered through the services and read by the nightly
job (with the tests' word-hash embedder standing in for the model)."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from tests.test_discovery_services import seed_localisation
from tests.test_search import WordHashEmbedder
from trellis.communities.models import Membership, Role
from trellis.radar.discovery_services import discovery_refresh
from trellis.radar.models import DomainProposal
from trellis.search import embeddings

pytestmark = pytest.mark.browser

WIDE: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture
def org(transactional_db: None) -> Org:
    org = build_org()
    seed_localisation(org)
    with embeddings.using(WordHashEmbedder(dim=256)):
        embeddings.embed_pending()
        discovery_refresh()
    return org


def test_an_org_admin_starts_a_proposed_community_and_its_core_join(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    proposal = DomainProposal.objects.get(kind="community")

    # The org admin goes from the organisation's radar to the proposals and reads the evidence.
    _, admin = open_as(browser, base, org.admin.email, errors, WIDE)
    admin.goto(f"{base}/radar/")
    admin.get_by_role("link", name="Where communities could grow").click()
    card = admin.get_by_test_id("proposed-communities").get_by_test_id("proposal")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=3)).to_contain_text(proposal.name)
    evidence = card.get_by_test_id("proposal-evidence")
    expect(evidence).to_contain_text("asked by 4 people from 3 departments")
    expect(evidence).to_contain_text("16 asked organisation-wide, in no community")
    core = card.get_by_test_id("proposal-core")
    for name in ("Lou Translator", "Kim Frontend", "Ravi Content"):
        expect(core).to_contain_text(name)
    admin.screenshot(path=screenshots / "discovery-01-proposed.png", full_page=True)

    # One click starts it, with the admin as its first leader, and invites its people.
    card.get_by_role("button", name="Start this community").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text(proposal.name)
    expect(admin.get_by_text("3 people to its core team")).to_be_visible()
    admin.screenshot(path=screenshots / "discovery-02-started.png", full_page=True)

    # A likely core member finds the invitation on their home page and joins the core team.
    _, expert = open_as(browser, base, "loc1@example.com", errors, WIDE)
    expert.goto(f"{base}/")
    invitation = expert.locator(".panel", has_text=f"invited you to {proposal.name}")
    expect(invitation).to_contain_text("as core team")
    expert.screenshot(path=screenshots / "discovery-03-invited.png", full_page=True)
    invitation.get_by_role("button", name="Accept").click()
    joined = Membership.objects.get(person__email="loc1@example.com", left_at__isnull=True,
                                    community__name=proposal.name)  # fmt: skip
    assert joined.role == Role.CORE

    # The page of proposals is gone from the admin's list once decided.
    admin.goto(f"{base}/discover/")
    expect(admin.get_by_test_id("discovery-none")).to_be_visible()
    assert errors == []

    # The outsider may not read the proposals.
    _, outsider = open_as(browser, base, org.outsider.email, [], WIDE)
    response = outsider.goto(f"{base}/discover/")
    assert response is not None and response.status == 403
    assert "Lou Translator" not in outsider.locator("body").inner_text()
