"""The demo organisation's written knowledge: one TOML file per community in `demo_corpus/`,
and files of organisation-wide questions (`community = ""`): a topic no community holds yet,
asked across the organisation, which domain discovery is there to notice.

The questions, answers and library resources were written for Trellis by the project (never
copied from the Stack Exchange dumps or anywhere else). Each names the department and job
title of the person who would write it; `demo_knowledge` picks a member who fits (anyone in
the organisation, for an organisation-wide question). Questions are in the order they were
asked; the community's life (see `demo_knowledge.LIVES`) decides when. The format is in
`demo_corpus/README.md`; `python -m trellis.ops.demo_corpus` checks it.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from trellis.qa.tags import TAG_RE

CORPUS_DIR = Path(__file__).resolve().parent / "demo_corpus"
RESOURCE_KINDS = frozenset({"guide", "howto", "decision", "faq", "link", "recording"})
URL_KINDS = frozenset({"link", "recording"})
DEPARTMENT_SLUGS = frozenset(
    {
        "executive", "engineering", "platform", "data", "product-engineering", "web", "mobile",
        "security", "design", "product", "sales", "sales-emea", "sales-americas", "sales-apac",
        "marketing", "finance", "people", "talent", "operations", "it", "legal",
        "customer-success", "support",
    }
)  # fmt: skip


class CorpusError(ValueError):
    """A corpus file that does not follow the format: names the file and the entry."""


@dataclass(frozen=True)
class Writer:
    """Who would write an entry: a department slug and, optionally, a job title in it."""

    department: str
    title: str = ""


@dataclass(frozen=True)
class Answer:
    writer: Writer
    body: str
    accepted: bool = False
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    key: str
    title: str
    body: str
    tags: tuple[str, ...]
    writer: Writer
    answers: tuple[Answer, ...]
    duplicate_of: str = ""
    related: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    key: str
    kind: str
    title: str
    body: str
    tags: tuple[str, ...]
    writer: Writer
    url: str = ""
    from_question: str = ""
    duplicate_of: str = ""


@dataclass(frozen=True)
class CommunityCorpus:
    """One file: a community's (`slug`) or, with no slug, organisation-wide questions."""

    slug: str
    questions: tuple[Question, ...]
    resources: tuple[Resource, ...] = field(default=())

    @property
    def organisation_wide(self) -> bool:
        return not self.slug


