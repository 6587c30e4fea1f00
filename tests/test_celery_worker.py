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
from tests.redis_db import TEST_REDIS_URL
from tests.servers import subprocess_database_url

REDIS = ("127.0.0.1", 6379)
# The suite's own Redis database (tests/redis_db.py), never the one a dev server uses.
BROKER = TEST_REDIS_URL
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
def worker(tmp_path):
    if not redis_up():
        if os.environ.get("CI") or os.environ.get("MARQUEE_REQUIRE_POSTGRES") == "1":
            pytest.fail("Redis is not running on 127.0.0.1:6379, and CI needs it.")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
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
        # A file, not a pipe: a worker blocked on a full pipe would look like a dead one.
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    process.log = log
    deadline = time.monotonic() + 90
    while "ready." not in log.read_text() and time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker exited:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
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
    client = Celery(broker=BROKER)
    client.send_task("marquee.booking.tasks.expire_holds", queue=QUEUE)
    # The task's effect, seen in the database, is what proves the worker ran it.
    deadline = time.monotonic() + 90
    while Booking.objects.get(pk=lapsed.pk).status != "expired" and time.monotonic() < deadline:
        time.sleep(0.2)
    if Booking.objects.get(pk=lapsed.pk).status != "expired":
        pytest.fail(f"the worker did not complete the task:\n{worker.log.read_text()[-3000:]}")
    assert "expire_holds" in worker.log.read_text()
