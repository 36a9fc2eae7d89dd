"""Bulk writing: plain rows straight into a table, for loads the ORM is too slow for.

The importers, the expertise rebuild and the demo organisation write from thousands to
millions of rows at a time; they all go through `fast_insert`, so there is one place that
knows how each database takes rows fastest.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import batched, chain
from typing import Any

from django.db import connection
from django.db.models import DateField, DateTimeField, Field, JSONField, Model
from django.utils import timezone


def fast_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    skip_clashes: bool = True,
) -> None:
    """Insert plain tuples, skipping rows that clash with a unique constraint.

    Why not bulk_create: it builds a model instance per row and prepares every value per field
    in Python, which is most of the time of a big load (most of a minute for the demo's 50,000
    people, minutes for a million imported posts); an executemany (SQLite) or a COPY
    (PostgreSQL) of ready tuples is an order of magnitude faster.

    `columns` are attribute names (`person_id`). Values must already be in database form:
    `datetime_adapter` for datetimes, or `database_rows` for rows of Python values. Columns
    left out get their field's default (`auto_now` / `auto_now_add` fields: now), taken once
    for the whole call, so a field added to the model later still gets a value; a default
    that must differ per row has to be given as a column.

    `skip_clashes=False` is for rows that cannot clash (fresh ids into empty tables): a clash
    then fails the load instead of being skipped, and PostgreSQL COPYs straight into the table,
    without the staging table that skipping needs (a third of the demo's write time).
    """
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    given = [fields[name] for name in columns]
    defaults = _defaults(model, columns)
    if defaults:
        extra = [value for _, value in defaults]
        stream = ([*row, *extra] for row in chain([first], stream))
    else:
        stream = chain([first], stream)
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    written = [*given, *(f for f, _ in defaults)]
    names = ", ".join(ops.quote_name(f.column or f.attname) for f in written)
    if connection.vendor == "postgresql":
        if skip_clashes:
            _copy_insert(table, names, stream)
        else:
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in stream:
                    copy.write_row(row)
        return
    _multirow_insert(table, names, len(written), stream, skip_clashes)


def _multirow_insert(
    table: str, names: str, width: int, rows: Iterable[Sequence[Any]], skip_clashes: bool
) -> None:
    """SQLite: INSERTs of as many rows each as the parameter limit allows.

    One statement per batch of rows does a third less work than an executemany of one-row
    statements (measured on the demo's 160,000 activity rows)."""
    per_statement = max(1, min(500, (connection.features.max_query_params or 999) // width))
    row_marks = "(" + ", ".join(["%s"] * width) + ")"
    on_conflict = " ON CONFLICT DO NOTHING" if skip_clashes else ""

    def statement(count: int) -> str:
        marks = ", ".join([row_marks] * count)
        return f"INSERT INTO {table} ({names}) VALUES {marks}{on_conflict}"  # noqa: S608

    full = statement(per_statement)
    with connection.cursor() as cursor:
        for batch in batched(rows, per_statement):
            values = [value for row in batch for value in row]
            cursor.execute(full if len(batch) == per_statement else statement(len(batch)), values)


def _defaults(model: type[Model], columns: Sequence[str]) -> list[tuple[Field[Any, Any], Any]]:
    """The fields `columns` leaves out that need a value, with it in database form.

    Nullable fields whose default is None are left to the database, which writes NULL.
    """
    now = timezone.now()
    found = []
    for f in model._meta.concrete_fields:
        if f.attname in columns or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = now
        else:
            value = f.get_default()
        if value is None:
            continue
        adapt = _adapter(f)
        found.append((f, adapt(value) if adapt is not None else value))
    return found


def _copy_insert(table: str, names: str, rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT … SELECT.

    A row-by-row INSERT costs PostgreSQL a statement each (a million posts took minutes);
    COPY streams them, and the INSERT … SELECT keeps ON CONFLICT DO NOTHING, which COPY has
    not. The temporary table goes with the transaction.
    """
    staging = connection.ops.quote_name(f"trellis_copy_{table.strip(chr(34))}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"TRUNCATE {staging}")


def _adapter(f: Field[Any, Any]) -> Callable[[Any], Any] | None:
    """The backend's own conversion of a field's Python value to database form, if it has one."""
    ops = connection.ops
    if isinstance(f, DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(f, DateField):
        return ops.adapt_datefield_value
    if isinstance(f, JSONField):
        encoder = f.encoder
        return lambda value: ops.adapt_json_value(value, encoder)
    return None


def database_rows(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Iterator[list[Any]]:
    """Rows of Python values (dates, datetimes, lists and dicts for JSON) in database form,
    converted by the backend's own adapters: simple for callers, slower per value than
    `datetime_adapter` (what the importers use on millions of rows)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    converters = [
        (k, adapt)
        for k, name in enumerate(columns)
        if (adapt := _adapter(fields[name])) is not None
    ]
    for row in rows:
        values = list(row)
        for k, adapt in converters:
            if values[k] is not None:
                values[k] = adapt(values[k])
        yield values


def datetime_adapter() -> Callable[[datetime | None], object]:
    """How to pass datetimes to `fast_insert`: SQLite keeps naive UTC text (as Django's own
    adapter does, minus its per-call checks); PostgreSQL takes the aware value as it is."""
    if connection.vendor != "sqlite":
        return lambda value: value

    def to_text(value: datetime | None) -> object:
        if value is None:
            return None
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ")

    return to_text