def _text(entry: dict[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise CorpusError(f"{where}: '{name}' must be a non-empty string")
    return value.strip()


def _strings(entry: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CorpusError(f"{where}: '{name}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _tags(entry: dict[str, Any], where: str) -> tuple[str, ...]:
    tags = _strings(entry, "tags", where)
    if not 1 <= len(tags) <= 5:
        raise CorpusError(f"{where}: 1 to 5 tags, not {len(tags)}")
    for tag in tags:
        if not TAG_RE.match(tag):
            raise CorpusError(f"{where}: '{tag}' is not a tag (a-z 0-9 + # . -, 35 at most)")
    return tags


def _writer(entry: dict[str, Any], prefix: str, where: str) -> Writer:
    department = _text(entry, prefix, where)
    if department not in DEPARTMENT_SLUGS:
        raise CorpusError(f"{where}: '{department}' is not a department slug")
    return Writer(department, _text(entry, f"{prefix}_title", where, required=False))


def _question(entry: dict[str, Any], where: str) -> Question:
    key = _text(entry, "key", where)
    where = f"{where} '{key}'"
    answers = entry.get("answers", [])
    if not isinstance(answers, list):
        raise CorpusError(f"{where}: 'answers' must be an array of tables")
    parsed = tuple(
        Answer(
            writer=_writer(a, "by", f"{where} answer {i + 1}"),
            body=_text(a, "body", f"{where} answer {i + 1}"),
            accepted=bool(a.get("accepted", False)),
            comments=_strings(a, "comments", f"{where} answer {i + 1}"),
        )
        for i, a in enumerate(answers)
    )
    if sum(a.accepted for a in parsed) > 1:
        raise CorpusError(f"{where}: at most one accepted answer")
    return Question(
        key=key,
        title=_text(entry, "title", where),
        body=_text(entry, "body", where),
        tags=_tags(entry, where),
        writer=_writer(entry, "asker", where),
        answers=parsed,
        duplicate_of=_text(entry, "duplicate_of", where, required=False),
        related=_strings(entry, "related", where),
        comments=_strings(entry, "comments", where),
    )


def _resource(entry: dict[str, Any], where: str) -> Resource:
    key = _text(entry, "key", where)
    where = f"{where} '{key}'"
    kind = _text(entry, "kind", where)
    if kind not in RESOURCE_KINDS:
        raise CorpusError(f"{where}: kind '{kind}' is not one of {sorted(RESOURCE_KINDS)}")
    url = _text(entry, "url", where, required=kind in URL_KINDS)
    if url and not url.startswith("https://"):
        raise CorpusError(f"{where}: the url must start with https://")
    return Resource(
        key=key,
        kind=kind,
        title=_text(entry, "title", where),
        body=_text(entry, "body", where),
        tags=_tags(entry, where),
        writer=_writer(entry, "owner", where),
        url=url,
        from_question=_text(entry, "from_question", where, required=False),
        duplicate_of=_text(entry, "duplicate_of", where, required=False),
    )


def parse_file(path: Path) -> CommunityCorpus:
    """One community's corpus, checked: every key unique, every reference to a key of the same
    file, titles unique, earlier entries referred to by later ones."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CorpusError(f"{path.name}: {error}") from error
    if "community" not in data:
        raise CorpusError(f"{path.name}: 'community' is missing (\"\" for organisation-wide)")
    slug = _text(data, "community", path.name, required=False)
    questions = tuple(_question(q, f"{path.name} question") for q in data.get("questions", []))
    resources = tuple(_resource(r, f"{path.name} resource") for r in data.get("resources", []))
    if not slug and resources:
        # The demo's libraries are its communities' (an organisation-wide one is not written).
        raise CorpusError(f"{path.name}: organisation-wide questions come without resources")
    _check_references(path.name, questions, resources)
    return CommunityCorpus(slug=slug, questions=questions, resources=resources)


def _check_references(
    name: str, questions: tuple[Question, ...], resources: tuple[Resource, ...]
) -> None:
    keys = [q.key for q in questions] + [r.key for r in resources]
    repeated = {k for k in keys if keys.count(k) > 1}
    if repeated:
        raise CorpusError(f"{name}: keys used twice: {sorted(repeated)}")
    titles = [q.title for q in questions] + [r.title for r in resources]
    if len(set(titles)) != len(titles):
        twice = sorted({t for t in titles if titles.count(t) > 1})
        raise CorpusError(f"{name}: titles used twice: {twice}")
    seen: set[str] = set()
    for question in questions:
        for ref in (question.duplicate_of, *question.related):
            if ref and ref not in seen:
                raise CorpusError(f"{name} '{question.key}': '{ref}' is not an earlier question")
        seen.add(question.key)
    resource_keys: set[str] = set()
    for resource in resources:
        if resource.from_question and resource.from_question not in seen:
            raise CorpusError(f"{name} '{resource.key}': no question '{resource.from_question}'")
        if resource.duplicate_of and resource.duplicate_of not in resource_keys:
            raise CorpusError(
                f"{name} '{resource.key}': '{resource.duplicate_of}' is not an earlier resource"
            )
        resource_keys.add(resource.key)


@cache
def _load_all(directory: Path) -> tuple[CommunityCorpus, ...]:
    return tuple(parse_file(path) for path in sorted(directory.glob("*.toml")))


def load_corpus(directory: Path = CORPUS_DIR) -> dict[str, CommunityCorpus]:
    """Every community's corpus by slug (the organisation-wide files are not a community's)."""
    return {c.slug: c for c in _load_all(directory) if not c.organisation_wide}


def load_organisation_wide(directory: Path = CORPUS_DIR) -> tuple[CommunityCorpus, ...]:
    """The organisation-wide files, by file name: questions asked in no community."""
    return tuple(c for c in _load_all(directory) if c.organisation_wide)


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or sorted(CORPUS_DIR.glob("*.toml"))
    failed = 0
    for path in files:
        try:
            corpus = parse_file(path)
        except CorpusError as error:
            print(f"ERROR {error}")
            failed += 1
            continue
        answers = sum(len(q.answers) for q in corpus.questions)
        words = sum(
            len(t.split())
            for q in corpus.questions
            for t in (q.title, q.body, *(a.body for a in q.answers))
        ) + sum(len(r.body.split()) for r in corpus.resources)
        where = corpus.slug or "(organisation-wide)"
        print(
            f"{path.name}: {where}: {len(corpus.questions)} questions, {answers} answers, "
            f"{len(corpus.resources)} resources, {words} words"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
