"""Every XSS payload, typed anywhere a person (or an import) can put text, renders inert on
the pages that show it: checked on the rendered HTML of whole pages."""

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from django.test import Client

from tests.personas import Org
from tests.typing_helpers import ClientFor
from tests.xss_payloads import PAYLOADS, assert_inert
from trellis.core.errors import Invalid
from trellis.imports.stackexchange import import_stackexchange
from trellis.library import services as library_services
from trellis.qa import services as qa_services
from trellis.qa.models import Post, PostKind


def _title(payload: str) -> str:
    return f"Q: {payload}"[:200].ljust(12, ".")


def _check(client: Client, url: str, payload: str) -> None:
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    try:
        assert_inert(response.content.decode(), allow_own_scripts=True)
    except AssertionError as error:
        raise AssertionError(f"{url} with payload {payload!r}: {error}") from None


def test_payloads_in_questions_answers_comments_and_resources_render_inert(
    org: Org, client_for: ClientFor
) -> None:
    reader = client_for(org.member)
    refused = 0
    for payload in PAYLOADS:
        try:
            question = qa_services.question_ask(
                actor=org.member, community=org.public, title=_title(payload), body=payload
            )
        except Invalid as error:  # NUL characters: refused with the field named, not stored
            assert "\x00" in payload and error.field_errors
            refused += 1
            continue
        answer = qa_services.answer_post(actor=org.leader, question=question, body=payload)
        qa_services.comment_add(actor=org.facilitator, post=answer, body=payload[:600].ljust(2))
        resource = library_services.resource_create(
            actor=org.leader,
            community=org.public,
            kind="guide",
            title=payload[:200],
            body=payload,
        )
        for url in (
            f"/questions/{question.pk}/",
            f"/posts/{question.pk}/revisions/",
            f"/library/{resource.pk}/",
            f"/library/{resource.pk}/versions/",
        ):
            _check(reader, url, payload)
    for url in (
        "/questions/",
        "/c/kubernetes/questions/?sort=active",
        "/library/",
        "/notifications/",
    ):
        _check(reader, url, "(all of them)")


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if " " not in p.strip()][:20])
def test_payloads_as_tags_are_refused_with_a_message(org: Org, payload: str) -> None:
    try:
        question = qa_services.question_ask(
            actor=org.member,
            community=org.public,
            title="A question with a strange tag",
            body="",
            tags=[payload],
        )
    except Invalid as error:
        assert "tags" in error.field_errors
    else:  # the rare payload that is a valid tag name is only text
        assert_inert(str(list(question.tags.values_list("name", flat=True))))


# XML 1.0 cannot carry control characters, so no real dump holds them.
XML_PAYLOADS = [p for p in PAYLOADS if all(c in "\t\n\r" or ord(c) >= 0x20 for c in p)]


def _dump_with_payloads(folder: Path) -> Path:
    folder.mkdir()
    name = quoteattr(PAYLOADS[0])
    users = [f'<row Id="1" DisplayName={name} CreationDate="2020-01-01T00:00:00.000" />']
    posts, comments = [], []
    for n, payload in enumerate(XML_PAYLOADS, start=1):
        q, a = 2 * n, 2 * n + 1
        posts.append(
            f'<row Id="{q}" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" Score="1" '
            f'OwnerUserId="1" Title={quoteattr(_title(payload))} Body={quoteattr(payload)} '
            f'Tags="|xss|" AcceptedAnswerId="{a}" />'
        )
        posts.append(
            f'<row Id="{a}" PostTypeId="2" ParentId="{q}" CreationDate="2020-01-02T00:00:00.000" '
            f'Score="0" OwnerDisplayName={quoteattr(payload[:40])} Body={quoteattr(payload)} />'
        )
        comments.append(
            f'<row Id="{n}" PostId="{a}" Text={quoteattr(payload)} '
            f'CreationDate="2020-01-03T00:00:00.000" UserDisplayName={quoteattr(payload[:40])} />'
        )
    for name, root, rows in (
        ("Users.xml", "users", users),
        ("Posts.xml", "posts", posts),
        ("Comments.xml", "comments", comments),
    ):
        body = "\n".join(f"  {row}" for row in rows)
        text = f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n{body}\n</{root}>\n'
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_imported_posts_with_payloads_render_inert(
    org: Org, client_for: ClientFor, tmp_path: Path
) -> None:
    import_stackexchange(_dump_with_payloads(tmp_path / "xss-2020"))
    reader = client_for(org.outsider)
    questions = list(Post.objects.filter(kind=PostKind.QUESTION).values_list("pk", "body"))
    assert len(questions) == len(XML_PAYLOADS) > 100
    for pk, body in questions:
        _check(reader, f"/questions/{pk}/", body)
    _check(reader, "/questions/?sort=votes", "(imported)")
