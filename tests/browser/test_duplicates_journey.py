"""The duplicate queue in a real browser: a leader sees what helps choose the one to keep,
merges a cluster of questions and guides, sees the closed question point to the kept one,
and undoes the merge."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from trellis.library import services as library_services
from trellis.library.models import QuestionGuide, Resource
from trellis.qa import services as qa_services
from trellis.qa.models import Post

pytestmark = pytest.mark.browser

TEXT = (
    "Our nightly backup job to the object store fails with a timeout after forty minutes "
    "whenever the database is larger than two hundred gigabytes; how do we make it finish?"
)


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def test_leader_merges_a_mixed_cluster_sees_the_result_and_undoes_it(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    ask = qa_services.question_ask
    plain = ask(actor=org.member, community=org.public, title="Backup job times out", body=TEXT)
    solved = ask(actor=org.member, community=org.public, title="Nightly backup fails", body=TEXT)
    for n in range(3):
        answer = qa_services.answer_post(
            actor=org.leader, question=solved, body=f"Split the dump into {n + 2} parts."
        )
    qa_services.answer_accept(actor=org.member, answer=answer)
    guide = library_services.resource_create(
        actor=org.leader, community=org.public, kind="guide", title="Big backups", body=TEXT
    )
    errors: list[str] = []
    context, page = open_as(browser, live_server.url, org.leader.email, errors)
    page.goto(f"{live_server.url}/c/{org.public.slug}/")
    page.get_by_role("link", name="Possible duplicates").click()
    cluster = page.get_by_test_id("cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_contain_text("3 answers · accepted answer")
    expect(cluster).to_contain_text("0 answers · no accepted answer")
    expect(cluster.get_by_label("Nightly backup fails")).to_be_checked()
    expect(cluster).to_contain_text("kept: has an accepted answer and 3 answers")
    expect(cluster.get_by_test_id("merge-explained")).to_contain_text(
        "The other question will be closed as a duplicate of the question you keep"
    )
    expect(cluster.get_by_test_id("merge-explained")).to_contain_text(
        "will point to the guide you keep as its answer in the library"
    )
    page.screenshot(path=screenshots / "dupes-01-queue.png", full_page=True)

    cluster.get_by_role("button", name="Merge into the chosen ones").click()
    done = page.get_by_test_id("merge-done")
    expect(done).to_contain_text("Merged into “Nightly backup fails” and “Big backups”.")
    expect(page.get_by_text("Nothing to curate")).to_be_visible()
    page.screenshot(path=screenshots / "dupes-02-merged.png", full_page=True)
    queue_after_merge = page.url

    page.goto(f"{live_server.url}/questions/{plain.pk}/")
    banner = page.get_by_role("note")
    expect(banner).to_contain_text("closed as a duplicate of Nightly backup fails")
    expect(banner.get_by_role("link", name="Nightly backup fails")).to_have_attribute(
        "href", f"/questions/{solved.pk}/"
    )
    page.screenshot(path=screenshots / "dupes-03-closed-question.png", full_page=True)

    page.goto(queue_after_merge)
    page.get_by_test_id("merge-done").get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Merge undone")).to_be_visible()
    expect(page.get_by_test_id("cluster")).to_have_count(1)
    page.screenshot(path=screenshots / "dupes-04-undone.png", full_page=True)
    plain.refresh_from_db()
    assert plain.duplicate_of_id is None and plain.closed_at is None
    assert not QuestionGuide.objects.exists()
    assert Resource.objects.get(pk=guide.pk).canonical_id is None
    assert Post.objects.filter(closed_at__isnull=False).count() == 0
    context.close()
    assert errors == []
