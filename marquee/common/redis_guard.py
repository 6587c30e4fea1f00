"""Every Redis call of a process goes through one circuit breaker, so a Redis that hangs costs a
request at most one short timeout instead of one per call.

The cache's connection pool (`GuardedConnectionPool`, set in `CACHES`) asks the breaker before
it hands out a connection, and its connections (the throttle's own included: it builds them
from the pool's class) report what happened: a timeout, or a failed connect, opens the
breaker; an answer from Redis (even an error reply) closes it again after a probe. While it is
open, a call fails at once with `CircuitOpen` (a `redis.ConnectionError`), which django-redis's
IGNORE_EXCEPTIONS turns into a miss and the throttle into an admitted request: the request
degrades exactly as it does with Redis stopped, and the database decides every seat.

Two things must not get lost while Redis is skipped:

- **Invalidations.** A version bump or a delete that could not reach Redis is kept
  (`run_or_owe`) and sent again as soon as this process reaches Redis, before anything else.
- **What was kept under Redis's versions.** A process that lost Redis cannot know which bumps
  other processes missed meanwhile, so whatever it kept under a version (showtime contexts,
  rendered seat maps, catalog copies) carries the breaker's `epoch()` and is not reused under
  another one: after an outage everything is built afresh from the database.

An EOF or reset on an established connection does not count as a failure (Redis closing an
idle connection looks the same); the reconnect that follows does, if it fails.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from django.conf import settings
from redis import exceptions as redis_exceptions
from redis.connection import Connection, ConnectionPool

from marquee.common.circuit_breaker import CircuitBreaker

logger = logging.getLogger(__name__)


def _open_seconds() -> float:
    return float(getattr(settings, "REDIS_BREAKER_SECONDS", 5.0))


breaker = CircuitBreaker(open_seconds=_open_seconds)


class CircuitOpen(redis_exceptions.ConnectionError):
    """Redis was not called: it failed moments ago and the breaker is open."""


def enter() -> bool:
    """May this call go to Redis? The invalidations owed go first, before this call can read
    anything they retire (a probe sends them as its first calls)."""
    if not breaker.allow():
        return False
    if _owed:
        _send_owed()
        return breaker.allow()  # refused if sending them failed again
    return True


def epoch() -> int | None:
    """A number that changes each time this process loses Redis; None while it is skipped.
    Keep something under a version read from Redis only with the epoch read before building
    it, and reuse it only while `epoch()` is still that number."""
    return breaker.openings if breaker.closed else None


def _failed(error: BaseException) -> None:
    if breaker.failure():
        logger.warning(
            "Redis failed (%s): not called for %.1f s; caches bypassed, throttles open",
            error,
            _open_seconds(),
        )


def _answered() -> None:
    if breaker.success():
        logger.warning("Redis answers again: back in use")


_TIMEOUTS = (redis_exceptions.TimeoutError,)
_FAILURES = (redis_exceptions.ConnectionError, redis_exceptions.TimeoutError)
# A full pool is this process's own limit, not Redis failing (redis-py 8 names it).
_POOL_FULL = getattr(redis_exceptions, "MaxConnectionsError", ())


class _GuardedConnection:
    """Reports each command's outcome to the breaker (mixed into redis-py's connection class)."""

    def send_packed_command(self, command, check_health=True):
        connecting = self._sock is None
        try:
            return super().send_packed_command(command, check_health)
        except _FAILURES as error:
            if connecting or isinstance(error, _TIMEOUTS):
                _failed(error)
            raise

    def read_response(self, *args, **kwargs):
        try:
            response = super().read_response(*args, **kwargs)
        except redis_exceptions.ResponseError:
            _answered()  # an error reply is still an answer
            raise
        except _TIMEOUTS as error:
            _failed(error)
            raise
        _answered()
        return response


_guarded_classes: dict[type, type] = {}


def guarded(connection_class: type) -> type:
    """`connection_class` reporting to the breaker (TCP, TLS or Unix socket alike)."""
    if issubclass(connection_class, _GuardedConnection):
        return connection_class
    if connection_class not in _guarded_classes:
        _guarded_classes[connection_class] = type(
            f"Guarded{connection_class.__name__}", (_GuardedConnection, connection_class), {}
        )
    return _guarded_classes[connection_class]


class GuardedConnectionPool(ConnectionPool):
    """redis-py's pool whose connections report to the breaker, and which hands none out while
    the breaker is open (`CACHES[...]["OPTIONS"]["CONNECTION_POOL_CLASS"]`)."""

    def __init__(self, connection_class=Connection, **kwargs) -> None:
        super().__init__(connection_class=guarded(connection_class), **kwargs)

    def get_connection(self, *args, **kwargs):
        if not enter():
            raise CircuitOpen("Redis is skipped for a moment after a failure")
        try:
            return super().get_connection(*args, **kwargs)
        except _POOL_FULL:
            raise
        except _FAILURES as error:  # connecting (or reconnecting) failed
            _failed(error)
            raise


# --- Invalidations owed to Redis -------------------------------------------------------------

OWED_KEPT = 10_000  # distinct invalidations one process keeps while Redis is away
_owed: dict[str, Callable[[], object]] = {}
_owed_lock = threading.Lock()
_sending = threading.Lock()  # other threads wait while one sends what is owed
_sender = threading.local()  # marks the sending thread, whose own calls must not wait


def run_or_owe(name: str, action: Callable[[], object]) -> None:
    """Run a cache invalidation (a version bump, a delete) now; if Redis did not take it (it
    failed, or was skipped), keep it under `name` and run it again once Redis answers.

    Redis took it if the breaker stayed closed throughout: any failure opens it. A cache that
    is not Redis never opens it."""
    openings = breaker.openings
    action()
    if breaker.closed and breaker.openings == openings:
        return
    with _owed_lock:
        _owed.pop(name, None)  # kept once, as the newest
        _owed[name] = action
        if len(_owed) > OWED_KEPT:
            dropped = next(iter(_owed))
            del _owed[dropped]
            logger.warning("too many invalidations owed to Redis; %s dropped", dropped)


def owed() -> list[str]:
    """The names of the invalidations waiting for Redis (tests, logs)."""
    with _owed_lock:
        return list(_owed)


def _send_owed() -> None:
    if getattr(_sender, "active", False):
        return  # this thread is sending them: these are its own calls
    with _sending:
        with _owed_lock:
            pending = list(_owed.items())
            _owed.clear()
        _sender.active = True
        try:
            for name, action in pending:
                try:
                    run_or_owe(name, action)  # kept again if Redis fails once more
                except Exception:  # a cache that raises: the caller's own call must go on
                    logger.exception("an invalidation owed to Redis failed; kept")
                    with _owed_lock:
                        _owed.setdefault(name, action)
        finally:
            _sender.active = False
    if pending:
        logger.warning("%d invalidations owed to Redis sent after an outage", len(pending))


def reset() -> None:
    """A closed breaker and nothing owed: a forked child, and each test."""
    global _owed_lock, _sending, _sender
    breaker.reset()
    _owed_lock, _sending, _sender = threading.Lock(), threading.Lock(), threading.local()
    _owed.clear()


os.register_at_fork(after_in_child=reset)
