"""The project's URLs plus a stand-in for the live seat channel (`live:showtime-seats`), built
to the contract the seat picker's live.js is written against (docs/architecture.md): an
EventSource stream of `seats` events from `?since=<version>`. Used until the real channel is
merged, so the client side of that contract is tested now."""

import json
import time

from django.http import StreamingHttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

# What the stand-in sends: the seat changes (list of {"id", "status"}) a test puts here.
script: dict = {"seats": [], "version": 0, "since": []}


def showtime_seats(request, showtime_id: int):
    script["since"].append(request.GET.get("since"))

    def events():
        yield b"retry: 60000\n\n"
        time.sleep(0.2)
        body = {"showtime": showtime_id, "version": script["version"], "seats": script["seats"]}
        yield f"event: seats\nid: {script['version']}\ndata: {json.dumps(body)}\n\n".encode()
        time.sleep(1.5)  # then close; EventSource would reconnect after `retry`

    return StreamingHttpResponse(events(), content_type="text/event-stream")


live_patterns = (
    [path("showtimes/<int:showtime_id>/seats/", showtime_seats, name="showtime-seats")],
    "live",
)
urlpatterns = [path("live/", include(live_patterns)), *project_urlpatterns]
