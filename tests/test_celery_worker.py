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
from marquee.booking.services import booking_confirm, booking_hold
from marquee.catalog.models import Seat
from marquee.tickets.models import EmailDelivery
from tests.servers import Inbox, SmtpServer, free_port, subprocess_database_url

REDIS = ("127.0.0.1", 6379)
BROKER = "redis://127.0.0.1:6379/14"
# A queue of this run's own, so a worker of another run on the same Redis cannot take the task.
QUEUE = f"marquee-test-{uuid.uuid4().hex[:12]}"
ROOT = Path(__file__).resolve().parent.parent


def broker_client() -> Celery:
    # Not the current app: shared tasks would bind to it, and every later test's in-process
    # (eager) task would be sent to this broker instead of running.
    return Celery(broker=BROKER, set_as_current=False)


def redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(**environment) -> a worker process on this run's queue, ready."""
    if not redis_up():
        if os.environ.get("CI") or os.environ.get("MARQUEE_REQUIRE_POSTGRES") == "1":
            pytest.fail("Redis is not running on 127.0.0.1:6379, and CI needs it.")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    started = []

    def _start(**environment):
        process = _worker(tmp_path, environment)
        started.append(process)
        return process

    yield _start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def worker(start_worker):
    return start_worker()


def _worker(tmp_path, environment: dict) -> subprocess.Popen:
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
        **environment,
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
    return process


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_redis_broker_runs_the_expiry_task(worker, customer, showtime):
    seat = Seat.objects.filter(screen=showtime.screen_id).first()
    lapsed = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seat.id],
        now=timezone.now() - timedelta(minutes=30),
    )
    broker_client().send_task("marquee.booking.tasks.expire_holds", queue=QUEUE)
    # The task's effect, seen in the database, is what proves the worker ran it.
    deadline = time.monotonic() + 90
    while Booking.objects.get(pk=lapsed.pk).status != "expired" and time.monotonic() < deadline:
        time.sleep(0.2)
    if Booking.objects.get(pk=lapsed.pk).status != "expired":
        pytest.fail(f"the worker did not complete the task:\n{worker.log.read_text()[-3000:]}")
    assert "expire_holds" in worker.log.read_text()


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_e_tickets_an_smtp_outage_held_back(
    start_worker, settings, customer, showtime
):
    smtp = SmtpServer(Inbox(), free_port())  # not started yet: the mail server is down
    email = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
    }
    for name, value in email.items():
        setattr(settings, name, int(value) if value.isdigit() else value)
    worker = start_worker(**email)
    seats = Seat.objects.filter(screen=showtime.screen_id).order_by("y", "x")[:2]
    booking = booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=[seat.id for seat in seats]
    )
    booking_confirm(booking_id=booking.pk)  # the email's first try (in-process) is refused
    delivery = EmailDelivery.objects.get(booking=booking)
    assert (delivery.status, delivery.attempts) == ("pending", 1)

    smtp.start()
    try:
        # A minute on: the row is due again, and beat's periodic task reaches the worker.
        EmailDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        broker_client().send_task("marquee.tickets.tasks.send_pending_emails", queue=QUEUE)
        deadline = time.monotonic() + 90
        while EmailDelivery.objects.get(pk=delivery.pk).status != "sent":
            if time.monotonic() > deadline:
                pytest.fail(f"the worker did not send it:\n{worker.log.read_text()[-3000:]}")
            time.sleep(0.2)
    finally:
        smtp.stop()

    (message,) = smtp.inbox.messages()
    assert message["To"] == customer.email
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2
