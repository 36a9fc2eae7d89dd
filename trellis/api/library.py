"""The knowledge library: resources, their versions, verification, duplicates, and guides
promoted from solved questions.

Every read goes through `trellis.library.selectors`: a resource in a private community is not
found (404) for everyone outside it. A resource marked as a duplicate of another drops out of
the list; its `canonical` says which one to read instead.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictStr, StringConstraints, ValidationInfo, field_validator

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import (
    JSON_INTEGER,
    MAX_ID,
    NO_NUL,
    NOT_BLANK,
    NOT_SPACE,
    SPACE,
    CommunityRef,
    CommunitySlugRef,
    Id,
    Input,
    Maybe,
    Paged,
    PageParams,
    PersonBrief,
    SlugFilter,
    TagFilter,
    TopicTags,
)
from trellis.communities import selectors as community_selectors
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.core.pagination import Page, paginate_list
from trellis.library import selectors, services
from trellis.library.models import URL_KINDS, Freshness, Resource, ResourceKind, ResourceVersion
from trellis.people.models import Person
from trellis.qa import selectors as qa_selectors
from trellis.qa.models import PostKind

router = Router(tags=["library"])

ResourceId = PathEx[int, P(ge=1, le=MAX_ID, description="A resource's id.")]
QuestionId = PathEx[int, P(ge=1, le=MAX_ID, description="A question's id.")]

ResourceTitle = Annotated[
    StrictStr, StringConstraints(max_length=services.TITLE_MAX, pattern=NOT_BLANK)
]
ResourceBody = Annotated[
    StrictStr,
    StringConstraints(max_length=services.BODY_MAX, pattern=NO_NUL),
    Field(description="Markdown."),
]
# The services take http:// and https:// addresses (any case), surrounding spaces stripped.
URL = rf"[Hh][Tt][Tt][Pp][Ss]?://{NOT_SPACE}+"
URL_PATTERN = rf"^{SPACE}*(?:{URL}{SPACE}*)?$"
Address = Annotated[
    StrictStr,
    StringConstraints(max_length=500, pattern=URL_PATTERN),
    Field(description="An http:// or https:// address."),
]
IntervalDays = Annotated[
    int,
    Field(
        ge=1,
        le=services.MAX_INTERVAL_DAYS,
        description="Check it again every so many days (the community's default when null).",
    ),
    JSON_INTEGER,
]
Note = Annotated[StrictStr, StringConstraints(max_length=200, pattern=NO_NUL)]
LINK_KINDS = sorted(str(kind) for kind in URL_KINDS)


# -- schemas ------------------------------------------------------------------------------


class ResourceSummary(Schema):
    id: int
    community: CommunityRef | None = Field(description="None: the whole organisation's.")
    kind: ResourceKind
    title: str
    url: str
    tags: list[str]
    owners: list[PersonBrief]
    version: int
    freshness: Freshness = Field(
        description="`due` two weeks before `verify_by`, `stale` a month after it."
    )
    verified_at: datetime
    verify_by: datetime
    obsolete_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Resource) -> list[str]:
        return [tag.name for tag in obj.tags.all()]  # prefetched, by name

    @staticmethod
    def resolve_owners(obj: Resource) -> list[Person]:
        return list(obj.owners.all())  # prefetched, by name

    @staticmethod
    def resolve_freshness(obj: Resource) -> str:
        return obj.freshness()


class ResourcePage(Paged[ResourceSummary]):
    pass


class ResourceRef(Schema):
    id: int
    title: str
    kind: ResourceKind


class AttributionOut(Schema):
    """Who wrote what a promoted guide was made from."""

    name: str = ""
    person_id: int | None = None
    role: str = Field("", description="asked or answered")
    source_url: str = ""
    license: str = ""


class ResourceOut(Schema):
    id: int
    community: CommunityRef | None
    kind: ResourceKind
    title: str
    body: str = Field(description="Markdown, as written.")
    body_html: str = Field(description="Sanitised HTML, safe to display.")
    url: str
    tags: list[str]
    owners: list[PersonBrief]
    version: int
    verification_interval_days: int | None = Field(
        description="None: the community's default interval."
    )
    freshness: Freshness
    verified_at: datetime
    verified_by: PersonBrief | None
    verify_by: datetime
    obsolete_at: datetime | None
    canonical: ResourceRef | None = Field(
        description="The resource to read instead, when this one is a duplicate (and you may "
        "see it)."
    )
    duplicates: list[ResourceRef] = Field(description="Resources merged into this one.")
    source_question_id: int | None = Field(description="The thread it was promoted from.")
    attribution: list[AttributionOut]
    created_by: PersonBrief | None
    created_at: datetime
    updated_at: datetime


class VersionOut(Schema):
    number: int
    kind: ResourceKind
    title: str
    body: str
    url: str
    editor: PersonBrief | None
    note: str
    created_at: datetime


class VersionPage(Paged[VersionOut]):
    pass


class ResourceParams(PageParams):
    community: SlugFilter = Field("", description="A community's slug; every resource if empty.")
    kind: Maybe[ResourceKind] = None
    state: Maybe[Freshness] = None
    tag: TagFilter = Field("", description="Only resources with this tag.")


def _create_schema(schema: dict[str, Any]) -> None:
    """Say in the document what the validators of ResourceCreate check."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]
    schema["if"] = {"properties": {"kind": {"enum": LINK_KINDS}}, "required": ["kind"]}
    url = {"pattern": rf"^{SPACE}*{URL}{SPACE}*$"}
    schema["then"] = {"required": ["url"], "properties": {"url": url}}
    schema["else"] = {"required": ["body"], "properties": {"body": {"pattern": NOT_BLANK}}}


