"""Django's PostgreSQL backend, with the per-request health check skipped for a connection that
answered within the last second.

With persistent connections (`CONN_MAX_AGE`) and `CONN_HEALTH_CHECKS`, Django sends `SELECT 1`
before the first query of every request: under an on-sale rush that is one round trip in
three for a 409 and one in two for a seat-map read; back-to-back rushes ran about 4% faster
without it (docs/benchmarks.md, round 4). The check exists for a connection that died while
it sat idle: the server restarted, a pooler or firewall dropped it. A connection that
answered a query a moment ago is not that connection. So, as HikariCP
does with its alive-bypass window, a connection whose last request used it without an error
less than `HEALTH_CHECK_BYPASS_SECONDS` ago is taken as healthy; one idle for longer is
checked as before. A database that fails within that second fails the request that finds
out (a 503, as any query during an outage), and Django replaces the connection after it.
"""

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_BYPASS_SECONDS = 1.0
_clock = time.monotonic


class DatabaseWrapper(base.DatabaseWrapper):
    _answered_at: float | None = None  # when the last request that used it ended, no error

    def close_if_unusable_or_obsolete(self):
        # At the end of a request `health_check_done` says the connection was used in it (the
        # first query checked, or skipped the check); it is reset here for the next request.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self._answered_at = _clock()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self._answered_at is not None
            and _clock() - self._answered_at < HEALTH_CHECK_BYPASS_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close(self):
        self._answered_at = None
        super().close()
