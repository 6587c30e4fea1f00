"""A real Celery worker and beat on the real Redis broker: the worker runs real tasks against
the test database (the expiry, e-tickets an SMTP outage held back), and each answers the ping
its container's health check sends."""

import os
import shlex
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import yaml
from celery import Celery
from django.utils import timezone

from marquee.booking.models import Booking
from marquee.booking.services import booking_confirm, booking_hold
from marquee.catalog.models import Seat
from marquee.tickets.models import EmailDelivery
from tests.redis_db import TEST_REDIS_URL
from tests.servers import Inbox, SmtpServer, free_port, subprocess_database_url

REDIS = ("127.0.0.1", 6379)
# The suite's own Redis database (tests/redis_db.py), never the one a dev server uses.
BROKER = TEST_REDIS_URL
# A queue of this run's own, so a worker of another run on the same Redis cannot take the task.
QUEUE = f"marquee-test-{uuid.uuid4().hex[:12]}"
ROOT = Path(__file__).resolve().parent.parent
HOSTNAME = f"{QUEUE}.{socket.gethostname()}"


def broker_client() -> Celery:
    # Not the current app: shared tasks would bind to it, and every later test's in-process
    # (eager) task would be sent to this broker instead of running.
    return Celery(broker=BROKER, set_as_current=False)


def celery_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    return {**env, "CELERY_BROKER_URL": BROKER, "PYTHONUNBUFFERED": "1", **extra}


def health_check(service: str, hostname: str) -> subprocess.CompletedProcess:
    """compose.yaml's health check of a service, run as Docker runs it in the container."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    kind, command = compose["services"][service]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    # `$$` is compose's escape: the container's shell expands $HOSTNAME.
    program, *args = shlex.split(command.replace("$$HOSTNAME", hostname))
    assert program == "celery"
    return subprocess.run(
        [sys.executable, "-m", "celery", *args],
        cwd=ROOT,
        env=celery_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for_line(process: subprocess.Popen, log: Path, line: str) -> None:
    deadline = time.monotonic() + 90
    while line not in log.read_text() and time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the process exited:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_broker():
    if not redis_up():
        if os.environ.get("CI") or "1" in (
            os.environ.get("MARQUEE_REQUIRE_POSTGRES"),
            os.environ.get("MARQUEE_REQUIRE_MYSQL"),
        ):
            pytest.fail("Redis is not running on 127.0.0.1:6379, and CI needs it.")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    return BROKER


@pytest.fixture
def start_worker(redis_broker, tmp_path):
    """start_worker(**environment) -> a worker process on this run's queue, ready."""
    started = []

    def _start(**environment):
        log = tmp_path / f"worker-{len(started)}.log"
        env = celery_env(
            DATABASE_URL=subprocess_database_url(),
            CELERY_RESULT_BACKEND=BROKER,
            CELERY_TASK_ALWAYS_EAGER="false",
            **environment,
        )
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                f"--hostname=celery@{HOSTNAME}",
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
        started.append(process)
        wait_for_line(process, log, "ready.")
        return process

    yield _start
    for process in started:
        stop(process)


@pytest.fixture
def worker(start_worker):
    return start_worker()


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


def test_a_worker_answers_its_health_check(worker):
    result = health_check("worker", HOSTNAME)
    assert result.returncode == 0, result.stdout + result.stderr


def test_beat_keeps_its_schedule_in_the_state_folder_and_answers_its_health_check(
    redis_broker, tmp_path
):
    log = tmp_path / "beat.log"
    state = tmp_path / "state"  # created by beat itself
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
        cwd=ROOT,
        env=celery_env(STATE_DIR=str(state)),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_line(process, log, "beat pidbox: Connected")
        result = health_check("beat", socket.gethostname())
    finally:
        stop(process)
        # The tasks beat sent meanwhile: nobody will run them.
        redis.Redis.from_url(BROKER).delete("marquee")
    assert result.returncode == 0, result.stdout + result.stderr + log.read_text()[-3000:]
    assert any(path.name.startswith("celerybeat-schedule") for path in state.iterdir())


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_a_worker_or_beat_without_a_broker_refuses_to_start(program, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", program, "--loglevel=INFO"],
        cwd=ROOT,
        env={**env, "STATE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "CELERY_BROKER_URL is not set" in result.stdout + result.stderr