class ResourceCreate(Input):
    """A link or a recording needs its `url`; every other kind needs a `body`."""

    model_config = Input.model_config | {"json_schema_extra": _create_schema}

    community: CommunitySlugRef | None = Field(
        None, description="The community's library; null or left out: the whole organisation's."
    )
    kind: ResourceKind
    title: ResourceTitle
    body: ResourceBody = Field("", validate_default=True)
    url: Address = Field("", validate_default=True)
    tags: TopicTags = Field(default_factory=list)
    verification_interval_days: IntervalDays | None = None

    @field_validator("body")
    @classmethod
    def _body_for_texts(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is not None and kind not in URL_KINDS and not value.strip():
            raise ValueError(f"A {kind} needs its content (Markdown works).")
        return value

    @field_validator("url")
    @classmethod
    def _url_for_links(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind in URL_KINDS and not value.strip():
            raise ValueError(f"A {kind} needs its address.")
        return value


class ResourceUpdate(Input):
    """Only the fields sent change; every save is a new version and counts as a verification.
    A link or recording left without an address, or a text without content, is a 409."""

    kind: Maybe[ResourceKind] = None
    title: Maybe[ResourceTitle] = None
    body: Maybe[ResourceBody] = None
    url: Maybe[Address] = None
    tags: Maybe[TopicTags] = None
    verification_interval_days: IntervalDays | None = None
    note: Note = Field("", description="What changed, for the history.")


class CanonicalIn(Input):
    canonical: Id | None = Field(
        description="The resource to keep; null says this one is not a duplicate after all."
    )


class PromoteIn(Input):
    title: Maybe[ResourceTitle] = Field(None, description="The question's title if left out.")
    kind: Literal["guide", "howto", "faq"] = "guide"


# -- helpers ------------------------------------------------------------------------------

RESOURCE_FIELDS = (
    "id",
    "community",
    "kind",
    "title",
    "body",
    "body_html",
    "url",
    "version",
    "verification_interval_days",
    "verified_at",
    "verified_by",
    "verify_by",
    "obsolete_at",
    "attribution",
    "created_by",
    "created_at",
    "updated_at",
)


def _resource(actor: Person, resource_id: int) -> dict[str, Any]:
    resource = selectors.resource_get(viewer=actor, resource_id=resource_id)
    canonical = None
    if resource.canonical_id is not None:
        try:
            canonical = selectors.resource_get(viewer=actor, resource_id=resource.canonical_id)
        except NotFound:
            canonical = None  # merged into something this viewer may not see
    source = resource.source_post_id
    if source is not None and not qa_selectors.visible_posts(actor).filter(pk=source).exists():
        source = None
    return {name: getattr(resource, name) for name in RESOURCE_FIELDS} | {
        "tags": list(resource.tags.order_by("name").values_list("name", flat=True)),
        "owners": selectors.resource_owners(resource),
        "freshness": resource.freshness(),
        "canonical": canonical,
        "duplicates": selectors.resource_duplicates(viewer=actor, resource=resource),
        "source_question_id": source,
    }


def _community(actor: Person, slug: str | None) -> Any:
    if slug is None:
        return None
    try:
        return community_selectors.community_get(viewer=actor, slug=slug)
    except NotFound as error:
        raise NotFound(error.message, field_errors={"community": error.message}) from error


# -- resources ----------------------------------------------------------------------------


@router.get(
    "/resources",
    response={200: ResourcePage, **error_responses()},
    summary="List resources",
    description="Every current resource you may see, or one community's (404 for a community "
    "you may not see), the most recently changed first. Duplicates are left out.",
)
def resources_list(request: HttpRequest, params: Query[ResourceParams]) -> Page[Resource]:
    actor = viewer(request)
    community = None
    if params.community:
        community = community_selectors.community_get(viewer=actor, slug=params.community)
    return selectors.resource_list(
        viewer=actor,
        community=community,
        kind=params.kind or "",
        state=params.state or "",
        tag=params.tag.strip().lower(),
        page=params.page,
        page_size=params.page_size,
    )


@router.post(
    "/resources",
    response={201: ResourceOut, **error_responses()},
    summary="Add a resource (members of the community; anyone, organisation-wide)",
    description="You become its owner: you will be asked to verify it when it is due.",
)
def resources_create(request: HttpRequest, payload: ResourceCreate) -> Reply[dict[str, Any]]:
    actor = viewer(request)
    resource = services.resource_create(
        actor=actor,
        community=_community(actor, payload.community),
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        url=payload.url,
        tags=payload.tags,
        verification_interval_days=payload.verification_interval_days,
    )
    return Reply(201, _resource(actor, resource.pk))


@router.get(
    "/resources/{resource_id}",
    response={200: ResourceOut, **error_responses()},
    summary="A resource",
)
def resources_detail(request: HttpRequest, resource_id: ResourceId) -> dict[str, Any]:
    return _resource(viewer(request), resource_id)


@router.patch(
    "/resources/{resource_id}",
    response={200: ResourceOut, **error_responses(conflict=True)},
    summary="Edit a resource (its owners, the community's core team)",
)
def resources_update(
    request: HttpRequest, resource_id: ResourceId, payload: ResourceUpdate
) -> dict[str, Any]:
    actor = viewer(request)
    resource = selectors.resource_get(viewer=actor, resource_id=resource_id)
    sent = payload.model_fields_set
    interval = resource.verification_interval_days
    if "verification_interval_days" in sent:
        interval = payload.verification_interval_days
    with conflicts():  # a link without its address, a text without content
        services.resource_update(
            actor=actor,
            resource=resource,
            kind=payload.kind,
            title=resource.title if payload.title is None else payload.title,
            body=resource.body if payload.body is None else payload.body,
            url=resource.url if payload.url is None else payload.url,
            tags=payload.tags,
            verification_interval_days=interval,
            note=payload.note,
        )
    return _resource(actor, resource.pk)


@router.post(
    "/resources/{resource_id}/verify",
    response={200: ResourceOut, **error_responses()},
    summary="Confirm a resource still holds (its owners, the community's core team)",
    description="Starts the verification clock again, and revives an obsolete resource.",
)
def resources_verify(request: HttpRequest, resource_id: ResourceId) -> dict[str, Any]:
    actor = viewer(request)
    resource = selectors.resource_get(viewer=actor, resource_id=resource_id)
    services.resource_verify(actor=actor, resource=resource)
    return _resource(actor, resource.pk)


@router.put(
    "/resources/{resource_id}/obsolete",
    response={200: ResourceOut, **error_responses()},
    summary="Mark a resource obsolete (its owners, the community's core team)",
)
def resources_obsolete(request: HttpRequest, resource_id: ResourceId) -> dict[str, Any]:
    return _obsolete(request, resource_id, obsolete=True)


@router.delete(
    "/resources/{resource_id}/obsolete",
    response={200: ResourceOut, **error_responses()},
    summary="Bring an obsolete resource back",
)
def resources_revive(request: HttpRequest, resource_id: ResourceId) -> dict[str, Any]:
    return _obsolete(request, resource_id, obsolete=False)


def _obsolete(request: HttpRequest, resource_id: int, *, obsolete: bool) -> dict[str, Any]:
    actor = viewer(request)
    resource = selectors.resource_get(viewer=actor, resource_id=resource_id)
    services.resource_mark_obsolete(actor=actor, resource=resource, obsolete=obsolete)
    return _resource(actor, resource.pk)


@router.put(
    "/resources/{resource_id}/canonical",
    response={200: ResourceOut, **error_responses(conflict=True)},
    summary="Mark a resource as a duplicate of another (owners, the community's core team)",
    description="Resources that pointed at this one then point at the new canonical one. "
    "A resource cannot be a duplicate of itself or of one of its own duplicates (409).",
)
def resources_canonical(
    request: HttpRequest, resource_id: ResourceId, payload: CanonicalIn
) -> dict[str, Any]:
    actor = viewer(request)
    resource = selectors.resource_get(viewer=actor, resource_id=resource_id)
    # The service decides; this only keeps the lookup below from answering someone who may not
    # change the resource at all.
    owners = {person.pk for person in selectors.resource_owners(resource)}
    if not access.can_edit_content(actor, owners, resource.community):
        raise Forbidden("Only the owners or the community's core team can change this resource.")
    canonical = None
    if payload.canonical is not None:
        try:
            canonical = selectors.resource_get(viewer=actor, resource_id=payload.canonical)
        except NotFound as error:
            message = "No such resource, or you may not see it."
            raise NotFound(message, field_errors={"canonical": message}) from error
    with conflicts():  # a loop
        services.resource_mark_duplicate(actor=actor, resource=resource, canonical=canonical)
    return _resource(actor, resource.pk)


@router.get(
    "/resources/{resource_id}/versions",
    response={200: VersionPage, **error_responses()},
    summary="A resource's versions, newest first",
)
def resources_versions(
    request: HttpRequest, resource_id: ResourceId, params: Query[PageParams]
) -> Page[ResourceVersion]:
    _, versions = selectors.resource_versions(viewer=viewer(request), resource_id=resource_id)
    return paginate_list(versions, page=params.page, page_size=params.page_size)


@router.post(
    "/questions/{question_id}/promote",
    response={201: ResourceOut, **error_responses(conflict=True)},
    summary="Turn a question thread into a guide (the community's core team)",
    description="The guide quotes the question and its best answers (the accepted one first), "
    "credits their authors and links back. A question without answers is a 409.",
)
def questions_promote(
    request: HttpRequest, question_id: QuestionId, payload: PromoteIn
) -> Reply[dict[str, Any]]:
    actor = viewer(request)
    question = qa_selectors.post_get(viewer=actor, post_id=question_id, kind=PostKind.QUESTION)
    with conflicts():  # nothing answered yet
        resource = services.resource_promote_question(
            actor=actor, question=question, title=payload.title or "", kind=payload.kind
        )
    return Reply(201, _resource(actor, resource.pk))
