"""Slack and Zulip imports into the database, on fixture exports written to the documented
formats: threads, edits, bots, unknown users, non-ASCII text; reruns change nothing; a broken
export changes nothing."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from tests.imports import builders
from tests.imports.builders import write_slack_export, write_zulip_archive, zip_folder
from tests.personas import PASSWORD, Org
from tests.test_import_stackexchange import snapshot
from trellis.communities.models import Community, Status
from trellis.imports.safety import ImportFileError
from trellis.imports.slack import import_slack
from trellis.imports.zulip import import_zulip
from trellis.people.models import ExternalIdentity, Person
from trellis.qa.models import Conversation, Message, Post, PostKind

ClientFor = Callable[[Person], Client]


@pytest.fixture
def ann(org: Org) -> Person:
    """Ann already works here: the Slack identity joins her account by email."""
    return Person.objects.create_user("ann@example.org", PASSWORD, name="Ann Åberg")


def test_slack_threads_become_questions_and_conversations(
    ann: Person, tmp_path: Path, client_for: ClientFor
) -> None:
    summary = import_slack(write_slack_export(tmp_path / "export"))
    general = Community.objects.get(slug="general")
    assert Community.objects.get(slug="old-stuff").status == Status.ARCHIVED

    question = Post.objects.get(kind=PostKind.QUESTION, source="slack")
    assert question.title == "How do I deploy to prod?"
    assert question.community == general and question.author == ann
    assert '<a href="https://x.org"' in question.body_html
    answers = list(question.answers.order_by("created_at"))
    assert [a.body for a in answers] == ["Grüße, use the button", "Thanks! also sent to channel"]
    assert answers[0].edited_at is not None
    assert question.answer_count == 2

    bob = ExternalIdentity.objects.get(source="slack", external_id="U2").person
    assert answers[0].author == bob and bob.name == "Bob 日本語" and not bob.is_active
    assert ExternalIdentity.objects.get(source="slack", external_id="U1").person == ann

    conversations = {c.title: c for c in Conversation.objects.filter(community=general)}
    assert "日本語 from a stranger" in conversations  # an author missing from users.json
    stranger = conversations["日本語 from a stranger"].messages.get()
    assert stranger.author is not None and not stranger.author.is_active
    assert "orphan reply" in conversations  # its root was deleted (a tombstone)
    assert not Message.objects.filter(body__icontains="Deployed v1.2").exists()  # a bot
    assert not Post.objects.filter(body__icontains="private").exists()  # DMs are never read
    assert summary.skipped["bot accounts"] == 1 and summary.skipped["bot messages"] == 1
    assert summary.counts["questions"]["created"] == 1
    assert summary.counts["answers"]["created"] == 2

    page = client_for(ann).get(f"/questions/{question.pk}/").content.decode()
    assert "Grüße, use the button" in page


def test_a_slack_rerun_changes_nothing_and_a_zip_gives_the_same(org: Org, tmp_path: Path) -> None:
    folder = write_slack_export(tmp_path / "export")
    import_slack(folder)
    before = snapshot(), Conversation.objects.count(), Message.objects.count()
    assert import_slack(folder).changed() == 0
    archive = zip_folder(folder, tmp_path / "export.zip")
    assert import_slack(archive).changed() == 0
    assert (snapshot(), Conversation.objects.count(), Message.objects.count()) == before


def test_a_broken_slack_export_changes_nothing(org: Org, tmp_path: Path) -> None:
    folder = write_slack_export(tmp_path / "export")
    (folder / "general" / "2024-01-03.json").write_bytes(b'[{"type": "message", "ts": ')
    before = snapshot()
    with pytest.raises(ImportFileError, match=r"2024-01-03\.json"):
        import_slack(folder)
    assert snapshot() == before and not Conversation.objects.exists()


def test_zulip_topics_become_questions_and_conversations(org: Org, tmp_path: Path) -> None:
    summary = import_zulip(write_zulip_archive(tmp_path / "archive"))
    question = Post.objects.get(kind=PostKind.QUESTION, source="zulip")
    assert question.title == "deploy fails"  # the ✔ mark says it was resolved
    assert question.body_html == "<p>Deploy fails on main?</p>"
    answer = question.answers.get()
    assert "<code>ci.yml</code>" in answer.body_html
    assert question.accepted_answer == answer  # the resolving reply
    assert answer.author is not None and answer.author.name == "Ann Åberg"
    titles = set(Conversation.objects.values_list("title", flat=True))
    assert "a/b testing & more.v2" in titles
    assert "日本語 (Équipe 日本 topic)" in titles or "日本語" in " ".join(titles)
    assert Message.objects.get(body__contains="Grüße").body_html == "<p>Grüße 😀</p>"
    assert summary.counts["people"]["created"] == 3
    assert import_zulip(tmp_path / "archive").changed() == 0


@pytest.mark.parametrize("naming", list(builders.ZULIP_NAMINGS))
def test_a_zulip_archive_imports_whatever_file_naming_its_version_used(
    org: Org, tmp_path: Path, naming: str
) -> None:
    summary = import_zulip(write_zulip_archive(tmp_path / "archive", naming=naming))
    assert summary.counts["topics"] == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    assert summary.counts["questions"]["created"] == 1
    assert summary.counts["answers"]["created"] == 1
    assert summary.counts["conversations"]["created"] == 3
    assert summary.counts["messages"]["created"] == 3
    assert Message.objects.get(source_id="40").body_html == "<p>Merci à tous.</p>"
    assert Conversation.objects.filter(title__startswith="Q&A: it's (really) 100% done").exists()
    again = import_zulip(tmp_path / "archive")
    assert again.changed() == 0 and again.counts["topics"]["unchanged"] == 4


def test_a_missing_zulip_topic_file_is_a_rejected_row_and_the_rest_imports(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command

    root = write_zulip_archive(tmp_path / "archive")
    stem = builders.archive_topic_stem("a/b testing & more.v2")
    (root / "zulip_json" / "7-general" / f"{stem}.json").unlink()
    summary = import_zulip(root)
    assert summary.counts["topics"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    [(reason, n)] = summary.reasons.items()
    assert n == 1
    assert "'a/b testing & more.v2'" in reason and "'general'" in reason
    assert f"7-general/{stem}.json" in reason
    assert Post.objects.filter(kind=PostKind.QUESTION, title="deploy fails").exists()
    assert not Conversation.objects.filter(title="a/b testing & more.v2").exists()
    assert Conversation.objects.count() == 2

    call_command("import", "zulip", str(root), "--quiet")
    out = capsys.readouterr().out
    assert "rejected topics: topic 'a/b testing & more.v2'" in out
    assert "Nothing was imported" not in out


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:40])


def _not_utf8(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace("Grüße".encode(), "Grüße".encode("latin-1")))


def _huge(path: Path) -> None:
    path.write_bytes(b"[" + b" " * 5000 + b"]")


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_truncated, "the JSON is malformed"),
        (_not_utf8, "not valid UTF-8"),
        (_huge, "larger than the 4,096 bytes limit"),
    ],
)
def test_a_broken_zulip_topic_file_stops_the_import_and_changes_nothing(
    org: Org, tmp_path: Path, spoil: Callable[[Path], None], message: str
) -> None:
    root = write_zulip_archive(tmp_path / "archive")
    stem = builders.archive_topic_stem("a/b testing & more.v2")
    spoil(root / "zulip_json" / "7-general" / f"{stem}.json")
    before = snapshot()
    with pytest.raises(ImportFileError) as error:
        import_zulip(root, max_json_bytes=4096)
    assert str(error.value).startswith(f"7-general/{stem}.json")
    assert message in str(error.value)
    assert snapshot() == before and not Conversation.objects.exists()


def test_the_cli_imports_slack_and_zulip(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command

    call_command("import", "slack", str(write_slack_export(tmp_path / "s")), "--quiet")
    call_command("import", "zulip", str(write_zulip_archive(tmp_path / "z")), "--quiet")
    out = capsys.readouterr().out
    assert out.count("conversations") == 2
