"""A real Celery worker on the real Redis broker runs a real task against the test database."""

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.utils import timezone

from marquee.booking.models import Booking
from marquee.booking.services import booking_hold
from marquee.catalog.models import Seat
from tests.servers import subprocess_database_url

REDIS = ("127.0.0.1", 6379)
BROKER = "redis://127.0.0.1:6379/14"
# A queue of this run's own, so a worker of another run on the same Redis cannot take the task.
QUEUE = f"marquee-test-{uuid.uuid4().hex[:12]}"
ROOT = Path(__file__).resolve().parent.parent


def redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def worker():
    if not redis_up():
        if os.environ.get("CI") or os.environ.get("MARQUEE_REQUIRE_POSTGRES") == "1":
            pytest.fail("Redis is not running on 127.0.0.1:6379, and CI needs it.")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            f"--queues={QUEUE}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_redis_broker_runs_the_expiry_task(worker, customer, showtime):
    seat = Seat.objects.filter(screen=showtime.screen_id).first()
    lapsed = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seat.id],
        now=timezone.now() - timedelta(minutes=30),
    )
    client = Celery(broker=BROKER, backend=BROKER)
    result = client.send_task("marquee.booking.tasks.expire_holds", queue=QUEUE)
    try:
        expired = result.get(timeout=60)
    except Exception:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
        pytest.fail(f"the worker did not complete the task:\n{output[-3000:]}")
    assert expired == 1
    deadline = time.monotonic() + 5
    while Booking.objects.get(pk=lapsed.pk).status != "expired" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Booking.objects.get(pk=lapsed.pk).status == "expired"
