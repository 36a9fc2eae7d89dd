"""Shapes shared by the API's routers: input field types, references, pages.

Request bodies are ``pydantic.BaseModel`` with ``extra="forbid"`` and strict scalar types, so a
number where a string belongs, or a field the API does not know, is a 422 that names the field.
Every constraint the services or the database would enforce later (lengths, non-blank names,
no NUL characters, which PostgreSQL cannot store) is declared here, so it is in the OpenAPI
document and refused up front with a per-field error instead of surfacing as a 400 or a 500.
Outputs are ``ninja.Schema`` (read from model instances).
"""

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from trellis.communities.models import Role, Status, Visibility
from trellis.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# Database ids are 64-bit; a bigger number could never match and would overflow the query.
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000

# Patterns are unanchored in JSON Schema, hence ^...$. Whitespace is spelled out, not \s:
# the engines disagree on \s (Rust's is Unicode White_Space, Python's str.isspace() adds
# \x1c-\x1f, and ECMA-262's, which JSON Schema and schemathesis use, lacks \x85 and has
# \ufeff), and schemathesis found "https://…\x85…" valid by ECMA and refused by the server.
# WHITESPACE is what str.strip() removes (the services strip); \ufeff is neither space nor
# text for the patterns, so every engine refuses it where a space or a character must be.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^{WHITESPACE}\x00\ufeff][^\x00]*$"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_FILTER = r"^[-a-zA-Z0-9_]*$"


def _strict_input(schema: dict[str, Any]) -> None:
    """Optional fields default to "absent", not null: keep `"default": null` out of the docs."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]


class Input(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_strict_input)


class QueryParams(BaseModel):
    """Base of query-parameter groups (unknown query parameters are ignored, as usual)."""

    model_config = ConfigDict(json_schema_extra=_strict_input)


if TYPE_CHECKING:
    type Maybe[X] = X | None
else:

    class Maybe:
        """``field: Maybe[X] = None``: optional, but when sent it must be an X (null is not a
        value). Type checkers see ``X | None``; pydantic and the OpenAPI document see ``X``."""

        def __class_getitem__(cls, item: Any) -> Any:
            return item


# -- input field types --------------------------------------------------------------------


def _text(max_length: int, *, blank: bool = True) -> Any:
    pattern = NO_NUL if blank else NOT_BLANK
    return StringConstraints(max_length=max_length, pattern=pattern)


def _email(value: str) -> str:
    try:
        validate_email(value.strip())
    except DjangoValidationError as error:
        raise ValueError("Enter a valid email address.") from error
    return value


def _json_integer(value: object) -> int:
    """A JSON Schema integer: a number with no fractional part (``3`` or ``3.0``), never a
    string or a boolean (pydantic's strict int refuses ``3.0``; its lax int takes ``"3"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise PydanticCustomError("int_type", "Input should be a valid integer")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> date:
    """Only a JSON string "YYYY-MM-DD" (pydantic alone also takes numbers and datetimes)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("Use a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError("Not a calendar date.") from error


Email = Annotated[
    StrictStr,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    Field(json_schema_extra={"format": "email"}),
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
PersonName = Annotated[StrictStr, _text(200, blank=False)]
ShortName = Annotated[StrictStr, _text(120, blank=False)]
Title = Annotated[StrictStr, _text(200)]
Location = Annotated[StrictStr, _text(120)]
Summary = Annotated[StrictStr, _text(2000, blank=False)]
Message = Annotated[StrictStr, _text(2000)]
Note = Annotated[StrictStr, _text(200)]
LongText = Annotated[StrictStr, _text(20_000)]
Tag = Annotated[StrictStr, _text(100)]
Tags = Annotated[list[Tag], Field(max_length=40)]
Slug = Annotated[StrictStr, StringConstraints(min_length=1, max_length=80, pattern=SLUG)]
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]
Flag = StrictBool

# Query and path parameters arrive as text, so they are parsed (not strict) but bounded.
SearchText = Annotated[str, _text(200)]
SlugFilter = Annotated[str, StringConstraints(max_length=140, pattern=SLUG_FILTER)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
SlugPath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=140, pattern=SLUG_FILTER),
    Field(examples=["kubernetes"]),
]


class PageParams(QueryParams):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based; past the end gives the last.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


# -- outputs shared by the routers --------------------------------------------------------


class DepartmentRef(Schema):
    id: int
    slug: str
    name: str


class PersonBrief(Schema):
    id: int
    name: str
    title: str


class PersonRef(PersonBrief):
    department: DepartmentRef | None


class CommunityRef(Schema):
    id: int
    slug: str
    name: str
    visibility: Visibility
    status: Status


class MembershipOut(Schema):
    community: CommunityRef
    person: PersonRef
    role: Role
    joined_at: datetime


class Paged[T](Schema):
    items: list[T]
    count: int = Field(description="All matching rows the viewer may see, on every page.")
    page: int
    page_size: int


# -- shared by Ask the Expert, the library and notifications -------------------------------

# Makes an ``int`` a JSON integer (``3`` or ``3.0``, never ``"3"`` or ``true``). Put it after
# the bounds (``Annotated[int, Field(ge=1), JSON_INTEGER]``), or the schema loses them.
JSON_INTEGER = BeforeValidator(_json_integer)

# Whitespace as both regex engines read it (see the note on NOT_BLANK above).
SPACE = rf"[{WHITESPACE}]"
NOT_SPACE = rf"[^{WHITESPACE}\x00\ufeff]"


def stripped_at_least(characters: int) -> str:
    """A pattern for text without NUL that keeps at least ``characters`` once stripped (as the
    services count: ``str.strip()``), so the schema refuses what they would."""
    if characters <= 0:
        return NO_NUL
    if characters == 1:
        return NOT_BLANK
    return rf"^{SPACE}*{NOT_SPACE}[^\x00]{{{characters - 2},}}{NOT_SPACE}{SPACE}*$"


# A tag as the services store it (they lower-case it): Stack Exchange style, 1-35 characters.
TAG_PATTERN = rf"^{SPACE}*[A-Za-z0-9][A-Za-z0-9+#.-]{{0,34}}{SPACE}*$"
TopicTag = Annotated[StrictStr, StringConstraints(max_length=60, pattern=TAG_PATTERN)]
TopicTags = Annotated[list[TopicTag], Field(max_length=5, description="At most five tags.")]
TagFilter = Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)]
# A reference to an existing community by its slug (older slugs may hold "_" or capitals).
CommunitySlugRef = Annotated[
    StrictStr,
    StringConstraints(min_length=1, max_length=140, pattern=SLUG_FILTER),
    Field(examples=["kubernetes"]),
]


class Attributed(Schema):
    """Where an imported post came from, as its licence asks (empty for posts made here)."""

    source_url: str = Field(description="The original's address.")
    source_author: str = Field(description="The original author's name at the source.")
    license: str = Field(description="E.g. CC BY-SA 4.0.")
