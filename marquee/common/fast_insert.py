"""INSERT ... RETURNING for the hot path, with the SQL built once per model and row count.

`Model.objects.create()` and `bulk_create()` compile their INSERT on every call: on the hold
that costs more than the database does (docs/benchmarks.md, "Cached INSERTs"). `insert()`
writes the same rows with the ORM's own field machinery (`pre_save` fills `auto_now_add` and
`auto_now`, `get_db_prep_save` adapts each value for the database), but caches the
statement. Like `bulk_create`, it sends no model signals, so it is
only for models whose writes have no `post_save` receivers that matter.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model

# The Django releases this was checked against (tests/common/test_shortcut_versions.py fails
# outside them: check the compiler and `from_db` paths again, then widen the range).
VERIFIED_DJANGO = ((5, 2), (5, 2))

_statements: dict[tuple[type[Model], str, int], tuple[str, tuple]] = {}


def _statement(model: type[Model], connection, rows: int) -> tuple[str, tuple]:
    key = (model, connection.vendor, rows)
    if key not in _statements:
        _statements[key] = _build(model, connection.ops.quote_name, rows)
    return _statements[key]


def _build(model: type[Model], quote_name, rows: int) -> tuple[str, tuple]:
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    columns = ", ".join(quote_name(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Identifiers come from the model's metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote_name(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} RETURNING {quote_name(model._meta.pk.column)}"
    )
    return sql, fields


def insert(objects: Sequence[Model]) -> None:
    """Insert new instances of one model in one statement and set their primary keys.

    Falls back to `bulk_create` on a database that cannot return ids from an INSERT.
    """
    if not objects:
        return
    model = type(objects[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert:
        model._base_manager.using(alias).bulk_create(objects)  # pragma: no cover
        return
    sql, fields = _statement(model, connection, len(objects))
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection)
        for obj in objects
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    # Rows come back in VALUES order: bulk_create relies on the same on PostgreSQL and SQLite.
    for obj, (key,) in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = alias
