"""Counting the SQL a piece of code runs, leaving out transaction control.

SQLite's `BEGIN IMMEDIATE`/`COMMIT` go through the cursor (and so are captured) while
PostgreSQL's do not; counting only data statements makes one limit hold on both.
"""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@contextmanager
def assert_max_data_queries(limit: int):
    with CaptureQueriesContext(connection) as context:
        yield context
    data = [q["sql"] for q in context.captured_queries if not q["sql"].upper().startswith(CONTROL)]
    if len(data) > limit:
        pytest.fail(f"Expected at most {limit} queries, got {len(data)}:\n" + "\n".join(data))
