"""Fixed-window rate throttles: one cache `INCR` per throttle per request, nothing pickled.

DRF's `SimpleRateThrottle` keeps a sliding log, a pickled list of timestamps that it GETs and
SETs back on every request, a large share of a trivial request (docs/benchmarks.md, "Fixed
window throttles"). A counter per fixed window costs one round trip on
Redis (a script: `INCR`, and `EXPIRE` when it created the key); other caches `incr`, then
`add` once per window.

The trade-off: windows are aligned to the clock, not to each caller, so a burst straddling a
boundary can get up to twice the rate in one `duration` (N at the end of one window, N at the
start of the next). Rates here are abuse limits, not quotas, so that is acceptable.

On Redis one script call serves the whole request: the first fixed-window throttle to run
counts every fixed-window throttle of the view (a booking POST has two: the account's and the
booking burst), and reads the cache keys the apps registered for the request's route
(`marquee.common.shared_reads`): the seat map reads its two version numbers this way and a hold
the catalog version, so throttling and those reads cost one Redis round trip in all.

That call is bounded like every Redis call (`REDIS_TIMEOUT_SECONDS`) and goes through the
process's circuit breaker (`marquee.common.redis_guard`): while Redis is skipped after a
failure, requests are admitted without asking it, as when it is down.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time

from redis import exceptions as redis_exceptions
from rest_framework import exceptions, throttling

from marquee.common import redis_guard, shared_reads
from marquee.common.client_address import rate_limit_ident

logger = logging.getLogger(__name__)


class FixedWindowRateThrottle(throttling.SimpleRateThrottle):
    """Admits `num_requests` per key in each clock-aligned window of `duration` seconds; when
    the cache is unreachable every request is admitted (throttles fail open)."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.window = int(self.now // self.duration)
        window_key = f"{self.key}:{self.window}"
        counted = getattr(request, "throttle_counts", None)
        if counted is not None and window_key in counted:
            count = counted.pop(window_key)  # counted by the request's first throttle
        else:
            count = self._count_request(request, view, window_key)
        if count is None or count <= self.num_requests:
            return self.throttle_success()
        return self.throttle_failure()

    def get_ident(self, request) -> str:
        """The client's address as TRUSTED_PROXY_COUNT says (never a forged X-Forwarded-For),
        IPv6 counted by its /64."""
        return rate_limit_ident(request)

    def throttle_success(self) -> bool:
        return True  # the counter already holds this request; there is no history to write

    def wait(self) -> float:
        """Seconds until the current window ends (the Retry-After of a throttled request)."""
        window_ends_at = (self.window + 1) * self.duration
        return max(1.0, window_ends_at - self.now)

    def _count_request(self, request, view, window_key: str) -> int | None:
        """The window's count including this request; None when the cache cannot say.

        On Redis the first throttle of a request also counts the view's other fixed-window
        throttles (`request.throttle_counts`, taken by each when it runs) and reads the keys
        registered for the request's route into `shared_reads`, in the same script call."""
        django_client = getattr(self.cache, "client", None)
        if django_client is None or not type(django_client).__module__.startswith("django_redis"):
            return self._count_in_cache(window_key)
        client = django_client.get_client(write=True)
        first = hasattr(view, "get_throttles") and not hasattr(request, "throttle_counts")
        siblings, error = self._sibling_windows(request, view) if first else ([], None)
        reads = _reads_wanted(request)
        counters = [(window_key, self.duration + 1), *siblings]
        result = _redis_count(
            client,
            [django_client.make_key(key) for key, _ in counters]
            + [django_client.make_key(key) for key in reads],
            [ttl for _, ttl in counters],
        )
        if first:
            request.throttle_counts = {}
        if error is not None:
            # A sibling could not name its key (a body that does not parse): raised as that
            # throttle would have raised it, after this one counted the request.
            raise error
        if result is None:
            return None
        counts, values = result[: len(counters)], result[len(counters) :]
        if first:
            request.throttle_counts = {
                key: int(count) for (key, _), count in zip(siblings, counts[1:], strict=True)
            }
        if reads:
            shared_reads.remember(
                {
                    key: None if raw is None else django_client.decode(raw)
                    for key, raw in zip(reads, values, strict=True)
                }
            )
        return int(counts[0])

    def _sibling_windows(self, request, view) -> tuple[list[tuple[str, int]], Exception | None]:
        """(window key, expiry) of the view's other fixed-window throttles that apply to this
        request, to be counted along with this one; and the error a sibling raised, if any.

        This throttle is the first of the view's throttles to count, so the first instance of
        its own class in the view's list is its fresh twin: skipped without working out its
        key again."""
        from marquee.common.errors import DomainError  # here: errors imports DRF's views

        windows, own_seen, error = [], False, None
        for throttle in view.get_throttles():
            if not isinstance(throttle, FixedWindowRateThrottle) or throttle.rate is None:
                continue
            if not own_seen and type(throttle) is type(self):
                own_seen = True
                continue
            try:
                key = throttle.get_cache_key(request, view)
            except (exceptions.APIException, DomainError) as raised:  # a body that does not parse
                error = error or raised
                continue
            if key is None:
                continue
            windows.append((f"{key}:{int(self.now // throttle.duration)}", throttle.duration + 1))
        return windows, error

    def _count_in_cache(self, window_key: str) -> int | None:
        try:
            try:
                return self.cache.incr(window_key)
            except ValueError:
                pass  # the first request of this window for this key
            # One second beyond the window so the key never expires while the window is open.
            added = self.cache.add(window_key, 1, timeout=self.duration + 1)
            if added:
                return 1
            if added is None:
                return None  # django-redis with IGNORE_EXCEPTIONS: the cache is down
            # Another request created the key between our incr and add.
            return self.cache.incr(window_key)
        except Exception:
            # A cache that raises (a backend without IGNORE_EXCEPTIONS) must not turn a
            # request into a 500: an unmetered request is the lesser harm.
            logger.warning("throttle cache unavailable; admitting the request", exc_info=True)
            return None


