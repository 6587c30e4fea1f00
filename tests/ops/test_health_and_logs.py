import json
import logging

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marquee.common import health
from marquee.common.logging import RequestContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migration_check(monkeypatch):
    # A process remembers that every migration is applied; each test starts as a new process.
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_healthz_answers_while_the_process_lives():
    response = Client().get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_checks_database_migrations_cache_and_broker():
    body = Client().get("/readyz").json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "cache", "broker"}
    assert body["failed"] == []


def test_readyz_is_503_naming_migrations_while_one_is_unapplied():
    latest = MigrationRecorder.Migration.objects.filter(app="booking").latest("id")
    latest.delete()  # as on a database the release's `migrate` has not reached yet

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert f"booking.{latest.name}" in body["checks"]["migrations"]["error"]


def test_once_every_migration_is_applied_readyz_stops_looking():
    assert Client().get("/readyz").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/readyz").status_code == 200
    assert [query["sql"] for query in queries] == ["SELECT 1"]


def test_readyz_is_503_naming_the_failed_dependency(monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["migrations"] == {"status": "skipped"}


def test_probes_answer_for_any_host_the_rest_only_for_allowed_ones(settings):
    settings.ALLOWED_HOSTS = ["tickets.example.com"]
    probe = Client(HTTP_HOST="10.0.3.7:8000")  # how Docker or a load balancer addresses it
    assert probe.get("/healthz").status_code == 200
    assert probe.get("/readyz").status_code == 200
    assert probe.get("/api/movies/").status_code == 400
    assert Client(HTTP_HOST="tickets.example.com").get("/api/movies/").status_code == 200


def test_readyz_reports_an_unreachable_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_a_request_id_is_made_or_taken_from_the_caller_and_returned():
    generated = Client().get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="lb-1234")["X-Request-ID"] == "lb-1234"
    # Something that could forge log lines is replaced, not echoed.
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="a\nb")["X-Request-ID"] != "a\nb"


def test_json_logs_carry_the_request_id_and_user(customer_client, showtime, caplog):
    from pythonjsonlogger.json import JsonFormatter

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("marquee.booking")
    logger.addHandler(handler)
    try:
        seat = showtime.screen.seats.first()
        response = customer_client.post(
            "/api/bookings/",
            {"showtime": showtime.pk, "seats": [seat.id]},
            format="json",
            HTTP_X_REQUEST_ID="req-42",
        )
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 201
    (held,) = [r for r in records if r.getMessage() == "booking held"]
    line = json.loads(
        JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s").format(held)
    )
    assert line["request_id"] == "req-42"
    assert line["message"] == "booking held"
    assert line["booking"] == response.json()["id"]


def test_a_database_outage_is_a_503_with_retry_after_not_a_500(monkeypatch, api_client):
    from django.db import OperationalError
    from django.db.models.query import QuerySet

    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed")

    monkeypatch.setattr(QuerySet, "_fetch_all", unreachable)
    response = api_client.get("/api/movies/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"
