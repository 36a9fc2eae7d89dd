"""Importing the real Stack Exchange dumps: counts match the files, a rerun changes nothing,
broken files change nothing, and imported posts carry their attribution."""

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.imports import builders
from tests.personas import Org
from tests.shared_data import stackexchange_dump
from tests.typing_helpers import ClientFor
from trellis.communities.models import Community
from trellis.imports.safety import ImportFileError
from trellis.imports.stackexchange import import_stackexchange
from trellis.people.models import ExternalIdentity, Person
from trellis.qa.models import Comment, LinkKind, Post, PostKind, PostLink, Vote

SITES = ["quantumcomputing-2018", "devops-meta-2017", "conlang-meta-2020"]


def dump(name: str) -> Path:
    """A shared reference dump; skips when it is missing (fails in CI)."""
    return stackexchange_dump(name)


@dataclass
class Expected:
    questions: int
    answers: int
    comments: int
    accepted: int
    duplicates: int
    related: int
    votes: int


def rows(path: Path, name: str) -> list[dict[str, str]]:
    file = path / name
    if not file.exists():
        return []
    return [row.attrib for row in ET.parse(file).getroot().iter("row")]  # noqa: S314


def expected_from_xml(path: Path) -> Expected:
    """What the files say, computed without any of the importer's code."""
    posts = rows(path, "Posts.xml")
    questions = {p["Id"] for p in posts if p["PostTypeId"] == "1"}
    answers = {p["Id"] for p in posts if p["PostTypeId"] == "2" and p.get("ParentId") in questions}
    kept = questions | answers
    links = {
        (link["PostId"], link["RelatedPostId"], link["LinkTypeId"])
        for link in rows(path, "PostLinks.xml")
        if link["PostId"] in kept and link["RelatedPostId"] in kept
    }
    return Expected(
        questions=len(questions),
        answers=len(answers),
        comments=sum(1 for c in rows(path, "Comments.xml") if c["PostId"] in kept),
        accepted=sum(
            1 for p in posts if p["Id"] in questions and p.get("AcceptedAnswerId") in answers
        ),
        duplicates=sum(1 for link in links if link[2] == "3"),
        related=sum(1 for link in links if link[2] == "1"),
        votes=sum(
            1
            for v in rows(path, "Votes.xml")
            if v["VoteTypeId"] in ("2", "3") and v["PostId"] in kept
        ),
    )


def counts_in_database(source: str) -> Expected:
    posts = Post.objects.filter(source=source)
    links = PostLink.objects.filter(source=source)
    return Expected(
        questions=posts.filter(kind=PostKind.QUESTION).count(),
        answers=posts.filter(kind=PostKind.ANSWER).count(),
        comments=Comment.objects.filter(source=source).count(),
        accepted=posts.filter(accepted_answer__isnull=False).count(),
        duplicates=links.filter(kind=LinkKind.DUPLICATE).count(),
        related=links.filter(kind=LinkKind.RELATED).count(),
        votes=Vote.objects.filter(source=source).count(),
    )


def snapshot() -> tuple[object, ...]:
    return (
        sorted(
            Post.objects.values_list("id", "title", "score", "accepted_answer_id", "answer_count")
        ),
        Comment.objects.count(),
        Vote.objects.count(),
        sorted(PostLink.objects.values_list("id", "kind")),
        Person.objects.count(),
        ExternalIdentity.objects.count(),
        Community.objects.count(),
    )


@pytest.mark.parametrize("site", SITES)
def test_import_matches_the_files_and_a_rerun_changes_nothing(site: str, db: None) -> None:
    path = dump(site)
    expected = expected_from_xml(path)
    summary = import_stackexchange(path)
    source = f"stackexchange:{site.rsplit('-', 1)[0]}"
    assert counts_in_database(source) == expected
    assert summary.counts["questions"]["created"] == expected.questions
    assert summary.counts["answers"]["created"] == expected.answers
    assert expected.questions > 0 and expected.answers > 0

    before = snapshot()
    again = import_stackexchange(path)
    assert again.changed() == 0
    assert again.counts["questions"]["unchanged"] == expected.questions
    assert snapshot() == before


