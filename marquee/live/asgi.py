"""The live server's own entry for `GET /live/showtimes/<id>/seats/`: a plain ASGI handler.

config/asgi.py routes that one path here and every other request to Django. A stream stays
open for as long as its page: through Django's request path each one would run the whole
middleware stack and keep a thread of its own for its whole life. Here a stream is one
coroutine (and one waiting for the client to leave). What the middleware does that matters for
it is done here too: the Host header is checked against ALLOWED_HOSTS (Django's own
`get_host`), SecurityMiddleware redirects to HTTPS and adds its headers, and the response
carries an X-Request-ID. The stream itself (opening, catch-up, events) is the one the Django
view sends too (marquee/live/streams.py); its answers are built by the same functions
(marquee/live/views.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import uuid
from typing import TypeVar, cast

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, HttpResponseBase
from django.middleware.security import SecurityMiddleware

from marquee.common.middleware import VALID_REQUEST_ID
from marquee.live.streams import (
    BAD_REQUEST,
    HOST_REFUSED,
    METHOD_REFUSED,
    Refusal,
    SeatStream,
    since_of,
    stream_open,
)
from marquee.live.views import refusal_response, stream_response

logger = logging.getLogger("marquee.live")
security_logger = logging.getLogger("django.security.DisallowedHost")

# The URLconf's `showtimes/<int:showtime_id>/seats/` under `live/` (the int converter's digits);
# tests/live/test_asgi_handler.py checks that the two agree.
STREAM_PATH = re.compile(r"/live/showtimes/([0-9]+)/seats/")


def stream_showtime(scope) -> int | None:
    """The showtime whose stream an HTTP request asks for; None for any other path."""
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    match = STREAM_PATH.fullmatch(path)
    return int(match.group(1)) if match else None


def live_routed(site):
    """`site` (Django's ASGI application) with the live stream's path served by this module."""

    async def application(scope, receive, send) -> None:
        if scope["type"] == "http":
            showtime_id = stream_showtime(scope)
            if showtime_id is not None:
                await serve_stream(scope, receive, send, showtime_id)
                return
        await site(scope, receive, send)

    return application


def _no_response(request):  # SecurityMiddleware is only asked for its request and response hooks
    raise AssertionError("not called")


async def serve_stream(scope, receive, send, showtime_id: int) -> None:
    """Answer one request for a showtime's stream, as the Django view would."""
    incoming = next((value for name, value in scope["headers"] if name == b"x-request-id"), b"")
    request_id = incoming.decode("latin1")
    if not VALID_REQUEST_ID.match(request_id):
        request_id = uuid.uuid4().hex
    try:
        request = ASGIRequest(scope, io.BytesIO())
    except UnicodeDecodeError:  # a query string that is not UTF-8, as Django's handler: 400
        await _send_whole(send, refusal_response(BAD_REQUEST), request_id)
        return
    security = SecurityMiddleware(_no_response)
    refused = _refused(request, security)
    if refused is not None:
        await _send_whole(send, _secured(security, request, refused), request_id)
        return
    opened = await stream_open(showtime_id=showtime_id, since=since_of(request))
    if isinstance(opened, Refusal):
        await _send_whole(send, _secured(security, request, refusal_response(opened)), request_id)
        return
    try:
        start = _start(_secured(security, request, stream_response(opened)), request_id)
    except BaseException:
        opened.close()  # the viewer's place, given back
        raise
    del request, security  # nothing of the request outlives its first bytes
    await _send_stream(send, receive, start, opened)


def _refused(request: ASGIRequest, security: SecurityMiddleware) -> HttpResponse | None:
    """What the middleware would answer instead of the view: a Host not allowed, the redirect
    to HTTPS; then a method other than GET (the view's own refusal)."""
    try:
        request.get_host()
    except DisallowedHost as error:
        security_logger.error("%s", error, extra={"status_code": 400})
        return refusal_response(HOST_REFUSED)
    redirect = security.process_request(request)
    if redirect is not None:
        return redirect
    return refusal_response(METHOD_REFUSED) if request.method != "GET" else None


Response = TypeVar("Response", bound=HttpResponseBase)


def _secured(security: SecurityMiddleware, request: ASGIRequest, response: Response) -> Response:
    """SecurityMiddleware's headers (HSTS over HTTPS, nosniff, referrer and opener policies)."""
    # It only sets headers, on `response` itself: a streaming response takes them as well.
    security.process_response(request, cast(HttpResponse, response))
    return response


def _start(response: HttpResponseBase, request_id: str) -> dict:
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    headers.append((b"x-request-id", request_id.encode("ascii")))
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


async def _send_whole(send, response: HttpResponse, request_id: str) -> None:
    response["Content-Length"] = str(len(response.content))
    await send(_start(response, request_id))
    await send({"type": "http.response.body", "body": response.content, "more_body": False})


async def _until_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_stream(send, receive, start: dict, stream: SeatStream) -> None:
    """Send the stream's chunks as they come, until it ends or the client leaves."""
    serving = asyncio.current_task()
    assert serving is not None
    ended = False

    def client_left(watch: asyncio.Task) -> None:
        if watch.cancelled():
            return
        if watch.exception() is not None:  # a server's receive failing: the stream ends too
            logger.warning("live stream: receive failed: %r", watch.exception())
        if not ended:
            serving.cancel()

    watch = asyncio.get_running_loop().create_task(_until_disconnect(receive))
    watch.add_done_callback(client_left)
    try:
        await send(start)
        async with contextlib.aclosing(stream.__aiter__()) as chunks:
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        ended = True
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except asyncio.CancelledError:
        if ended or not watch.done() or watch.cancelled():
            raise  # the server is stopping: not ours to swallow
        serving.uncancel()  # the client left: this stream's end, nothing else's
    finally:
        ended = True
        watch.remove_done_callback(client_left)
        watch.cancel()
        stream.close()
