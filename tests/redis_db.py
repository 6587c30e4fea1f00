"""The Redis database the tests use: never the one REDIS_URL configures for a running server.

Tests flush their Redis database before and after each test (`cache.clear()` is FLUSHDB). Next
to a dev server on the same Redis that would erase its queued tasks and cache, so the suite
works on a database of its own: TEST_REDIS_URL when set, else REDIS_URL with its database
number moved by 8 (modulo 16, Redis's default count): 0 -> 8, 7 -> 15, 12 -> 4.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE_OFFSET = 8
DATABASES = 16


def redis_database(url: str) -> int:
    """The database number a Redis URL selects (path or ?db=, as redis-py reads it; else 0)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "db" in query:
        return int(query["db"])
    path = parts.path.strip("/")
    return int(path) if parts.scheme != "unix" and path else 0


def with_database(url: str, database: int) -> str:
    """The same Redis URL selecting another database number."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "db" in query or parts.scheme == "unix":
        query["db"] = str(database)
        url = urlunsplit(parts._replace(query=urlencode(query)))
        # urlunsplit drops the empty host of unix:///path; redis-py reads both forms alike.
        return url.replace("unix:/", "unix:///", 1) if not parts.netloc else url
    return urlunsplit(parts._replace(path=f"/{database}"))


def suite_redis_url(configured: str | None) -> str:
    """TEST_REDIS_URL, else the configured URL (or Redis's default) on database + 8 mod 16."""
    base = configured or DEFAULT_REDIS_URL
    derived = with_database(base, (redis_database(base) + DATABASE_OFFSET) % DATABASES)
    chosen = os.environ.get("TEST_REDIS_URL") or derived
    if configured and _same_database(chosen, configured):
        raise ValueError(
            f"TEST_REDIS_URL ({chosen}) is the configured REDIS_URL: the tests flush their "
            "Redis database, so they need one of their own."
        )
    return chosen


def _same_database(one: str, other: str) -> bool:
    first, second = urlsplit(one), urlsplit(other)
    return (first.hostname, first.port, first.path if first.scheme == "unix" else None) == (
        second.hostname,
        second.port,
        second.path if second.scheme == "unix" else None,
    ) and redis_database(one) == redis_database(other)


# Computed once, when the suite starts (tests/conftest.py imports this first): the REDIS_URL
# the suite was started with (perhaps a dev server's, never flushed) and the suite's own.
CONFIGURED_REDIS_URL = os.environ.get("REDIS_URL", "")
TEST_REDIS_URL = suite_redis_url(CONFIGURED_REDIS_URL)