def test_answer_counts_and_accepted_answers_point_inside_the_thread(db: None) -> None:
    import_stackexchange(dump("devops-meta-2017"))
    for question in Post.objects.filter(kind=PostKind.QUESTION):
        assert question.answer_count == question.answers.count()
        if question.accepted_answer_id:
            accepted = question.accepted_answer
            assert accepted is not None and accepted.question_id == question.pk


def test_imported_people_are_identities_that_cannot_sign_in(db: None) -> None:
    import_stackexchange(dump("conlang-meta-2020"))
    identity = ExternalIdentity.objects.select_related("person").first()
    assert identity is not None
    assert identity.source == "stackexchange:conlang-meta"
    assert identity.profile_url.startswith("https://conlang.meta.stackexchange.com/users/")
    assert not identity.person.is_active
    assert not identity.person.has_usable_password()
    assert not Client().login(email=identity.person.email, password="")


def test_imported_question_page_shows_the_attribution(org: Org, client_for: ClientFor) -> None:
    import_stackexchange(dump("devops-meta-2017"))
    question = Post.objects.filter(kind=PostKind.QUESTION, author__isnull=False).first()
    assert question is not None
    page = client_for(org.outsider).get(f"/questions/{question.pk}/").content.decode()
    assert question.source_url in page
    assert question.source_url.startswith("https://devops.meta.stackexchange.com/q/")
    assert question.source_author and question.source_author in page
    assert "CC BY-SA" in page


def test_import_into_an_existing_community(org: Org) -> None:
    import_stackexchange(dump("conlang-meta-2020"), community_slug=org.public.slug)
    assert Post.objects.filter(community=org.public, source__startswith="stackexchange:").exists()
    with pytest.raises(Exception, match="no community"):
        import_stackexchange(dump("conlang-meta-2020"), community_slug="no-such-community")


def _site_posts(site: str) -> "list[Post]":
    return list(Post.objects.filter(source=f"stackexchange:{site}"))


def test_a_dump_named_like_a_private_community_becomes_a_community_of_its_own(
    org: Org, tmp_path: Path
) -> None:
    """Without --community the site never lands in a community somebody else made, however
    its folder is named: it gets its own, with a slug that does not collide."""
    site = org.private.slug  # "security-council": the folder is "security-council-2018"
    root = builders.write_se_dump(tmp_path / f"{site}-2018")
    communities = Community.objects.count()
    summary = import_stackexchange(root)
    assert summary.counts["questions"]["created"] == 2
    assert not Post.objects.filter(community=org.private).exists()
    [own] = {post.community for post in _site_posts(site)}
    assert own is not None and own != org.private and own.slug == f"{site}-2" and not own.is_private
    assert Community.objects.count() == communities + 1

    # A rerun updates the community this import made: found by the import's source, not by
    # a slug (the admin may have renamed it, and someone may have taken the old one since).
    own.slug = "renamed-by-the-admin"
    own.save()
    Community.objects.create(name="Taken", slug=f"{site}-2", domain="x")
    again = import_stackexchange(root)
    assert again.changed() == 0 and again.counts["questions"]["unchanged"] == 2
    assert {post.community for post in _site_posts(site)} == {own}
    assert Community.objects.count() == communities + 2  # only the one created above


def test_only_an_explicit_community_takes_the_dump(org: Org, tmp_path: Path) -> None:
    root = builders.write_se_dump(tmp_path / "quantumcomputing-2018")
    import_stackexchange(root, community_slug=org.private.slug)
    assert {p.community for p in _site_posts("quantumcomputing")} == {org.private}
    # A later run that names none keeps to the community chosen for this site.
    assert import_stackexchange(root).changed() == 0
    assert {p.community for p in _site_posts("quantumcomputing")} == {org.private}
    assert not Community.objects.filter(slug__startswith="quantumcomputing").exists()


def test_a_site_imported_before_its_community_was_recorded_is_found_by_its_posts(
    org: Org, tmp_path: Path
) -> None:
    from trellis.imports.models import ImportedCommunity

    root = builders.write_se_dump(tmp_path / "quantumcomputing-2018")
    import_stackexchange(root)
    [community] = {p.community for p in _site_posts("quantumcomputing")}
    ImportedCommunity.objects.all().delete()  # as an import made before the record existed
    communities = Community.objects.count()
    assert import_stackexchange(root).changed() == 0
    assert Community.objects.count() == communities
    assert ImportedCommunity.objects.get(source="stackexchange:quantumcomputing").community == (
        community
    )


