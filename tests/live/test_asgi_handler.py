"""The live server's plain ASGI handler for `/live/showtimes/<id>/seats/` (marquee/live/asgi.py):
the same stream and the same answers as the Django view, without Django's request path; what
the middleware would do that matters for a stream (the Host check, SecurityMiddleware's
redirect and headers, X-Request-ID) it does itself."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.urls import reverse

from marquee.booking import services
from marquee.live import views
from marquee.live.asgi import live_routed, stream_showtime
from marquee.live.broker import seats_json
from tests.live.sse import Stream

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/live/showtimes/{}/seats/"


def run(scenario):
    return async_to_sync(scenario)()


@pytest.fixture
def plain_app(asgi_app):
    """The live server's application: the stream's path to the plain handler, the rest to
    Django (what config/asgi.py serves)."""
    return live_routed(asgi_app)


@pytest.fixture(params=["plain", "django"])
def entry(request, asgi_app):
    """Either entry of the stream: the plain handler, or the Django view (Django's ASGI
    application called directly). Both must answer alike."""
    return live_routed(asgi_app) if request.param == "plain" else asgi_app


@pytest.fixture
def hold_committed(customer, showtime, seats):
    def _hold(labels):
        return services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=[seats[label].pk for label in labels]
        )

    return sync_to_async(_hold)


# --- Routing ---------------------------------------------------------------------------------


def test_only_the_stream_path_of_the_url_conf_goes_to_the_plain_handler():
    def scope(path, root=""):
        return {"type": "http", "path": path, "root_path": root}

    assert stream_showtime(scope(reverse("live:showtime-seats", args=[12]))) == 12
    assert stream_showtime(scope("/app/live/showtimes/7/seats/", root="/app")) == 7
    for path in (
        "/live/showtimes/12/seats",
        "/live/showtimes/12/seats/more/",
        "/live/showtimes/x/seats/",
        "/live/showtimes//seats/",
        "/live/",
        "/api/showtimes/12/seats/",
        "/x/live/showtimes/12/seats/",
    ):
        assert stream_showtime(scope(path)) is None, path


def test_the_asgi_application_serves_the_stream_without_django_and_the_rest_with_it(
    local_broker, showtime, settings
):
    from config import asgi

    async def scenario():
        async with Stream(asgi.application, URL.format(showtime.pk)) as stream:
            streamed = stream.status, stream.headers
        async with Stream(asgi.application, "/healthz") as probe:
            return streamed, probe.status, await probe.body()

    (status, headers), probe_status, probe_body = run(scenario)
    assert status == 200
    assert "content-language" not in headers  # no middleware ran (PageLocaleMiddleware adds it)
    assert (probe_status, probe_body) == (200, b'{"status": "ok"}')


# --- The same stream from either entry ---------------------------------------------------------


def test_a_viewer_sees_each_hold_as_it_commits(
    entry, local_broker, showtime, seats, hold_committed
):
    async def scenario():
        async with Stream(entry, URL.format(showtime.pk) + "?since=0") as stream:
            assert stream.status == 200
            await hold_committed(["A1", "A2"])
            await hold_committed(["B1"])
            return stream.headers, await stream.events(2)

    headers, (first, second) = run(scenario)
    assert headers["content-type"] == "text/event-stream"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-accel-buffering"] == "no"
    assert headers["access-control-allow-origin"] == "*"
    assert (first["id"], first["json"]["seats"]) == (
        "1",
        [{"id": seats["A1"].pk, "status": "held"}, {"id": seats["A2"].pk, "status": "held"}],
    )
    assert (second["id"], second["event"]) == ("2", "seats")


def test_a_viewer_catches_up_from_since_then_follows(entry, local_broker, showtime, hold_committed):
    async def scenario():
        for label in ("A1", "A2", "A3"):
            await hold_committed([label])
        async with Stream(entry, URL.format(showtime.pk) + "?since=1") as stream:
            caught_up = await stream.events(2)
            await hold_committed(["A4"])
            return caught_up + await stream.events(1)

    assert [event["id"] for event in run(scenario)] == ["2", "3", "4"]


def test_last_event_id_wins_over_since(entry, local_broker, showtime, hold_committed):
    async def scenario():
        for label in ("A1", "A2", "A3"):
            await hold_committed([label])
        url = URL.format(showtime.pk) + "?since=0"
        async with Stream(entry, url, {"Last-Event-ID": "2"}) as stream:
            return await stream.events(1, timeout=0.5)

    assert [event["id"] for event in run(scenario)] == ["3"]


def test_a_viewer_too_far_behind_gets_a_reset_and_the_stream_ends(entry, local_broker, showtime):
    local_broker.log_size = 3
    for seat in range(1, 8):
        local_broker.publish(showtime.pk, seats_json([(seat, "held")]))

    async def scenario():
        async with Stream(entry, URL.format(showtime.pk) + "?since=2") as stream:
            events = await stream.events(2, timeout=2)
            await stream.body()
            return events, stream.ended

    events, ended = run(scenario)
    assert [(event["event"], event["json"]) for event in events] == [("reset", {"version": 7})]
    assert ended
    assert views.viewers.open == 0


def test_a_reset_published_while_watching_ends_the_stream(entry, local_broker, showtime):
    async def scenario():
        async with Stream(entry, URL.format(showtime.pk)) as stream:
            await stream.blocks(1)
            local_broker.publish(showtime.pk, None)  # the changes are unknown
            events = await stream.events(1)
            await stream.body()
            return events, stream.ended

    events, ended = run(scenario)
    assert [(event["event"], event["json"]) for event in events] == [("reset", {"version": 1})]
    assert ended


def test_the_plain_handler_sends_what_the_django_view_sends(
    asgi_app, plain_app, local_broker, showtime
):
    for seat in range(1, 4):
        local_broker.publish(showtime.pk, seats_json([(seat, "held")]))

    async def body_of(app):
        async with Stream(app, URL.format(showtime.pk) + "?since=1") as stream:
            await stream.events(2)
            return b"".join(stream.chunks)

    async def scenario():
        return await body_of(asgi_app), await body_of(plain_app)

    through_django, plain = run(scenario)
    assert plain == through_django
    assert plain.startswith(b"retry: 2000\n: version 1\n\n")


def test_an_unknown_showtime_is_a_404_in_the_house_error_shape(entry, local_broker):
    async def scenario():
        async with Stream(entry, URL.format(999_999)) as stream:
            return stream.status, stream.headers["content-type"], await stream.body()

    assert run(scenario) == (
        404,
        "application/json",
        b'{"error": {"code": "showtime_not_found", "message": "Showtime not found.", '
        b'"details": {}}}',
    )


def test_a_showtime_id_beyond_any_database_is_a_404_not_an_error(plain_app, local_broker):
    async def scenario():
        async with Stream(plain_app, URL.format(10**30)) as stream:
            return stream.status, await stream.body()

    status, body = run(scenario)
    assert status == 404
    assert b'"showtime_not_found"' in body


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_only_get_opens_the_stream(entry, local_broker, showtime, method):
    async def scenario():
        async with Stream(entry, URL.format(showtime.pk), method=method) as stream:
            return stream.status, stream.headers.get("allow"), await stream.body()

    status, allow, body = run(scenario)
    assert (status, allow) == (405, "GET")
    assert b'"code": "method_not_allowed"' in body
    assert views.viewers.open == 0


# Through Django, CsrfViewMiddleware refuses an unsafe method first (403); the plain handler
# has no CSRF check to run (the stream changes nothing) and says what is wrong.
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_an_unsafe_method_is_a_405_from_the_plain_handler(
    plain_app, local_broker, showtime, method
):
    async def scenario():
        async with Stream(plain_app, URL.format(showtime.pk), method=method) as stream:
            return stream.status, stream.headers.get("allow"), await stream.body()

    status, allow, body = run(scenario)
    assert (status, allow) == (405, "GET")
    assert b'"code": "method_not_allowed"' in body
    assert views.viewers.open == 0


def test_viewers_beyond_the_process_limit_get_503_live_full(
    entry, local_broker, showtime, settings
):
    settings.LIVE_MAX_VIEWERS = 2

    async def scenario():
        async with Stream(entry, URL.format(showtime.pk)) as first:
            async with Stream(entry, URL.format(showtime.pk)) as second:
                counted = views.viewers.open
                async with Stream(entry, URL.format(showtime.pk)) as third:
                    refused = third.status, third.headers.get("retry-after"), await third.body()
            await asyncio.sleep(0.05)
            async with Stream(entry, URL.format(showtime.pk)) as fourth:
                after = fourth.status  # the second one's place was given back
        return first.status, second.status, counted, refused, after

    first, second, counted, (status, retry_after, body), after = run(scenario)
    assert (first, second, counted) == (200, 200, 2)
    assert (status, retry_after) == (503, "30")
    assert b'"code": "live_full"' in body
    assert after == 200
    assert views.viewers.open == 0


def test_a_viewer_who_disconnects_is_forgotten_at_once(entry, local_broker, showtime):
    async def scenario():
        loop = asyncio.get_running_loop()
        stream = Stream(entry, URL.format(showtime.pk))
        await stream.__aenter__()
        await stream.blocks(1)
        watching = views.viewers.open, len(local_broker._hubs[loop].viewers)
        stream.incoming.put_nowait({"type": "http.disconnect"})
        await asyncio.wait_for(stream.task, 5)  # the handler returns: nothing left running
        await asyncio.sleep(0.01)  # the hub's removal runs on the loop
        left = views.viewers.open, len(local_broker._hubs[loop].viewers)
        return watching, left, stream.task.exception()

    assert run(scenario) == ((1, 1), (0, 0), None)


def test_without_redis_answering_the_stream_is_refused_with_retry_after(entry, showtime, settings):
    from marquee.live.broker import broker_reset

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nobody listens
    broker_reset()

    async def scenario():
        async with Stream(entry, URL.format(showtime.pk)) as stream:
            return stream.status, stream.headers.get("retry-after"), await stream.body()

    status, retry_after, body = run(scenario)
    broker_reset()
    assert (status, retry_after) == (503, "30")
    assert b'"code": "live_unavailable"' in body
    assert views.viewers.open == 0


# --- What the middleware would have done --------------------------------------------------------


def test_a_host_not_in_allowed_hosts_is_a_400(plain_app, local_broker, showtime, settings):
    settings.ALLOWED_HOSTS = ["marquee.example.com"]

    async def scenario():
        async with Stream(plain_app, URL.format(showtime.pk), {"Host": "evil.example"}) as bad:
            refused = bad.status, await bad.body()
        url = URL.format(showtime.pk)
        async with Stream(plain_app, url, {"Host": "marquee.example.com:443"}) as good:
            return refused, good.status

    (status, body), allowed = run(scenario)
    assert status == 400
    assert b'"code": "bad_request"' in body
    assert b"evil.example" not in body  # the caller's text is not echoed
    assert allowed == 200
    assert views.viewers.open == 0


def test_the_security_headers_and_the_request_id_are_on_the_stream(
    plain_app, local_broker, showtime, settings
):
    settings.SECURE_CONTENT_TYPE_NOSNIFF = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    settings.SECURE_HSTS_PRELOAD = False

    async def scenario():
        url = URL.format(showtime.pk)
        async with Stream(plain_app, url, {"X-Request-ID": "abc-123"}, scheme="https") as secure:
            first = secure.headers
        async with Stream(plain_app, url) as plain:
            return first, plain.headers

    secure, plain = run(scenario)
    assert secure["strict-transport-security"] == "max-age=3600"
    assert secure["x-content-type-options"] == "nosniff"
    assert secure["x-request-id"] == "abc-123"
    assert "strict-transport-security" not in plain  # HSTS only over HTTPS, as Django
    assert len(plain["x-request-id"]) == 32  # a fresh id


def test_plain_http_is_redirected_to_https_when_the_site_says_so(
    plain_app, local_broker, showtime, settings
):
    settings.SECURE_SSL_REDIRECT = True

    async def scenario():
        url = URL.format(showtime.pk) + "?since=3"
        async with Stream(plain_app, url) as plain:
            redirected = plain.status, plain.headers.get("location")
        async with Stream(plain_app, url, scheme="https") as secure:
            return redirected, secure.status

    (status, location), secure = run(scenario)
    assert (status, location) == (
        301,
        f"https://testserver/live/showtimes/{showtime.pk}/seats/?since=3",
    )
    assert secure == 200
    assert views.viewers.open == 0


def test_a_query_string_that_is_not_utf8_is_a_400(plain_app, local_broker, showtime):
    async def scenario():
        url = URL.format(showtime.pk)
        async with Stream(plain_app, url, raw_query=b"since=\xff") as stream:
            return stream.status, await stream.body()

    status, body = run(scenario)
    assert status == 400
    assert b'"code": "bad_request"' in body


def test_a_since_that_is_not_a_version_starts_from_now(plain_app, local_broker, showtime):
    local_broker.publish(showtime.pk, seats_json([(1, "held")]))

    async def scenario():
        url = URL.format(showtime.pk) + "?since=%F0%9F%8E%AC"
        async with Stream(plain_app, url, {"Last-Event-ID": "-1"}) as stream:
            first = await stream.blocks(1)
            return stream.status, first, await stream.events(1, timeout=0.3)

    status, first, events = run(scenario)
    assert status == 200
    assert first[0][":"] == ["version 1"]
    assert events == []


def test_through_redis_the_plain_handler_streams_each_hold(
    plain_app, redis_broker, showtime, seats, hold_committed
):
    async def scenario():
        async with Stream(plain_app, URL.format(showtime.pk)) as stream:
            await stream.blocks(1)
            await hold_committed(["D4"])
            events = await stream.events(1)
        await redis_broker.aclose()
        return events

    [event] = run(scenario)
    assert event["event"] == "seats"
    assert event["json"]["seats"] == [{"id": seats["D4"].pk, "status": "held"}]
    assert views.viewers.open == 0


def test_a_server_whose_receive_fails_ends_the_stream_and_frees_the_place(
    plain_app, local_broker, showtime, caplog
):
    async def scenario():
        stream = Stream(plain_app, URL.format(showtime.pk))
        await stream.__aenter__()
        await stream.blocks(1)
        stream.incoming.put_nowait(None)  # not an ASGI message: the handler's receive fails
        await asyncio.wait_for(stream.task, 5)
        return stream.task.exception()

    assert run(scenario) is None
    assert views.viewers.open == 0
    assert "receive failed" in caplog.text
