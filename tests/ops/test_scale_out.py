"""Two app servers (separate gunicorn processes) share one PostgreSQL: buyers hitting both at
once never get the same seat, and every conflict is a 409."""

import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking.models import Ticket
from tests import factories
from tests.redis_db import TEST_REDIS_URL
from tests.servers import free_port, subprocess_database_url

ROOT = Path(__file__).resolve().parents[2]


def start_server(port: int, redis: dict[str, str] | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "CONN_MAX_AGE": "60",
        "THROTTLE_USER": "100000/min",
        "THROTTLE_BOOKING_BURST": "100000/min",
        "THROTTLE_ANON": "100000/min",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    env.update(redis or {})
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server on {port} died:\n{process.stderr.read()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"server on {port} did not start")


def send(request: urllib.request.Request) -> tuple[int, dict]:
    """The status and JSON body of a request to one of the servers, errors included."""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def post(port: int, token: str, payload: dict, path: str = "/api/bookings/") -> tuple[int, dict]:
    return send(
        urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=json.dumps(payload).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
    )


@pytest.mark.server_db
@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_app_servers_never_sell_a_seat_twice(screen):
    showtime = factories.ShowtimeFactory(screen=screen)
    seat_ids = list(screen.seats.values_list("id", flat=True))
    buyers = [factories.UserFactory() for _ in range(60)]
    tokens = [str(AccessToken.for_user(user)) for user in buyers]
    ports = [free_port(), free_port()]
    servers = [start_server(port) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_ready(port, server)
        barrier = threading.Barrier(len(buyers))
        results: list[tuple[int, dict]] = []
        lock = threading.Lock()
        rng = random.Random(7)
        wanted = [rng.sample(seat_ids[:24], rng.randint(1, 4)) for _ in buyers]

        def buyer(index: int) -> None:
            barrier.wait()
            outcome = post(
                ports[index % 2], tokens[index], {"showtime": showtime.pk, "seats": wanted[index]}
            )
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=buyer, args=(i,)) for i in range(len(buyers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)

    statuses = Counter(status for status, _ in results)
    assert len(results) == len(buyers)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1 and statuses[409] >= 1, statuses
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] in {"seats_unavailable", "seats_busy"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seat_id FROM booking_ticket WHERE showtime_id = %s AND status IN "
            "('held', 'sold') GROUP BY seat_id HAVING COUNT(*) > 1",
            [showtime.pk],
        )
        assert list(cursor.fetchall()) == []
    held = Ticket.objects.filter(showtime=showtime, status="held").count()
    assert held == sum(len(body["tickets"]) for status, body in results if status == 201)


def get(port: int, path: str) -> tuple[int, dict]:
    return send(urllib.request.Request(f"http://127.0.0.1:{port}{path}"))


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_a_write_on_one_server_reaches_the_seat_maps_another_server_keeps(screen):
    # Each process keeps showtime contexts and rendered seat maps; the versions in the shared
    # Redis are what tell another server's processes that something changed.
    redis = {
        "REDIS_URL": TEST_REDIS_URL,
        "CACHE_KEY_PREFIX": f"scale-out-{os.getpid()}-{time.time_ns()}",
    }
    showtime = factories.ShowtimeFactory(screen=screen)
    seat = screen.seats.order_by("y", "x").first()
    buyer = factories.UserFactory()
    admin = factories.UserFactory(role="admin")
    token, admin_token = str(AccessToken.for_user(buyer)), str(AccessToken.for_user(admin))
    seat_map = f"/api/showtimes/{showtime.pk}/seats/"
    ports = [free_port(), free_port()]
    servers = [start_server(port, redis) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_ready(port, server)
        reader, writer = ports

        def status_on(port: int) -> str:
            status, body = get(port, seat_map)
            assert status == 200, body
            return next(s["status"] for s in body["seats"] if s["id"] == seat.pk)

        for _ in range(4):  # every worker of the reading server renders and keeps the map
            assert status_on(reader) == "available"
        status, body = post(writer, token, {"showtime": showtime.pk, "seats": [seat.pk]})
        assert status == 201, body
        assert all(status_on(reader) == "held" for _ in range(4))
        status, _ = post(writer, token, {}, f"/api/bookings/{body['id']}/cancel/")
        assert status == 200
        assert all(status_on(reader) == "available" for _ in range(4))
        status, _ = post(writer, admin_token, {}, f"/api/showtimes/{showtime.pk}/cancel/")
        assert status == 200
        status, body = get(reader, seat_map)
        assert body["showtime"]["status"] == "cancelled"
        status, body = post(reader, token, {"showtime": showtime.pk, "seats": [seat.pk]})
        assert (status, body["error"]["code"]) == (409, "showtime_cancelled")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
