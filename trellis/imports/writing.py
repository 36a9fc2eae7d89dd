"""Database side shared by the importers: people from identities, tags, batched upserts.

Every function works on one batch at a time and looks things up by source id in the
database, so memory stays flat however large the export is.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import batched

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

# The importers' bulk writer lives in core (the expertise rebuild and the demo use it too);
# named here as well for the importers that take everything from this module.
from trellis.core.bulk import datetime_adapter, fast_insert
from trellis.core.models import Tag
from trellis.people.models import ExternalIdentity, Person

BATCH = 2000
PERSON_COLUMNS = (
    "password",
    "is_superuser",
    "email",
    "name",
    "title",
    "location",
    "skills",
    "interests",
    "bio",
    "is_active",
    "is_staff",
    "is_org_admin",
    "created_at",
)
IDENTITY_COLUMNS = ("person_id", "source", "external_id", "display_name", "profile_url")


def in_batches[T](items: Iterable[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    return batched(items, size)


@dataclass(frozen=True)
class Identity:
    external_id: str
    display_name: str
    profile_url: str = ""
    email: str = ""  # when the source knows it, the identity joins the existing person


@dataclass(frozen=True)
class Resolved:
    person_id: int
    name: str


def identities_ensure(
    source: str, identities: Sequence[Identity], email_domain: str
) -> tuple[dict[str, Resolved], int, int, int]:
    """Find or create the person behind each identity; returns (map, created, updated, same).

    People with a matching email join their existing account; the rest become inactive
    people (no sign-in) with a placeholder address in `email_domain`, a reserved domain.
    """
    wanted = {i.external_id: i for i in identities}
    known = {
        ext: (pk, name, shown, url)
        for ext, pk, name, shown, url in ExternalIdentity.objects.filter(
            source=source, external_id__in=list(wanted)
        ).values_list("external_id", "person_id", "person__name", "display_name", "profile_url")
    }
    result: dict[str, Resolved] = {}
    created = updated = same = 0
    changed: list[ExternalIdentity] = []
    renamed: list[Person] = []
    for ext, (pk, name, shown, url) in known.items():
        identity = wanted[ext]
        if (shown, url) != (identity.display_name, identity.profile_url):
            changed.append(
                ExternalIdentity(
                    pk=None,
                    external_id=ext,
                    display_name=identity.display_name,
                    profile_url=identity.profile_url,
                )
            )
            if name == shown:  # the person's name came from this identity: follow it
                renamed.append(Person(pk=pk, name=identity.display_name[:200]))
                name = identity.display_name
            updated += 1
        else:
            same += 1
        result[ext] = Resolved(pk, name)
    if changed:
        for row in changed:
            ExternalIdentity.objects.filter(source=source, external_id=row.external_id).update(
                display_name=row.display_name, profile_url=row.profile_url
            )
        Person.objects.bulk_update(renamed, ["name"])
    missing = [i for ext, i in wanted.items() if ext not in known]
    if missing:
        by_email = {
            email.lower(): (pk, name)
            for email, pk, name in Person.objects.filter(
                email__in=[i.email.lower() for i in missing if i.email]
            ).values_list("email", "pk", "name")
        }
        now = datetime_adapter()(timezone.now())
        new_people = [
            (
                "!",  # an unusable password: imported people cannot sign in
                False,
                f"{_local_part(source, identity.external_id)}@{email_domain}",
                (identity.display_name or identity.external_id)[:200],
                "",
                "",
                "[]",
                "[]",
                "",
                False,
                False,
                False,
                now,
            )
            for identity in missing
            if not (identity.email and identity.email.lower() in by_email)
        ]
        fast_insert(Person, PERSON_COLUMNS, new_people)
        emails = [row[2] for row in new_people]
        placeholder = dict(Person.objects.filter(email__in=emails).values_list("email", "pk"))
        rows = []
        for identity in missing:
            if identity.email and identity.email.lower() in by_email:
                pk, name = by_email[identity.email.lower()]
            else:
                email = f"{_local_part(source, identity.external_id)}@{email_domain}"
                pk, name = placeholder[email], identity.display_name or identity.external_id
            rows.append(
                (
                    pk,
                    source,
                    identity.external_id,
                    identity.display_name[:200],
                    identity.profile_url[:300],
                )
            )
            result[identity.external_id] = Resolved(pk, name)
        fast_insert(ExternalIdentity, IDENTITY_COLUMNS, rows)
        created += len(rows)
    return result, created, updated, same


def _local_part(source: str, external_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{source}.{external_id}")
    return safe.replace(":", ".")[:60].lower()


def identity_map(source: str, external_ids: Iterable[str]) -> dict[str, Resolved]:
    from django.db import connection

    ids = list(set(external_ids))
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        "SELECT i.external_id, i.person_id, p.name FROM people_externalidentity i "  # noqa: S608
        "JOIN people_person p ON p.id = i.person_id "
        f"WHERE i.source = %s AND i.external_id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source, *ids])
        return {ext: Resolved(pk, name) for ext, pk, name in cursor.fetchall()}


class TagCache:
    """Tag name → id, creating missing names; bounded so memory stays flat."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def resolve(self, names: Iterable[str]) -> dict[str, int]:
        names = {n[:50] for n in names if n}
        missing = [n for n in names if n not in self.ids]
        if missing:
            if len(self.ids) > self.LIMIT:
                self.ids.clear()
            Tag.objects.bulk_create([Tag(name=n) for n in missing], ignore_conflicts=True)
            self.ids.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
        return {n: self.ids[n] for n in names}


def imported[M: Model](model: type[M], source: str) -> QuerySet[M]:
    """Rows imported from `source`.

    Repeats the partial unique index's own condition (source is not empty): SQLite uses a
    partial index only when the query states its condition, and without it every lookup by
    source id scans the whole table.
    """
    return model._default_manager.filter(~Q(source=""), source=source)


def source_map(model: type[Model], source: str, source_ids: Iterable[str]) -> dict[str, int]:
    """Local ids of rows imported from `source`, by their source id.

    Plain SQL: the ORM spends longer preparing a 2,000-value IN list than the database
    spends answering it.
    """
    from django.db import connection

    ids = list(set(source_ids))
    if not ids:
        return {}
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT source_id, id FROM {table} "  # noqa: S608
        f"WHERE source = %s AND NOT (source = '') AND source_id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source, *ids])
        return dict(cursor.fetchall())
