"""A Redis that hangs (SIGSTOP) does not hang the service: gunicorn workers on PostgreSQL and a
Redis of the test's own keep answering seat maps and holds within a second while that Redis is
frozen, the database still decides every seat, and Redis is used again once it thaws."""

import json
import random
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking.models import Ticket
from tests import factories
from tests.ops.test_scale_out import start_server, wait_ready
from tests.servers import free_port

FROZEN_SECONDS = 7  # longer than the breaker's open period (5 s): probes happen while frozen
CLIENT_TIMEOUT = 15


def timed(request: urllib.request.Request) -> tuple[float, float, int, bytes]:
    """(start, seconds, status, body) of one request; status 0 for a client-side timeout."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except OSError:
        status, body = 0, b""
    return started, time.monotonic() - started, status, body


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_a_frozen_redis_keeps_seat_maps_and_holds_under_a_second(own_redis):
    screen = factories.screen_with_seats(rows=20, per_row=25)
    showtime = factories.ShowtimeFactory(screen=screen)
    seat_ids = list(screen.seats.values_list("id", flat=True))
    buyers = [factories.UserFactory() for _ in range(2)]
    tokens = [str(AccessToken.for_user(user)) for user in buyers]
    port = free_port()
    server = start_server(
        port,
        {
            "REDIS_URL": own_redis.url,
            # Sync workers, as in production; each one alone in front of the frozen Redis.
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "1",
        },
    )
    seat_map = urllib.request.Request(f"http://127.0.0.1:{port}/api/showtimes/{showtime.pk}/seats/")
    results: list[tuple[str, float, float, int, bytes]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            outcome = timed(seat_map)
            with lock:
                results.append(("map", *outcome))

    def holder(index: int) -> None:
        rng = random.Random(index)
        while not stop.is_set():
            seats = rng.sample(seat_ids, 2)
            outcome = timed(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/bookings/",
                    data=json.dumps({"showtime": showtime.pk, "seats": seats}).encode(),
                    headers={
                        "Authorization": f"Bearer {tokens[index]}",
                        "Content-Type": "application/json",
                    },
                    method="POST",
                )
            )
            with lock:
                results.append(("hold", *outcome))
            time.sleep(0.05)  # a buyer, not a flood: the readers are the load

    try:
        wait_ready(port, server)
        # Two readers and two buyers for two workers: what is measured is the service, not
        # how long requests queue on a two-core machine shared with other test runs.
        clients = [threading.Thread(target=reader) for _ in range(2)]
        clients += [threading.Thread(target=holder, args=(i,)) for i in range(len(buyers))]
        for client in clients:
            client.start()
        time.sleep(2)  # warm: every worker keeps its context and rendered map
        frozen_at = time.monotonic()
        own_redis.freeze()
        time.sleep(FROZEN_SECONDS)
        own_redis.thaw()
        thawed_at = time.monotonic()
        time.sleep(1)
        stop.set()
        for client in clients:
            client.join(timeout=CLIENT_TIMEOUT + 5)

        # Redis is used again: the workers count throttles and bump versions in it.
        redis_client = own_redis.client()
        before = redis_client.info("stats")["total_commands_processed"]
        deadline = time.monotonic() + 15
        while redis_client.info("stats")["total_commands_processed"] <= before + 10:
            assert time.monotonic() < deadline, "the service did not go back to Redis"
            timed(seat_map)
            time.sleep(0.1)
        # And what it shows after the thaw is what the database holds, in every worker.
        taken = set(
            Ticket.objects.filter(showtime=showtime, status__in=["held", "sold"]).values_list(
                "seat_id", flat=True
            )
        )
        for _ in range(6):
            _, _, status, body = timed(seat_map)
            assert status == 200
            shown = {s["id"] for s in json.loads(body)["seats"] if s["status"] != "available"}
            assert shown == taken
    finally:
        stop.set()
        own_redis.thaw()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)

    during = [r for r in results if frozen_at <= r[1] < thawed_at]
    statuses = Counter(r[3] for r in results)
    kinds_during = Counter(r[0] for r in during)
    # Served all along (before the breaker, 7 s of freeze let one seat map through).
    assert kinds_during["map"] >= 20 and kinds_during["hold"] >= 10, kinds_during
    assert statuses[0] == 0, "requests timed out on the client"
    assert all(status < 500 for status in statuses), statuses
    assert {r[3] for r in results if r[0] == "map"} == {200}
    assert {r[3] for r in results if r[0] == "hold"} <= {201, 409}
    # The target is a p99 under 1 s (docs/benchmarks.md measures it). On a machine loaded by
    # other work the same requests are slower with Redis healthy too, so the bound is the
    # larger of 1 s and what this run's warm requests took plus one short Redis timeout. A
    # service without the breaker fails it either way: each request would wait out a timeout
    # on every one of its Redis calls (about nine for a seat map) for as long as Redis hangs.
    warm = [r for r in results if r[1] < frozen_at]
    bound = max(1.0, 2 * p99([r[2] for r in warm]) + 0.5)
    latency = p99([r[2] for r in during])
    slowest = sorted(round(r[2], 2) for r in during)[-5:]
    assert latency < bound, (
        f"p99 while Redis was frozen: {latency:.2f} s against {bound:.2f} s (slowest {slowest})"
    )

    # The database decided every seat: none twice, and every 201 holds what it said.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seat_id FROM booking_ticket WHERE showtime_id = %s AND status IN "
            "('held', 'sold') GROUP BY seat_id HAVING COUNT(*) > 1",
            [showtime.pk],
        )
        assert list(cursor.fetchall()) == []
    held = [r for r in results if r[0] == "hold" and r[3] == 201]
    assert Ticket.objects.filter(showtime=showtime, status="held").count() == 2 * len(held)
