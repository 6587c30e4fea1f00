"""One viewer's stream of a showtime's seat changes, whichever entry serves it.

Two entries serve `GET /live/showtimes/<id>/seats/`: the plain ASGI handler the live server
routes it to (`marquee/live/asgi.py`, no middleware, no thread) and the Django view
(`marquee/live/views.py`, for Django's own ASGI application and the WSGI server's 421 or
redirect). Both open the stream here (`stream_open`) and send what it yields; they differ only
in how the bytes reach the socket.

Events (the client is `marquee/web/static/web/js/live.js`):

- `seats`, id = the version: `{"version": v, "seats": [{"id": seat id, "status": ...}]}`, the
  seats that changed (status `available`, `held` or `sold`), in version order;
- `reset`: `{"version": v}`, the viewer is too far behind (or the changes are unknown): fetch
  the whole map and reconnect from `v`; the stream ends;
- a comment every `LIVE_HEARTBEAT_SECONDS`, so proxies keep an idle stream open.

It starts after `since` (or the `Last-Event-ID` an EventSource sends when it reconnects): the
changes since then come first, from the broker's log.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest
from redis import RedisError

from marquee.catalog.models import Showtime
from marquee.common.errors import HTTP_STATUS, CommonErrorCode
from marquee.common.local_cache import LocalCache
from marquee.live.broker import CLOSED, HEARTBEAT, Entry, Viewer, broker
from marquee.live.error_codes import LiveErrorCode
from marquee.live.lapses import lapses_follow

logger = logging.getLogger("marquee.live")

RETRY_MILLISECONDS = 2000  # how soon an EventSource reconnects after the stream ends
LARGEST_ID = 2**63 - 1  # a showtime id beyond any database's bigint is not found, not an error
# The stream's own headers, whichever entry serves it.
STREAM_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx: pass each event on at once
    # Seat ids and states only, the same as the public seat map: any page may listen.
    "Access-Control-Allow-Origin": "*",
}


class _Count:
    """This process's open streams (every event loop of it)."""

    def __init__(self) -> None:
        self.open = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.open >= settings.LIVE_MAX_VIEWERS:
                return False
            self.open += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.open -= 1


viewers = _Count()


@dataclass(frozen=True)
class Refusal:
    """A stream not opened: a code of the house's error shape, and any headers it needs."""

    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)


def refusal_unavailable() -> Refusal:
    return Refusal(
        LiveErrorCode.LIVE_UNAVAILABLE,
        "The live seat map is unavailable; the seat map refreshes by itself.",
        {"Retry-After": "30"},
    )


METHOD_REFUSED = Refusal(
    LiveErrorCode.METHOD_NOT_ALLOWED, "Only GET opens the stream.", {"Allow": "GET"}
)
BAD_REQUEST = Refusal(CommonErrorCode.BAD_REQUEST, "The request is malformed.")
HOST_REFUSED = Refusal(CommonErrorCode.BAD_REQUEST, "The Host header is not one this site serves.")
NEEDS_ASGI = Refusal(
    LiveErrorCode.LIVE_NEEDS_ASGI,
    "The live seat map is served by the ASGI server; this one is WSGI.",
)


# Showtimes this process has found: one database read per showtime and process, not one per
# viewer. A read in the request's own thread would keep a database connection open for as long
# as the stream (Django closes it when the request ends): one per viewer.
_known_showtimes: LocalCache[int, bool] = LocalCache("live_known_showtimes", max_size=10_000)


def _showtime_found(showtime_id: int) -> bool:
    try:
        return Showtime.objects.filter(pk=showtime_id).exists()
    finally:
        connection.close()  # a pool thread, serving no request: nothing closes it otherwise


async def _showtime_exists(showtime_id: int) -> bool:
    if showtime_id > LARGEST_ID:
        return False
    if _known_showtimes.get(showtime_id):
        return True
    found = await sync_to_async(_showtime_found, thread_sensitive=False)(showtime_id)
    if found:
        _known_showtimes.set(showtime_id, True)
    return found


