"""Throttles count requests per clock-aligned window: N per window, then 429 until it ends."""

import gc
import os
import threading

import pytest
import redis
from django.core.cache import cache
from django.urls import ResolverMatch
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle

from marquee.common import shared_reads, throttling
from marquee.common.throttling import AnonRateThrottle, UserRateThrottle
from tests import factories
from tests.servers import dead_redis

pytestmark = pytest.mark.django_db

HOUR_START = 1_800_000_000 // 3600 * 3600  # also the start of a minute


class ThrottleClock:
    """The throttles' `timer`, moved by hand: windows roll over only when a test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = ThrottleClock(HOUR_START + 15)
    monkeypatch.setattr(SimpleRateThrottle, "timer", clock)
    return clock


@pytest.fixture
def rates(monkeypatch, clock):
    def _set(**scopes):
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **scopes}
        )

    return _set


def anonymous_request(ip: str = "10.0.0.1", method: str = "get") -> Request:
    return Request(getattr(APIRequestFactory(), method)("/", REMOTE_ADDR=ip))


def admitted(throttle_class, request, times: int = 1) -> list[bool]:
    # DRF builds fresh throttle instances for every request; so do these tests.
    return [throttle_class().allow_request(request, None) for _ in range(times)]


# --- Through the API ------------------------------------------------------------------------


def test_anonymous_callers_are_throttled_with_retry_after(rates):
    rates(anon="3/min")
    client = APIClient()
    codes = [client.get("/api/movies/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/movies/")
    assert response.json()["error"]["code"] == "throttled"
    assert response["Retry-After"] == "45"  # 15 s into the minute
    assert response.json()["error"]["details"]["retry_after_seconds"] == 45


def test_retry_after_counts_down_to_the_end_of_the_window(rates, clock):
    rates(anon="1/min")
    client = APIClient()
    assert client.get("/api/movies/").status_code == 200
    clock.advance(30)
    assert client.get("/api/movies/")["Retry-After"] == "15"
    clock.advance(14.5)
    # Half a second left: rounded up, and never a Retry-After of 0.
    assert client.get("/api/movies/")["Retry-After"] == "1"


def test_a_new_window_admits_again(rates, clock):
    rates(anon="2/min")
    client = APIClient()
    assert [client.get("/api/movies/").status_code for _ in range(3)] == [200, 200, 429]
    clock.advance(44)  # 59 s into the minute: still the same window
    assert client.get("/api/movies/").status_code == 429
    clock.advance(1)
    assert [client.get("/api/movies/").status_code for _ in range(3)] == [200, 200, 429]


def test_a_burst_across_a_window_boundary_gets_up_to_twice_the_rate(rates, clock):
    # The documented trade-off of fixed windows: the count restarts at the boundary.
    rates(anon="3/min")
    client = APIClient()
    clock.advance(44.5)  # half a second before the minute ends
    before = [client.get("/api/movies/").status_code for _ in range(4)]
    clock.advance(1)
    after = [client.get("/api/movies/").status_code for _ in range(4)]
    assert before == after == [200, 200, 200, 429]


def test_anonymous_callers_are_counted_per_ip(rates):
    rates(anon="1/min")
    client = APIClient()
    assert client.get("/api/movies/", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.get("/api/movies/", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/api/movies/", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_users_are_counted_per_account(rates, customer_client, other_client):
    rates(user="2/min")
    assert [customer_client.get("/api/movies/").status_code for _ in range(3)] == [200, 200, 429]
    assert other_client.get("/api/movies/").status_code == 200


def test_booking_creation_has_its_own_burst_rate(rates, customer_client, showtime, seats):
    rates(booking_burst="2/min")
    statuses = [
        customer_client.post(
            "/api/bookings/", {"showtime": showtime.pk, "seats": [seats[label].id]}, format="json"
        ).status_code
        for label in ("A1", "A2", "A3")
    ]
    assert statuses == [201, 201, 429]
    # Reading one's bookings is not held back by the burst limit.
    assert customer_client.get("/api/bookings/").status_code == 200


def test_a_hold_counts_both_throttles_each_in_its_own_scope(
    rates, customer_client, showtime, seats
):
    # On Redis the first throttle counts both scopes in one call; each must keep its own count.
    rates(booking_burst="2/min", user="4/min")
    statuses = [
        customer_client.post(
            "/api/bookings/", {"showtime": showtime.pk, "seats": [seats[label].id]}, format="json"
        ).status_code
        for label in ("A1", "A2", "A3")
    ]
    assert statuses == [201, 201, 429]  # the burst scope: 3 > 2
    # The account scope counted those three too: a fourth request is its last, a fifth too many.
    assert customer_client.get("/api/bookings/").status_code == 200
    assert customer_client.get("/api/bookings/").status_code == 429


def test_on_redis_a_hold_counts_both_its_throttles_in_one_round_trip(
    rates, redis_commands, customer_client, showtime, seats
):
    rates(booking_burst="10/min", user="10/min")
    customer_client.get("/api/bookings/")  # Redis learns the script
    redis_commands.clear()
    response = customer_client.post(
        "/api/bookings/", {"showtime": showtime.pk, "seats": [seats["A1"].id]}, format="json"
    )
    assert response.status_code == 201
    assert redis_commands.count("EVALSHA") == 1


def test_throttles_are_per_user_not_shared(rates, customer_client, other_client, showtime, seats):
    rates(booking_burst="1/min")
    payload = {"showtime": showtime.pk, "seats": [seats["B1"].id]}
    assert customer_client.post("/api/bookings/", payload, format="json").status_code == 201
    payload = {"showtime": showtime.pk, "seats": [seats["B2"].id]}
    assert other_client.post("/api/bookings/", payload, format="json").status_code == 201


# --- The throttle classes -------------------------------------------------------------------


def test_each_scope_has_its_own_counter(rates):
    rates(anon="1/min", user="1/min")
    request = anonymous_request()
    # An anonymous caller is keyed by IP in both scopes, yet the counts do not mix.
    assert admitted(AnonRateThrottle, request, times=2) == [True, False]
    assert admitted(UserRateThrottle, request, times=2) == [True, False]


def test_a_subclass_can_narrow_which_requests_count(rates):
    # How the booking burst throttle is built: its own scope, POSTs only.
    class PostOnlyThrottle(UserRateThrottle):
        scope = "booking_burst"

        def get_cache_key(self, request, view):
            if request.method != "POST":
                return None
            return super().get_cache_key(request, view)

    rates(booking_burst="2/min")
    assert admitted(PostOnlyThrottle, anonymous_request(method="get"), times=5) == [True] * 5
    post = anonymous_request(method="post")
    assert admitted(PostOnlyThrottle, post, times=3) == [True, True, False]
    assert admitted(UserRateThrottle, post) == [True]  # the "user" scope is untouched


def test_concurrent_requests_never_exceed_the_rate(rates):
    rates(anon="5/min")
    request = anonymous_request()
    assert request.user.is_anonymous  # resolve the lazy user once, not in every thread
    callers = 24
    start = threading.Barrier(callers)
    results: list[bool] = []

    def call() -> None:
        throttle = AnonRateThrottle()
        start.wait()
        results.append(throttle.allow_request(request, None))

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * (callers - 5) + [True] * 5


# --- A dead cache ---------------------------------------------------------------------------


def test_a_dead_cache_lets_requests_through(rates, settings):
    rates(anon="1/min", user="1/min")
    # As configured in production: django-redis swallows the errors and answers None.
    settings.CACHES = dead_redis(ignore_exceptions=True)
    factories.MovieFactory()
    client = APIClient()
    assert [client.get("/api/movies/").status_code for _ in range(3)] == [200, 200, 200]


def test_a_cache_that_raises_still_lets_requests_through(rates, settings):
    rates(anon="1/min", user="1/min")
    settings.CACHES = dead_redis(ignore_exceptions=False)
    with pytest.raises(redis.ConnectionError):
        cache.incr("any")  # this cache does raise
    assert admitted(AnonRateThrottle, anonymous_request(), times=3) == [True] * 3


# --- On Redis -------------------------------------------------------------------------------


def test_on_redis_a_request_costs_one_round_trip(rates, redis_commands):
    rates(anon="600/min")
    commands = redis_commands
    admitted(AnonRateThrottle, anonymous_request(ip="10.0.0.99"))  # Redis learns the script
    commands.clear()
    request = anonymous_request()

    admitted(AnonRateThrottle, request)  # the first in the window creates the counter too
    assert commands == ["EVALSHA"]
    commands.clear()
    admitted(AnonRateThrottle, request)
    assert commands == ["EVALSHA"]


READ_ALONG = ["read-along:a", "read-along:missing"]


@pytest.fixture
def reading_route():
    """A route whose requests want two cache keys read along with the throttle's count, and
    a request-scoped record of what was read (as RequestContextMiddleware gives each request)."""

    def provider(method: str, route: str, kwargs: dict) -> list[str]:
        return READ_ALONG if route == "reading-route" else []

    shared_reads.read_along(provider)
    token = shared_reads.begin()
    yield
    shared_reads.end(token)
    shared_reads._providers.remove(provider)


def routed_request(ip: str) -> Request:
    request = anonymous_request(ip=ip)
    request.resolver_match = ResolverMatch(lambda r: None, (), {}, url_name="reading-route")
    return request


def test_on_redis_keys_registered_for_a_route_are_read_in_the_same_round_trip(
    rates, redis_cache, redis_commands, reading_route
):
    rates(anon="2/min")
    redis_cache.set("read-along:a", 41)
    admitted(AnonRateThrottle, anonymous_request(ip="10.0.0.98"))  # Redis learns the script
    commands = redis_commands
    commands.clear()
    request = routed_request(ip="10.0.0.97")
    assert AnonRateThrottle().allow_request(request, None) is True
    assert commands == ["EVALSHA"]
    assert shared_reads.get_many(READ_ALONG) == {"read-along:a": 41}
    assert shared_reads.get("read-along:missing") is None
    assert commands == ["EVALSHA"]  # both answered from what the throttle read

    # A second throttle on the same request does not read them again; the count still works.
    shared_reads.remember({"read-along:a": "kept"})
    assert AnonRateThrottle().allow_request(request, None) is True
    assert AnonRateThrottle().allow_request(request, None) is False  # 3 > 2/min
    assert shared_reads.get("read-along:a") == "kept"


def test_without_redis_nothing_is_read_along_and_counting_still_works(
    rates, settings, reading_route
):
    rates(anon="1/min")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    request = routed_request(ip="10.0.0.96")
    assert [AnonRateThrottle().allow_request(request, None) for _ in range(2)] == [True, False]
    assert shared_reads._known.get() == {}


def test_with_redis_down_nothing_is_read_along_and_the_request_is_admitted(
    rates, settings, reading_route
):
    rates(anon="1/min")
    settings.CACHES = dead_redis(ignore_exceptions=True)
    request = routed_request(ip="10.0.0.95")
    assert AnonRateThrottle().allow_request(request, None) is True
    assert shared_reads._known.get() == {}


def test_on_redis_the_counter_is_a_plain_integer_that_expires(rates, redis_cache, clock):
    rates(anon="600/min")
    admitted(AnonRateThrottle, anonymous_request(ip="10.9.8.7"), times=3)
    window = int(clock.now // 60)
    key = f"throttle_anon_10.9.8.7:{window}"
    raw = redis_cache.client.get_client().get(redis_cache.client.make_key(key))
    assert raw == b"3"  # INCR-able, not a pickle
    assert 0 < redis_cache.ttl(key) <= 61


# --- The throttle's own Redis connection -----------------------------------------------------


def _counts(ip: str, times: int) -> list[bool]:
    return admitted(AnonRateThrottle, anonymous_request(ip=ip), times=times)


def test_the_script_is_loaded_again_when_redis_has_forgotten_it(rates, redis_cache, redis_commands):
    rates(anon="2/min")
    _counts("10.7.0.1", 1)  # Redis knows the script
    redis_cache.client.get_client().script_flush()  # as after a restart
    redis_commands.clear()
    assert _counts("10.7.0.2", 3) == [True, True, False]  # every request counted
    assert redis_commands == ["EVALSHA", "EVAL", "EVALSHA", "EVALSHA"]


def test_a_connection_redis_closed_is_rebuilt_and_the_request_counted(rates, redis_cache):
    rates(anon="2/min")
    _counts("10.7.0.3", 1)
    connection = throttling._own.held.connection
    client = redis_cache.client.get_client()
    host, port = connection._sock.getsockname()[:2]
    killed = client.client_kill_filter(_id=None, addr=f"{host}:{port}")  # as Redis's timeout
    assert killed == 1
    assert _counts("10.7.0.3", 2) == [True, False]  # 2 and 3 in the window: nothing lost


def test_a_reply_left_unread_never_answers_the_next_request(rates, redis_cache, monkeypatch):
    """A timeout after sending (or a worker being stopped) drops the connection, so the next
    request cannot read the previous request's count."""
    rates(anon="3/min")
    _counts("10.7.0.4", 1)
    connection = throttling._own.held.connection
    read = type(connection).read_response
    failures = iter([redis.TimeoutError("slow")])

    def read_or_time_out(self, *args, **kwargs):
        for error in failures:
            raise error
        return read(self, *args, **kwargs)

    monkeypatch.setattr(type(connection), "read_response", read_or_time_out)
    assert _counts("10.7.0.5", 1) == [True]  # counted in Redis, unknown here: admitted
    monkeypatch.setattr(type(connection), "read_response", read)
    assert _counts("10.7.0.5", 3) == [True, True, False]  # counts 2, 3, 4 (not a stale 1)


