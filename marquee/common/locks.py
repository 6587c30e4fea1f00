"""Row locks, taken the same way on every supported database."""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet


def lock_rows(queryset: QuerySet) -> QuerySet:
    """`SELECT ... FOR UPDATE` of the queryset's own rows only, not of the rows it joins.

    PostgreSQL and MySQL 8 say so with `FOR UPDATE OF`; MariaDB cannot, so there the rows of
    the queryset's own table are locked first by primary key (in id order), and the returned
    queryset (joins and all) reads them under that lock without locking anything else.
    """
    connection = connections[queryset.db]
    if connection.features.has_select_for_update_of:
        return queryset.select_for_update(of=("self",))
    if not connection.features.has_select_for_update:
        return queryset  # SQLite: the IMMEDIATE transaction already holds the write lock
    ids = list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))
    return queryset.filter(pk__in=ids)