def since_of(request: HttpRequest) -> int | None:
    """The version the viewer's map is at: the EventSource's `Last-Event-ID` when it
    reconnects, else the page's `since`; None (start from now) when absent or not a version."""
    value = request.headers.get("Last-Event-ID") or request.GET.get("since", "")
    if value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def frame(entry: Entry) -> bytes:
    if entry.reset:
        return b'event: reset\ndata: {"version":%d}\n\n' % entry.version
    return b"id: %d\nevent: seats\ndata: %s\n\n" % (entry.version, entry.data)


def _reset(version: int) -> Entry:
    return Entry(version, b"", reset=True)


def catch_up(since: int, version: int, log: list[Entry]) -> list[Entry]:
    """What a viewer whose map is at `since` needs first: the logged changes after it, or one
    reset when the log no longer reaches back to it (or it is ahead of the version: the log
    restarted)."""
    if since == version:
        return []
    later = [entry for entry in log if entry.version > since]
    if since > version or not later or later[0].version != since + 1:
        return [_reset(version)]
    if any(entry.reset for entry in later):
        return [_reset(version)]
    return later


class SeatStream:
    """The stream's bytes: the catch-up, then each change as it comes, until a reset.

    Whoever sends it calls `close` once the response ends, the client having left or not
    (Django does, and the plain handler); the viewer leaves then at the latest."""

    def __init__(self, viewer: Viewer, first: list[Entry], since: int) -> None:
        self.viewer, self.first, self.since = viewer, first, since
        self.closed = False
        self._closing = threading.Lock()

    def close(self) -> None:
        with self._closing:
            if self.closed:
                return
            self.closed = True
        viewers.leave()
        self.viewer.leave()

    async def __aiter__(self):
        last = self.since
        try:
            yield b"retry: %d\n: version %d\n\n" % (RETRY_MILLISECONDS, last)
            for entry in self.first:
                yield frame(entry)
                if entry.reset:
                    return
                last = entry.version
            queue = self.viewer.queue
            while True:
                entries = [await queue.get()]  # a change, or the hub's heartbeat
                # Whatever else is waiting goes out in the same write: under load a viewer
                # wakes once for many changes, not once per change.
                while not queue.empty():
                    entries.append(queue.get_nowait())
                frames = []
                for entry in entries:
                    if entry is CLOSED:
                        break
                    if entry is HEARTBEAT:
                        frames.append(entry.frame)
                        continue
                    if entry.version <= last and not entry.reset:
                        continue  # already sent in the catch-up
                    if entry.reset or entry.version != last + 1:
                        # Unknown changes, a gap, or this viewer fell too far behind its queue.
                        frames.append(frame(_reset(entry.version)))
                        break
                    frames.append(entry.frame or frame(entry))
                    last = entry.version
                else:
                    if frames:
                        yield b"".join(frames)
                    continue
                if frames:
                    yield b"".join(frames)
                return
        finally:
            # Runs when the client leaves too: the sender cancels the iteration, here.
            self.close()


async def stream_open(*, showtime_id: int, since: int | None) -> SeatStream | Refusal:
    """A viewer of the showtime from `since` (None: from now), counted against
    LIVE_MAX_VIEWERS; or why not (unknown showtime, too many viewers, Redis or the database
    not answering)."""
    try:
        exists = await _showtime_exists(showtime_id)
    except DatabaseError as error:
        logger.warning("live channel: showtime %s not checked: %s", showtime_id, error)
        return refusal_unavailable()
    if not exists:
        return Refusal(LiveErrorCode.SHOWTIME_NOT_FOUND, "Showtime not found.")
    if not viewers.enter():
        return Refusal(
            LiveErrorCode.LIVE_FULL,
            "Too many viewers on this server; the seat map refreshes by itself.",
            {"Retry-After": "30"},
        )
    try:
        viewer, version, log = await broker().join(showtime_id)
    except (RedisError, OSError, TimeoutError) as error:
        viewers.leave()
        logger.warning("live channel unavailable: %s", error)
        return refusal_unavailable()
    lapses_follow(viewer)
    start = version if since is None else since
    return SeatStream(viewer, catch_up(start, version, log), start)
