"""`GET /live/showtimes/<id>/seats/`: the seat changes of one showtime as server-sent events,
driven through the ASGI application as a server would (tests/live/sse.py)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client
from django.urls import reverse

from marquee.booking import services
from marquee.live import views
from marquee.live.broker import seats_json
from tests.live.sse import Stream

# Committed data: the view reads the showtime in a worker thread of its own, on a connection
# of its own, as in a server.
pytestmark = pytest.mark.django_db(transaction=True)

URL = "/live/showtimes/{}/seats/"


def run(scenario):
    return async_to_sync(scenario)()


@pytest.fixture
def hold_committed(customer, showtime, seats):
    """hold_committed(["A1"]) from the event loop: the hold, committed, and its publish."""

    def _hold(labels, user=None):
        return services.booking_hold(
            user=user or customer,
            showtime_id=showtime.pk,
            seat_ids=[seats[label].pk for label in labels],
        )

    return sync_to_async(_hold)


def test_a_viewer_sees_each_hold_as_it_commits_with_seat_ids_and_states_only(
    asgi_app, local_broker, showtime, seats, hold_committed
):
    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk) + "?since=0") as stream:
            assert stream.status == 200
            assert stream.headers["content-type"] == "text/event-stream"
            assert stream.headers["cache-control"] == "no-cache"
            await hold_committed(["A1", "A2"])
            await hold_committed(["B1"])
            return await stream.events(2)

    first, second = run(scenario)
    assert (first["event"], first["id"]) == ("seats", "1")
    assert first["json"] == {
        "version": 1,
        "seats": [
            {"id": seats["A1"].pk, "status": "held"},
            {"id": seats["A2"].pk, "status": "held"},
        ],
    }
    assert (second["id"], second["json"]["seats"]) == (
        "2",
        [{"id": seats["B1"].pk, "status": "held"}],
    )


def test_a_viewer_catches_up_from_its_version_then_follows(
    asgi_app, local_broker, showtime, seats, hold_committed
):
    async def scenario():
        for label in ("A1", "A2", "A3"):
            await hold_committed([label])
        async with Stream(asgi_app, URL.format(showtime.pk) + "?since=1") as stream:
            caught_up = await stream.events(2)
            await hold_committed(["A4"])
            return caught_up + await stream.events(1)

    assert [event["id"] for event in run(scenario)] == ["2", "3", "4"]


def test_a_reconnecting_event_source_resumes_from_its_last_event_id(
    asgi_app, local_broker, showtime, hold_committed
):
    async def scenario():
        for label in ("A1", "A2", "A3"):
            await hold_committed([label])
        # The page's URL still says since=0; the browser adds the last id it received.
        url = URL.format(showtime.pk) + "?since=0"
        async with Stream(asgi_app, url, {"Last-Event-ID": "2"}) as stream:
            return await stream.events(1, timeout=0.5)

    assert [event["id"] for event in run(scenario)] == ["3"]


def test_a_viewer_too_far_behind_gets_a_reset_to_the_current_version_and_the_stream_ends(
    asgi_app, local_broker, showtime, settings
):
    local_broker.log_size = 3
    for seat in range(1, 8):
        local_broker.publish(showtime.pk, seats_json([(seat, "held")]))

    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk) + "?since=2") as stream:
            events = await stream.events(2, timeout=2)
            await stream.body()  # returns: the stream ended
            return events, stream.ended

    events, ended = run(scenario)
    assert [(event["event"], event["json"]) for event in events] == [("reset", {"version": 7})]
    assert ended


def test_changes_waiting_for_a_viewer_go_out_in_one_write(asgi_app, local_broker, showtime):
    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk)) as stream:
            await stream.blocks(1)  # the stream is open and waiting
            for seat in (1, 2, 3):  # three commits before the viewer's next turn
                local_broker.publish(showtime.pk, seats_json([(seat, "held")]))
            events = await stream.events(3)
            return events, stream.chunks[-1]

    events, last_write = run(scenario)
    assert [event["id"] for event in events] == ["1", "2", "3"]
    assert last_write.count(b"event: seats") == 3


def test_a_viewer_without_a_version_starts_from_now(asgi_app, local_broker, showtime):
    local_broker.publish(showtime.pk, seats_json([(1, "held")]))

    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk)) as stream:
            first = await stream.blocks(1)
            events = await stream.events(1, timeout=0.3)
            return first, events

    first, events = run(scenario)
    assert first[0]["retry"] == "2000"
    assert events == []


def test_an_idle_stream_sends_heartbeats(asgi_app, local_broker, showtime, settings):
    settings.LIVE_HEARTBEAT_SECONDS = 0.05

    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk) + "?since=0") as stream:
            return await stream.blocks(3, timeout=2)

    blocks = run(scenario)
    assert blocks[1:] == [{":": ["heartbeat"]}, {":": ["heartbeat"]}]


def test_an_unknown_showtime_is_a_404_in_the_house_error_shape(asgi_app, local_broker):
    async def scenario():
        async with Stream(asgi_app, URL.format(999_999)) as stream:
            return stream.status, await stream.body()

    status, body = run(scenario)
    assert status == 404
    assert body == (
        b'{"error": {"code": "showtime_not_found", "message": "Showtime not found.", '
        b'"details": {}}}'
    )


def test_viewers_beyond_the_process_limit_get_503_live_full(
    asgi_app, local_broker, showtime, settings
):
    settings.LIVE_MAX_VIEWERS = 1

    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk)) as first:
            assert first.status == 200
            async with Stream(asgi_app, URL.format(showtime.pk)) as second:
                refused = second.status, second.headers.get("retry-after"), await second.body()
        await asyncio.sleep(0.05)
        async with Stream(asgi_app, URL.format(showtime.pk)) as third:
            return refused, third.status  # the first one's place was given back

    (status, retry_after, body), after = run(scenario)
    assert (status, retry_after) == (503, "30")
    assert b'"code": "live_full"' in body
    assert after == 200
    assert views.viewers.open == 0


def test_a_viewer_who_leaves_is_forgotten(asgi_app, local_broker, showtime):
    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk)) as stream:
            await stream.blocks(1)
            watching = (
                views.viewers.open,
                len(local_broker._hubs[asyncio.get_running_loop()].viewers),
            )
        await asyncio.sleep(0.05)
        left = views.viewers.open, len(local_broker._hubs[asyncio.get_running_loop()].viewers)
        return watching, left

    assert run(scenario) == ((1, 1), (0, 0))


def test_without_redis_answering_the_stream_is_refused_and_the_page_polls(
    asgi_app, showtime, settings
):
    from marquee.live.broker import broker_reset

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nobody listens
    broker_reset()

    async def scenario():
        async with Stream(asgi_app, URL.format(showtime.pk)) as stream:
            return stream.status, await stream.body()

    status, body = run(scenario)
    assert status == 503
    assert b'"code": "live_unavailable"' in body
    assert views.viewers.open == 0


def test_a_wsgi_server_answers_421_as_the_channel_needs_asgi(showtime, local_broker):
    response = Client().get(URL.format(showtime.pk))
    assert response.status_code == 421
    assert response.json()["error"]["code"] == "live_needs_asgi"


def test_a_wsgi_server_redirects_to_the_live_server_when_one_is_named(
    showtime, local_broker, settings
):
    settings.LIVE_URL = "https://live.example.com/"
    response = Client().get(URL.format(showtime.pk) + "?since=4")
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"https://live.example.com/live/showtimes/{showtime.pk}/seats/?since=4"
    )


def test_the_picker_page_names_the_channel_and_the_version_it_shows(local_broker, showtime, hold):
    hold(["A1"])
    hold(["A2"])
    html = Client().get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert f'data-live-url="/live/showtimes/{showtime.pk}/seats/"' in html
    assert 'data-seat-version="2"' in html
