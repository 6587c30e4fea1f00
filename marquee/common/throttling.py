"""Fixed-window rate throttles: one cache `INCR` per throttle per request, nothing pickled.

DRF's `SimpleRateThrottle` keeps a sliding log, a pickled list of timestamps that it GETs and
SETs back on every request; with Redis its two default throttles measured about 30% of a
trivial DRF request (docs/benchmarks.md). A counter per fixed window costs one round trip on
Redis (a script: `INCR`, and `EXPIRE` when it created the key); other caches `incr`, then
`add` once per window.

The trade-off: windows are aligned to the clock, not to each caller, so a burst straddling a
boundary can get up to twice the rate in one `duration` (N at the end of one window, N at the
start of the next). Rates here are abuse limits, not quotas, so that is acceptable.

A view may name cache keys to read in that same round trip (`throttle_reads_along`): the seat
map reads its two version numbers this way, so an unchanged map costs one Redis call in all.
"""

from __future__ import annotations

import logging
import time

from redis import exceptions as redis_exceptions
from rest_framework import throttling

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
        reads = _reads_wanted(request, view)
        count, values = self._count_request(f"{self.key}:{self.window}", reads)
        if values is not None:
            request.throttle_reads = dict(zip(reads, values, strict=True))
        if count is None or count <= self.num_requests:
            return self.throttle_success()
        return self.throttle_failure()

    def throttle_success(self) -> bool:
        return True  # the counter already holds this request; there is no history to write

    def wait(self) -> float:
        """Seconds until the current window ends (the Retry-After of a throttled request)."""
        window_ends_at = (self.window + 1) * self.duration
        return max(1.0, window_ends_at - self.now)

    def _count_request(
        self, window_key: str, reads: list[str] | None = None
    ) -> tuple[int | None, list | None]:
        """The window's count including this request (None when the cache cannot say), and
        on Redis the values of the cache keys `reads`, read in the same script call (None
        when not read: no keys, another cache, or Redis down)."""
        client = _redis_client(self.cache)
        if client is not None:
            django_client = self.cache.client
            keys = [django_client.make_key(key) for key in [window_key, *(reads or ())]]
            result = _redis_count(client, keys, self.duration + 1)
            if result is None:
                return None, None
            if not reads:
                return int(result), None
            values = [None if raw is None else django_client.decode(raw) for raw in result[1:]]
            return int(result[0]), values
        return self._count_in_cache(window_key), None

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


def _reads_wanted(request, view) -> list[str] | None:
    """The cache keys the view wants read along with the count, once per request."""
    wanted = getattr(view, "throttle_reads_along", None)
    if wanted is None or hasattr(request, "throttle_reads"):
        return None
    return wanted(request)


# On Redis the count and the expiry are one script call (EVALSHA): one round trip for every
# request, the first of a window included (INCR, then SET NX on a miss, would be two). Any
# further keys are read (GET) in the same call; it returns {count, values...} then. (Keys of
# one call must share a slot on Redis Cluster; this deployment uses a single Redis.)
_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if #KEYS == 1 then return count end
local result = {count}
for i = 2, #KEYS do result[i] = redis.call('GET', KEYS[i]) end
return result
"""
_scripts: dict[int, object] = {}
_last_outage_warning = 0.0


def _redis_client(cache):
    """The raw Redis client behind a django-redis cache, or None for any other backend."""
    client = getattr(cache, "client", None)
    if client is None or not type(client).__module__.startswith("django_redis"):
        return None
    return client.get_client(write=True)


def _redis_count(client, keys: list[str], ttl: int):
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_INCR_WITH_EXPIRY)
    try:
        return script(keys=keys, args=[ttl], client=client)
    except redis_exceptions.RedisError:
        # As django-redis's IGNORE_EXCEPTIONS does: a cache outage admits the request (and
        # says so at most once a minute per process, not once per request).
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
