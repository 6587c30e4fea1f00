"""Seat changes per showtime: a version counter, a bounded replay log, and the fan-out to this
process's viewers.

Every change gets the showtime's next version and goes into its log (the last
`LIVE_REPLAY_SIZE` changes), from which a viewer who reconnects catches up. Two brokers with
one interface:

- `LocalBroker` (no REDIS_URL: the embedded default, one process): all in this process's
  memory. A change published in a request's thread reaches the viewers' event loop through
  `call_soon_threadsafe`.
- `RedisBroker`: one Lua script per change takes the version (INCR), appends to the log
  (RPUSH + LTRIM) and PUBLISHes, so versions, the log and the messages agree across every
  process. Each live process subscribes once (redis.asyncio) to one channel and hands every
  message to its own viewers of that showtime.

An entry is `b"<version> <json>"`, the json being the event's data as the client reads it:
`{"version": v, "seats": [{"id": ..., "status": ...}]}`, or `{"version": v, "reset": true}`
when the changes are unknown (published after Redis was unreachable): the viewers then
fetch the whole map. It is encoded once, when published, whatever the number of viewers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from django.conf import settings

logger = logging.getLogger("marquee.live")

QUEUE_SIZE = 256  # entries waiting for one slow viewer before it is told to start over
SHOWTIMES_KEPT = 10_000  # LocalBroker: showtimes whose log this process keeps


@dataclass(frozen=True, slots=True)
class Entry:
    version: int
    data: bytes  # the event's JSON
    reset: bool = False
    frame: bytes = b""  # the event as streamed (`seats` entries), made once for every viewer


def seats_entry(version: int, data: bytes) -> Entry:
    return Entry(version, data, False, b"id: %d\nevent: seats\ndata: %s\n\n" % (version, data))


# The feed ended (Redis lost): the stream ends, and the clients reconnect.
CLOSED = Entry(-1, b"", reset=True)
HEARTBEAT = Entry(-2, b"", False, b": heartbeat\n\n")  # an idle stream's comment


def seats_json(seats: Iterable[tuple[int, str]]) -> bytes:
    return orjson.dumps([{"id": seat_id, "status": status} for seat_id, status in seats])


def _entry_data(version: int, seats: bytes | None) -> bytes:
    if seats is None:
        return b'{"version":%d,"reset":true}' % version
    return b'{"version":%d,"seats":%s}' % (version, seats)


def parse_entry(raw: bytes) -> Entry:
    version, _, data = raw.partition(b" ")
    if data.endswith(b'"reset":true}'):
        return Entry(int(version), data, reset=True)
    return seats_entry(int(version), data)


class Viewer:
    """One open stream: its queue of entries, filled on its event loop."""

    def __init__(self, showtime_id: int, loop: asyncio.AbstractEventLoop, hub) -> None:
        self.showtime_id = showtime_id
        self.loop = loop
        self.queue: asyncio.Queue[Entry] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._hub = hub
        self._left = False

    @property
    def hub(self) -> _Hub:
        """The viewers of its event loop, by showtime (`hub.viewers`)."""
        return self._hub

    def put(self, entry: Entry) -> None:
        """On the viewer's loop: queue an entry; a viewer too far behind is told to start over
        from this entry (a reset), the entries before it dropped."""
        try:
            self.queue.put_nowait(entry)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Entry(entry.version, _entry_data(entry.version, None), True))

    def leave(self) -> None:
        """Stop receiving; safe to call twice and from any thread (Django closes a response
        from a worker thread)."""
        if self._left:
            return
        self._left = True
        # A closed loop has nothing left to remove it from.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._hub.remove, self)


class _Hub:
    """The viewers of one event loop, by showtime, and their heartbeats: one timer for all of
    them, rather than one per viewer and wait."""

    def __init__(self) -> None:
        self.viewers: dict[int, set[Viewer]] = {}
        self._beating: asyncio.Task | None = None

    def add(self, viewer: Viewer) -> None:
        self.viewers.setdefault(viewer.showtime_id, set()).add(viewer)
        if self._beating is None or self._beating.done():
            self._beating = viewer.loop.create_task(self._beat())

    async def _beat(self) -> None:
        while self.viewers:
            await asyncio.sleep(settings.LIVE_HEARTBEAT_SECONDS)
            for watching in list(self.viewers.values()):
                for viewer in list(watching):
                    if viewer.queue.empty():  # a viewer with changes waiting needs none
                        viewer.put(HEARTBEAT)

    def remove(self, viewer: Viewer) -> None:
        watching = self.viewers.get(viewer.showtime_id)
        if watching is not None:
            watching.discard(viewer)
            if not watching:
                del self.viewers[viewer.showtime_id]

    def deliver(self, showtime_id: int, entry: Entry) -> None:
        for viewer in list(self.viewers.get(showtime_id, ())):
            viewer.put(entry)

    def close_all(self) -> None:
        for watching in list(self.viewers.values()):
            for viewer in list(watching):
                viewer.put(CLOSED)


class LocalBroker:
    """This process only: the embedded default, and the tests."""

    def __init__(self, log_size: int) -> None:
        self.log_size = log_size
        self._lock = threading.Lock()
        self._versions: dict[int, int] = {}
        self._logs: dict[int, deque[Entry]] = {}
        self._hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Hub] = (
            weakref.WeakKeyDictionary()
        )

    # --- publishing (any thread) ---

    def publish(self, showtime_id: int, seats: bytes | None, counter=None) -> int:
        """Append a change (`seats`: `seats_json()`, None for a reset); its version back.
        (`counter` is for a Redis broker only: here the caller's cache is its own.)"""
        with self._lock:
            version = self._versions.get(showtime_id, 0) + 1
            if showtime_id not in self._versions and len(self._versions) >= SHOWTIMES_KEPT:
                forgotten = next(iter(self._versions))  # its viewers start over (a reset)
                del self._versions[forgotten]
                self._logs.pop(forgotten, None)
            self._versions[showtime_id] = version
            data = _entry_data(version, seats)
            entry = (
                Entry(version, data, reset=True) if seats is None else seats_entry(version, data)
            )
            self._logs.setdefault(showtime_id, deque(maxlen=self.log_size)).append(entry)
            hubs = list(self._hubs.items())
        for loop, hub in hubs:
            if showtime_id in hub.viewers:
                with contextlib.suppress(RuntimeError):  # that loop is closed
                    loop.call_soon_threadsafe(hub.deliver, showtime_id, entry)
        return version

    def version(self, showtime_id: int) -> int:
        with self._lock:
            return self._versions.get(showtime_id, 0)

    # --- viewing (on an event loop) ---

    async def join(self, showtime_id: int) -> tuple[Viewer, int, list[Entry]]:
        """A viewer of the showtime, then the version and log as they were when it joined:
        every entry after them reaches its queue."""
        loop = asyncio.get_running_loop()
        with self._lock:
            hub = self._hubs.get(loop)
            if hub is None:
                hub = self._hubs[loop] = _Hub()
            viewer = Viewer(showtime_id, loop, hub)
            hub.add(viewer)
            return (
                viewer,
                self._versions.get(showtime_id, 0),
                list(self._logs.get(showtime_id, ())),
            )


PUBLISH_SCRIPT = """
local version = redis.call('INCR', KEYS[1])
local data
if ARGV[1] == '' then
  data = '{"version":' .. version .. ',"reset":true}'
else
  data = '{"version":' .. version .. ',"seats":' .. ARGV[1] .. '}'
end
local entry = version .. ' ' .. data
redis.call('RPUSH', KEYS[2], entry)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', KEYS[3], ARGV[4] .. ' ' .. entry)
if KEYS[4] then
  if redis.call('EXISTS', KEYS[4]) == 1 then
    redis.call('INCR', KEYS[4])
  else
    redis.call('SET', KEYS[4], ARGV[5])
  end
end
return version
"""
JOIN_CONNECTIONS = 16  # per live process and event loop, besides its subscription
KEYS_SECONDS = 3 * 24 * 3600  # a showtime's version and log outlive its last change this long


class RedisBroker:
    """Across processes, through Redis: publishing with the cache's guarded client (sync),
    viewing with redis.asyncio (one subscription per event loop)."""

    def __init__(self, url: str, prefix: str, log_size: int) -> None:
        self.url, self.prefix, self.log_size = url, prefix, log_size
        self.channel = f"{prefix}live:seats"
        self._feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _RedisFeed] = (
            weakref.WeakKeyDictionary()
        )

    def keys(self, showtime_id: int) -> tuple[str, str]:
        return f"{self.prefix}live:seats:{showtime_id}:version", (
            f"{self.prefix}live:seats:{showtime_id}:log"
        )

    @staticmethod
    def _client():
        # The cache's client: its pool reports to the circuit breaker (common/redis_guard).
        from django_redis import get_redis_connection

        return get_redis_connection("default")

    def publish(
        self, showtime_id: int, seats: bytes | None, counter: tuple[str, int] | None = None
    ) -> int:
        """Raises redis.RedisError when Redis did not take it. `counter`: (key, fresh value)
        of the caller's, incremented (or set to the fresh value) in the same script.

        EVAL with the script's text rather than EVALSHA: one round trip whatever Redis has
        cached (no NOSCRIPT retry after a restart); Redis reuses the compiled script."""
        version_key, log_key = self.keys(showtime_id)
        keys = [version_key, log_key, self.channel]
        args = [seats or b"", self.log_size, KEYS_SECONDS, showtime_id]
        if counter is not None:
            keys.append(counter[0])
            args.append(counter[1])
        return int(self._client().eval(PUBLISH_SCRIPT, len(keys), *keys, *args))

    def version(self, showtime_id: int) -> int:
        value = self._client().get(self.keys(showtime_id)[0])
        return int(value) if value is not None else 0

    async def join(self, showtime_id: int) -> tuple[Viewer, int, list[Entry]]:
        loop = asyncio.get_running_loop()
        feed = self._feeds.get(loop)
        if feed is None or feed.dead:
            feed = self._feeds[loop] = _RedisFeed(self)
        return await feed.join(showtime_id)

    async def aclose(self) -> None:
        """Close this event loop's feed (tests; a server closes with its loop)."""
        feed = self._feeds.pop(asyncio.get_running_loop(), None)
        if feed is not None:
            await feed.close()


