"""What a database error means, the same on every supported backend.

"Someone else has these rows right now" (a deadlock, a lock wait or statement timeout, a
serialization failure) is an answer to try again, never a crash: the booking and catalog
services turn it into a 409, whichever database raised it.
"""

from __future__ import annotations

from django.db import DatabaseError

# PostgreSQL SQLSTATEs: deadlock, lock not available, serialization failure, statement timeout.
POSTGRES_LOCK_CONFLICTS = {"40P01", "55P03", "40001", "57014"}
# MySQL and MariaDB error numbers: lock wait timeout, deadlock, NOWAIT lock refused,
# statement time limit (MySQL's max_execution_time, MariaDB's max_statement_time).
MYSQL_LOCK_CONFLICTS = {1205, 1213, 3572, 3024, 1969}
MYSQL_DEADLOCK = 1213


def mysql_error_number(error: DatabaseError) -> int | None:
    """The server's error number of a MySQL/MariaDB error (mysqlclient's first argument)."""
    args = getattr(error.__cause__, "args", None) or error.args
    return args[0] if args and isinstance(args[0], int) else None


def is_lock_conflict(error: DatabaseError) -> bool:
    """A deadlock, lock timeout or serialization failure: the transaction may be retried."""
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in POSTGRES_LOCK_CONFLICTS:
        return True
    if mysql_error_number(error) in MYSQL_LOCK_CONFLICTS:
        return True
    return "database is locked" in str(error).lower()  # SQLite's busy timeout ran out


def is_deadlock(error: DatabaseError) -> bool:
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == "40P01":
        return True
    return mysql_error_number(error) == MYSQL_DEADLOCK
