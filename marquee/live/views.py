"""The live seat channel: `GET /live/showtimes/<id>/seats/?since=<version>`, server-sent events.

Events (the client is `marquee/web/static/web/js/live.js`):

- `seats`, id = the version: `{"version": v, "seats": [{"id": seat id, "status": ...}]}`, the
  seats that changed (status `available`, `held` or `sold`), in version order;
- `reset`: `{"version": v}`, the viewer is too far behind (or the changes are unknown): fetch
  the whole map and reconnect from `v`; the stream ends;
- a comment every `LIVE_HEARTBEAT_SECONDS`, so proxies keep an idle stream open.

It starts after `since` (or the `Last-Event-ID` an EventSource sends when it reconnects): the
changes since then come first, from the broker's log. It needs an ASGI server (each viewer is
an open request); a WSGI server answers 421 `live_needs_asgi`, or redirects to `LIVE_URL`.
"""

from __future__ import annotations

import logging
import threading

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError, connection
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET
from redis import RedisError

from marquee.catalog.models import Showtime
from marquee.common.errors import HTTP_STATUS, error_body
from marquee.common.local_cache import LocalCache
from marquee.live.broker import CLOSED, HEARTBEAT, Entry, Viewer, broker
from marquee.live.error_codes import LiveErrorCode

logger = logging.getLogger("marquee.live")

RETRY_MILLISECONDS = 2000  # how soon an EventSource reconnects after the stream ends


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


def _error(code: LiveErrorCode, message: str, **headers) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=HTTP_STATUS[code])
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unavailable() -> JsonResponse:
    return _error(
        LiveErrorCode.LIVE_UNAVAILABLE,
        "The live seat map is unavailable; the seat map refreshes by itself.",
        Retry_After="30",
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
    if _known_showtimes.get(showtime_id):
        return True
    found = await sync_to_async(_showtime_found, thread_sensitive=False)(showtime_id)
    if found:
        _known_showtimes.set(showtime_id, True)
    return found


def _since(request) -> int | None:
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


class _Stream:
    """The response's content: the catch-up, then each change as it comes, until a reset.

    Django closes it (`close`) once the response ends, the client having left or not; the
    viewer leaves then at the latest."""

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
            # Runs when the client leaves too: Django cancels the response, here.
            self.close()


@require_GET
async def showtime_seats(request, showtime_id: int):
    if not isinstance(request, ASGIRequest):
        if settings.LIVE_URL:
            return HttpResponseRedirect(settings.LIVE_URL.rstrip("/") + request.get_full_path())
        return _error(
            LiveErrorCode.LIVE_NEEDS_ASGI,
            "The live seat map is served by the ASGI server; this one is WSGI.",
        )
    try:
        exists = await _showtime_exists(showtime_id)
    except DatabaseError as error:
        logger.warning("live channel: showtime %s not checked: %s", showtime_id, error)
        return _unavailable()
    if not exists:
        return _error(LiveErrorCode.SHOWTIME_NOT_FOUND, "Showtime not found.")
    if not viewers.enter():
        return _error(
            LiveErrorCode.LIVE_FULL,
            "Too many viewers on this server; the seat map refreshes by itself.",
            Retry_After="30",
        )
    try:
        viewer, version, log = await broker().join(showtime_id)
    except (RedisError, OSError, TimeoutError) as error:
        viewers.leave()
        logger.warning("live channel unavailable: %s", error)
        return _unavailable()
    since = _since(request)
    start = version if since is None else since
    stream = _Stream(viewer, catch_up(start, version, log), start)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    # Seat ids and states only, the same as the public seat map: any page may listen.
    response["Access-Control-Allow-Origin"] = "*"
    return response