class _RedisFeed:
    """One event loop's subscription to the broker's channel and its viewers."""

    def __init__(self, broker: RedisBroker) -> None:
        import redis.asyncio

        self.broker = broker
        self.hub = _Hub()
        # Viewers joining at once wait for one of a few connections (for their catch-up read)
        # instead of failing with "Too many connections" or opening one each.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            broker.url,
            max_connections=JOIN_CONNECTIONS,
            timeout=10,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS * 4,
            socket_timeout=5.0,
        )
        self.redis = redis.asyncio.Redis(connection_pool=pool)
        self.pubsub = None
        self.reader: asyncio.Task | None = None
        self.dead = False
        self._starting = asyncio.Lock()

    async def _start(self) -> None:
        async with self._starting:
            if self.reader is not None:
                return
            pubsub = self.redis.pubsub()
            await pubsub.subscribe(self.broker.channel)
            # The confirmation first: from then on every PUBLISH reaches this feed.
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is None:
                    raise TimeoutError("Redis did not confirm the subscription")
                if message["type"] == "subscribe":
                    break
            self.pubsub = pubsub
            self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                # Timeouts while idle are normal: the feed just listens again.
                message = await self.pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=30.0
                )
                if message is None or message["type"] != "message":
                    continue
                showtime, _, raw = message["data"].partition(b" ")
                showtime_id = int(showtime)
                if showtime_id in self.hub.viewers:
                    self.hub.deliver(showtime_id, parse_entry(raw))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # Redis went away: viewers reconnect and catch up
            logger.warning("live feed from Redis lost (%s): its viewers reconnect", error)
            self.dead = True
            self.hub.close_all()

    async def join(self, showtime_id: int) -> tuple[Viewer, int, list[Entry]]:
        await self._start()
        viewer = Viewer(showtime_id, asyncio.get_running_loop(), self.hub)
        self.hub.add(viewer)
        try:
            version_key, log_key = self.broker.keys(showtime_id)
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(version_key)
                pipe.lrange(log_key, -self.broker.log_size, -1)
                version, raw_entries = await pipe.execute()
        except BaseException:
            viewer.leave()
            raise
        return viewer, int(version or 0), [parse_entry(raw) for raw in raw_entries]

    async def close(self) -> None:
        self.dead = True
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        if self.pubsub is not None:
            await self.pubsub.aclose()
        await self.redis.aclose()


_broker: LocalBroker | RedisBroker | None = None
_broker_lock = threading.Lock()


def broker() -> LocalBroker | RedisBroker:
    """The process's broker: Redis when REDIS_URL is set, else in-process."""
    global _broker
    with _broker_lock:
        if _broker is None:
            size = settings.LIVE_REPLAY_SIZE
            if settings.REDIS_URL:
                prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
                _broker = RedisBroker(settings.REDIS_URL, f"{prefix}:" if prefix else "", size)
            else:
                _broker = LocalBroker(size)
        return _broker


def broker_reset() -> None:
    """Forget the process's broker (tests: settings changed, or a fresh in-process log)."""
    global _broker
    with _broker_lock:
        _broker = None