def test_the_cli_without_community_never_imports_into_a_private_one(
    org: Org, tmp_path: Path
) -> None:
    root = builders.write_se_dump(tmp_path / f"{org.private.slug}-2018")
    call_command("import", "stackexchange", str(root), "--quiet")
    assert _site_posts(org.private.slug)
    assert not Post.objects.filter(community=org.private).exists()
    call_command("import", "stackexchange", str(root), "--quiet", "--community", "security-council")
    assert not Post.objects.filter(community=org.private).exists()  # already imported elsewhere


def _broken_copy(tmp_path: Path, posts: bytes) -> Path:
    target = tmp_path / "broken-2020"
    shutil.copytree(dump("conlang-meta-2020"), target)
    (target / "Posts.xml").write_bytes(posts)
    return target


def _truncated(tmp_path: Path) -> Path:
    data = (dump("conlang-meta-2020") / "Posts.xml").read_bytes()
    return _broken_copy(tmp_path, data[: len(data) // 2])


def _entity_bomb(tmp_path: Path) -> Path:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE posts [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
        b'<posts><row Id="1" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" '
        b'Title="&c;" Body="x" Score="0"/></posts>'
    )
    return _broken_copy(tmp_path, bomb)


def _latin1(tmp_path: Path) -> Path:
    data = '<?xml version="1.0" encoding="utf-8"?>\n<posts><row Id="1" PostTypeId="1" '
    data += 'CreationDate="2020-01-01T00:00:00.000" Title="Caf\xe9" Body="x" Score="0"/></posts>'
    return _broken_copy(tmp_path, data.encode("latin-1"))


@pytest.mark.parametrize(
    ("make", "message"),
    [(_truncated, "Posts.xml"), (_entity_bomb, "Posts.xml"), (_latin1, "Posts.xml")],
)
def test_a_broken_dump_is_refused_and_changes_nothing(
    make: Callable[[Path], Path], message: str, tmp_path: Path, db: None
) -> None:
    path = make(tmp_path)
    before = snapshot()
    with pytest.raises(ImportFileError) as error:
        import_stackexchange(path)
    assert message in str(error.value)
    assert snapshot() == before  # the users imported before Posts.xml failed are rolled back


@pytest.mark.parametrize(
    ("codec", "encoding"),
    [
        ("utf-16-le", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
        ("utf-32-le", "UTF-32LE"),
        ("utf-32-be", "UTF-32BE"),
        ("utf-16-le", None),
        ("utf-32-be", None),
    ],
)
def test_an_entity_in_a_utf16_or_utf32_posts_file_without_bom_stops_the_import(
    codec: str, encoding: str | None, tmp_path: Path, org: Org
) -> None:
    root = builders.write_se_dump(tmp_path / "quantumcomputing-2018")
    (root / "Posts.xml").write_bytes(builders.entity_posts(codec, encoding))
    before = snapshot()
    with pytest.raises(ImportFileError) as error:
        import_stackexchange(root)
    assert str(error.value).startswith("Posts.xml") and "DOCTYPE" in str(error.value)
    assert builders.INJECTED not in str(error.value)
    assert snapshot() == before
    assert not Post.objects.filter(body_html__contains=builders.INJECTED).exists()


def test_cli_prints_the_summary_and_refuses_a_broken_dump(
    tmp_path: Path, db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("import", "stackexchange", str(dump("conlang-meta-2020")), "--quiet")
    out = capsys.readouterr().out
    assert "questions" in out and "created" in out
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", "stackexchange", str(_truncated(tmp_path)), "--quiet")
    with pytest.raises(CommandError, match=r"not a Stack Exchange dump|missing"):
        call_command("import", "stackexchange", str(tmp_path), "--quiet")


def test_big_files_are_read_in_a_second_process_with_the_same_result(
    db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from trellis.imports import stackexchange

    monkeypatch.setattr(stackexchange, "PREFETCH_FROM_ROWS", 1)
    path = dump("devops-meta-2017")
    import_stackexchange(path)
    assert counts_in_database("stackexchange:devops-meta") == expected_from_xml(path)
    before = snapshot()
    with pytest.raises(ImportFileError, match=r"Posts\.xml"):
        import_stackexchange(_truncated(tmp_path))
    assert snapshot() == before
