"""Templates test permission flags; they never decide who may do what themselves.

`core/access.py` is the one place that decides. A template that compares the viewer's id with
an author's, reads an admin attribute or names a role in an `{% if %}` has written a rule of
its own, which drifts from the one that the view and the API enforce. The walk below fails on
any such tag in any template, naming the file, the line and what it found, as the URL matrix
fails on a URL without a case; the checker itself is tested on the comparisons the templates
made before they were given flags.

What it reads: Django's own lexer splits each template into tags, so comments and text are
never checked, and each `{% if %}`/`{% elif %}` condition is split into operands the way the
tag itself splits it. A rule hidden behind `{% with me=user.pk %}` is not seen: review that.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType
from django.utils.text import smart_split

from trellis.communities.models import Role

PACKAGE = Path(__file__).resolve().parent.parent / "trellis"

# Only a rule in core/access.py reads these; in any tag or variable, even through a filter
# ("{{ user.is_org_admin|yesno:... }}"), they are a decision of the template's own.
ADMIN_ATTRIBUTE = re.compile(r"\b(is_org_admin|is_staff|is_superuser)\b")
COMPARISONS = {"==", "!=", "in", "<", ">", "<=", ">="}
# Operands of a comparison, before any filter ("p.author_id|default:0").
VIEWER = re.compile(r"^(request\.)?user(\.(pk|id))?$")
AUTHOR_OR_OWNER = re.compile(r"(^|\.)(author|owner)s?(_id)?$")
ROLE_LITERALS = {f'"{role}"' for role in Role.values} | {f"'{role}'" for role in Role.values}


@dataclass(frozen=True)
class Finding:
    line: int | None  # the lexer's token.lineno
    tag: str  # the tag's or the variable's contents
    problem: str
    variable: bool = False

    def __str__(self) -> str:
        shown = f"{{{{ {self.tag} }}}}" if self.variable else f"{{% {self.tag} %}}"
        return f"line {self.line}: {shown}: {self.problem}"


def _operand(bit: str) -> str:
    return bit.split("|", 1)[0]


def _condition_problems(condition: str) -> list[str]:
    """What a condition decides by itself: a comparison with the viewer or with an author
    or owner, or a role named as a literal."""
    bits = list(smart_split(condition))
    problems = []
    for i, bit in enumerate(bits):
        if bit in ROLE_LITERALS:
            problems.append(f"names the role {bit}: pass a flag from core/access.py")
        if bit not in COMPARISONS:
            continue
        for side in (bits[i - 1] if i else "", bits[i + 1] if i + 1 < len(bits) else ""):
            operand = _operand(side)
            if VIEWER.match(operand):
                problems.append(f"compares the viewer ({side}): pass a flag")
            elif AUTHOR_OR_OWNER.search(operand):
                problems.append(f"compares an author or owner ({side}): pass a flag")
    return problems


def check_template(source: str) -> list[Finding]:
    """Every tag of this template source that decides a permission itself."""
    findings = []
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        contents = token.contents.strip()
        if found := ADMIN_ATTRIBUTE.search(contents):
            problem = f"reads {found.group(1)}: pass a flag from core/access.py"
            variable = token.token_type == TokenType.VAR
            findings.append(Finding(token.lineno, contents, problem, variable))
        if token.token_type != TokenType.BLOCK:
            continue
        name, _, condition = contents.partition(" ")
        if name in {"if", "elif"}:
            for problem in _condition_problems(condition):
                findings.append(Finding(token.lineno, contents, problem))
    return findings


def _templates() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and "templates" in path.relative_to(PACKAGE).parts[:-1]
    )


# What the templates compared before they took flags (issue 14), and one of each kind more.
DECIDING = [
    "{% if can_contribute and post.author_id != user.pk %}",
    "{% if user.pk == p.author_id or can_curate %}",
    "{% if user.is_org_admin %}<a>Admin</a>{% endif %}",
    "{% if d.person_id == user.pk %}You{% endif %}",
    "{% if m.mentor_id == user.pk and not m.mentor_accepted_at %}",
    "{% if can_edit and user.pk == p.pk %}",
    "{% if user.pk != p.pk and p.is_active %}",
    '{% if role == "member" %}a member{% endif %}',
    '{% if inv.role != "member" %} as {{ role }}{% endif %}',
    "{% if x %}{% elif 'leader' in roles %}{% endif %}",
    "{{ user.is_org_admin|yesno:'an org admin,its sponsor' }}",
    "{% if request.user == post.author %}",
    "{% if post.author == request.user %}",
    "{% if user in resource.owners.all %}",
    "{% if r.owner_id|default:0 == user.id %}",
    "{% if user.is_staff or user.is_superuser %}",
]

ALLOWED = [
    "{% if can_vote %}{% endif %}",
    "{% if p.author %}<a>{{ p.author.name }}</a>{% endif %}",
    '{% if field.name != "note" and field.name != "owners" %}',
    "<a href=\"{% url 'person-detail' user.pk %}\">{{ user.name }}</a>",
    "{% if m.declined_by_id == m.mentor_id %}",
    '{% if c.visibility == "private" %}',
    "{% if value == m.role %}selected{% endif %}",
    "{# once: {% if user.is_org_admin %} #}",
    "{% if user.is_authenticated %}",
]


@pytest.mark.parametrize("source", DECIDING)
def test_the_checker_finds_a_template_deciding_a_permission(source: str) -> None:
    assert check_template(source), source


@pytest.mark.parametrize("source", ALLOWED)
def test_the_checker_lets_flags_and_wording_through(source: str) -> None:
    assert check_template(source) == []


# Tags that the checker finds but that decide no permission, each with why (the test below
# fails on an entry that no longer matches anything). None today.
NOT_PERMISSIONS: set[tuple[str, str]] = set()


def test_no_template_decides_a_permission_itself() -> None:
    templates = _templates()
    assert len(templates) > 50, "the walk found too few templates: is PACKAGE right?"
    found: dict[str, list[str]] = {}
    excused = set()
    for path in templates:
        name = str(path.relative_to(PACKAGE))
        for finding in check_template(path.read_text(encoding="utf-8")):
            if (name, finding.tag) in NOT_PERMISSIONS:
                excused.add((name, finding.tag))
            else:
                found.setdefault(name, []).append(str(finding))
    assert found == {}, (
        "Templates that decide permissions themselves: add a rule to core/access.py and pass "
        f"its answer as a flag from the view or the selector: {found}"
    )
    assert excused == NOT_PERMISSIONS, "an entry of NOT_PERMISSIONS no longer matches: remove it"
