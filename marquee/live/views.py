"""The live seat channel's Django view: `GET /live/showtimes/<id>/seats/?since=<version>`,
server-sent events (the stream and its events: marquee/live/streams.py).

The live server does not route the stream here: config/asgi.py hands that path to a plain
ASGI handler (marquee/live/asgi.py) that sends the same stream without Django's request path.
This view serves it when Django's own ASGI application is called directly, names the URL for
the pages (`live:showtime-seats`), and on a WSGI server (each viewer would hold a worker)
answers 421 `live_needs_asgi`, or redirects to `LIVE_URL`. The answers both entries give are
built here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse

from marquee.common.errors import error_body
from marquee.live.streams import (
    METHOD_REFUSED,
    NEEDS_ASGI,
    STREAM_HEADERS,
    Refusal,
    SeatStream,
    catch_up,
    since_of,
    stream_open,
    viewers,
)

__all__ = ["catch_up", "refusal_response", "showtime_seats", "stream_response", "viewers"]


def refusal_response(refusal: Refusal) -> JsonResponse:
    response = JsonResponse(error_body(refusal.code, refusal.message), status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


def stream_response(stream: SeatStream) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream)
    for name, value in STREAM_HEADERS.items():
        response[name] = value
    return response


async def showtime_seats(request, showtime_id: int):
    if request.method != "GET":
        return refusal_response(METHOD_REFUSED)
    if not isinstance(request, ASGIRequest):
        if settings.LIVE_URL:
            return HttpResponseRedirect(settings.LIVE_URL.rstrip("/") + request.get_full_path())
        return refusal_response(NEEDS_ASGI)
    opened = await stream_open(showtime_id=showtime_id, since=since_of(request))
    if isinstance(opened, Refusal):
        return refusal_response(opened)
    return stream_response(opened)
