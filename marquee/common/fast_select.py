"""SELECT one row by primary key, with the SQL and its converters worked out once per model.

`Model.objects.get(pk=...)` compiles its SELECT on every call, and the token's user is read
that way on every logged-in request (docs/benchmarks.md, "Cached SELECT by id").
`get_by_pk()` runs the same statement the ORM builds, converts the values with the same
converters (SQLite's dates, booleans and decimals among them) and builds the instance with
`Model.from_db`, as a queryset does.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model

# The Django releases this was checked against (tests/common/test_shortcut_versions.py fails
# outside them: check the compiler and `from_db` paths again, then widen the range).
VERIFIED_DJANGO = ((5, 2), (5, 2))

M = TypeVar("M", bound=Model)

_plans: dict[tuple[type[Model], str], tuple[str, list[str], list]] = {}


def _plan(model: type[Model], alias: str) -> tuple[str, list[str], list]:
    compiler = model._base_manager.using(alias).filter(pk=0).query.get_compiler(alias)
    sql, params = compiler.as_sql()
    if list(params) != [0]:  # pragma: no cover - a model whose pk lookup is not one parameter
        raise ValueError(f"{model.__name__}: the primary-key lookup is not one parameter")
    columns = [column for column, _sql, _alias in compiler.select]
    attnames = [column.target.attname for column in columns]
    return sql, attnames, list(compiler.get_converters(columns).items())


def get_by_pk(model: type[M], pk: Any) -> M | None:
    """The instance with this primary key (all its fields loaded), or None."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    plan = _plans.get((model, alias))
    if plan is None:
        plan = _plans[model, alias] = _plan(model, alias)
    sql, attnames, converters = plan
    value = model._meta.pk.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for position, (functions, expression) in converters:
            converted = row[position]
            for function in functions:
                converted = function(converted, expression, connection)
            row[position] = converted
    return model.from_db(alias, attnames, row)