def test_each_thread_has_its_own_connection_and_takes_none_from_the_pool(rates, redis_cache):
    rates(anon="1000/min")
    _counts("10.7.0.6", 1)
    pool = redis_cache.client.get_client().connection_pool
    created = pool._created_connections
    seen = []

    def count_once() -> None:
        _counts("10.7.0.6", 1)
        seen.append(id(throttling._own.held.connection))

    # More threads than the pool holds connections: a thread that ends keeps nothing.
    for _ in range(3):
        threads = [threading.Thread(target=count_once) for _ in range(pool.max_connections // 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert pool._created_connections == created
    assert len(seen) == 3 * (pool.max_connections // 2)
    window = int(SimpleRateThrottle.timer() // 60)
    key = redis_cache.client.make_key(f"throttle_anon_10.7.0.6:{window}")
    assert int(redis_cache.client.get_client().get(key)) == 1 + len(seen)


def test_a_thread_that_ends_closes_its_connection_at_once(rates, redis_cache):
    rates(anon="1000/min")
    client = redis_cache.client.get_client()
    database = str(client.connection_pool.connection_kwargs.get("db", 0))

    def connections() -> int:
        # This run's database only: other runs share the Redis server and come and go.
        return sum(1 for c in client.client_list() if c["db"] == database)

    before = connections()
    gc.disable()  # closed when the thread's storage goes, not by a later collection
    try:
        threads = [threading.Thread(target=_counts, args=("10.7.0.8", 1)) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert connections() <= before
    finally:
        gc.enable()


def test_a_forked_process_builds_its_own_connection(rates, redis_cache):
    rates(anon="1000/min")
    _counts("10.7.0.7", 1)
    parents = throttling._own.held.connection
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports through the pipe
        try:
            fresh = getattr(throttling._own, "held", None) is None
            counted = _counts("10.7.0.7", 1) == [True]
            mine = throttling._own.held.connection is not parents
            os.write(writer, b"ok" if fresh and counted and mine else b"no")
        finally:
            os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    assert os.read(reader, 2) == b"ok"
    os.close(reader)
    assert throttling._own.held.connection is parents  # the parent keeps its own


def test_the_user_scope_counts_logged_in_callers_only(rates, customer_client):
    # Anonymous callers are the "anon" scope's: counting them again in "user" would cost a
    # second round trip per request and limit nothing the tighter "anon" rate does not.
    rates(anon="100/min", user="2/min")
    factories.MovieFactory()
    anonymous = APIClient()
    assert [anonymous.get("/api/movies/").status_code for _ in range(4)] == [200] * 4
    assert [customer_client.get("/api/movies/").status_code for _ in range(3)] == [200, 200, 429]