def _reads_wanted(request) -> list[str]:
    """The cache keys the apps registered for this request's route (`shared_reads`)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return []
    return shared_reads.keys_for(request.method, match.view_name, match.kwargs)


# On Redis the counts and their expiry are one script call (EVALSHA): one round trip for every
# request, the first of a window included (INCR, then SET NX on a miss, would be two). KEYS are
# the counters, then the keys to read (GET); ARGV the counters' expiry in seconds, one each. It
# returns {count..., value...}. (Keys of one call must share a slot on Redis Cluster; this
# deployment uses a single Redis.)
_COUNT_AND_READ = """
local result = {}
for i = 1, #ARGV do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i]) end
  result[i] = count
end
for i = #ARGV + 1, #KEYS do result[i] = redis.call('GET', KEYS[i]) end
return result
"""
_COUNT_AND_READ_SHA = hashlib.sha1(_COUNT_AND_READ.encode(), usedforsecurity=False).hexdigest()
_last_outage_warning = 0.0
_own = threading.local()


def _forget_connections_after_fork() -> None:
    """A forked child must not share its parent's sockets: it starts with no connection."""
    global _own
    _own = threading.local()


os.register_at_fork(after_in_child=_forget_connections_after_fork)


def _own_connection(client):
    """This thread's own connection to the client's Redis, built as the client's pool builds
    its connections (same class, address, database, timeouts) but kept by the thread: the
    pool's checkout and check-in are a large share of the one Redis call of most requests
    (docs/benchmarks.md, "Throttle connection"). The connection is not taken from the pool,
    so a thread that ends takes nothing from the pool's count with it: its connection closes
    when the thread's storage is freed. A process forked after connecting builds its own."""
    pool = client.connection_pool
    held = getattr(_own, "held", None)
    if held is None or held.pool is not pool:
        _own.held = held = _Held(pool, pool.connection_class(**pool.connection_kwargs))
    return held.connection


class _Held:
    """A thread's throttle connection. It closes the connection as soon as the thread's
    storage lets go of it: the connection itself sits in a reference cycle with its parser,
    so on its own it would stay open until the garbage collector came round."""

    __slots__ = ("connection", "pool")

    def __init__(self, pool, connection) -> None:
        self.pool, self.connection = pool, connection

    def __del__(self) -> None:
        # After a fork this closes the child's copy only. Nothing to do about a socket that
        # will not close.
        with contextlib.suppress(Exception):
            self.connection.disconnect()


def _redis_count(client, keys: list[str], ttls: list[int]) -> list | None:
    connection = _own_connection(client)
    command = ("EVALSHA", _COUNT_AND_READ_SHA, len(keys), *keys, *ttls)
    for attempt in range(3):
        if not redis_guard.enter():
            return None  # Redis failed moments ago (the breaker logged it): admitted
        try:
            try:
                connection.send_command(*command)
                return connection.read_response()
            except redis_exceptions.ResponseError:
                raise  # a whole reply was read: the connection is in step
            except BaseException:
                # Anything between sending and reading the whole reply (a timeout, a worker
                # being stopped) would leave a reply in the socket for the next request.
                connection.disconnect()
                raise
        except redis_exceptions.NoScriptError:
            # Redis was restarted or flushed its scripts: EVAL runs the script and caches it.
            command = ("EVAL", _COUNT_AND_READ, *command[2:])
        except (redis_exceptions.ConnectionError, redis_exceptions.TimeoutError) as error:
            # A connection Redis closed (a restart, an idle timeout) is rebuilt once.
            if attempt or isinstance(error, redis_exceptions.TimeoutError):
                return _outage()
        except redis_exceptions.RedisError:
            return _outage()
    return _outage()


def _outage() -> None:
    """As django-redis's IGNORE_EXCEPTIONS does: a cache outage admits the request (and says so
    at most once a minute per process, not once per request)."""
    global _last_outage_warning
    if time.monotonic() - _last_outage_warning > 60:
        _last_outage_warning = time.monotonic()
        logger.warning("throttle cache unavailable; admitting requests", exc_info=True)
    return None


class AnonRateThrottle(FixedWindowRateThrottle, throttling.AnonRateThrottle):
    """DRF's anonymous-caller throttle (scope "anon", keyed by IP) on a fixed window."""


class UserRateThrottle(FixedWindowRateThrottle, throttling.UserRateThrottle):
    """DRF's per-user throttle (scope "user", keyed by user id, else IP) on a fixed window."""


class AccountRateThrottle(UserRateThrottle):
    """The default "user" scope, for logged-in callers only.

    DRF's `UserRateThrottle` also counts anonymous callers, by IP, in the "user" scope: a
    second counter, and a second Redis round trip on every anonymous request (the seat map's
    readers), for what the tighter "anon" scope already limits. Subclasses with scopes of
    their own (the booking burst) keep DRF's behaviour.
    """

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
