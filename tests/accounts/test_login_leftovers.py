"""Logins leave nothing behind: an API login opens no Django session, and a daily task prunes
expired sessions, old login records and expired refresh tokens."""

from datetime import timedelta

import pytest
from axes.models import AccessLog
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from marquee.accounts.tasks import prune_auth_records
from tests.accounts.helpers import PASSWORD, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_api_login_opens_no_session_and_sets_no_session_cookie(api_client, alice):
    response = login(api_client, "alice")

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == 0
    # The login is still on record (for the retention below), without a session hash.
    assert list(AccessLog.objects.values_list("username", "session_hash")) == [("alice", "")]


def test_an_api_login_leaves_an_existing_admin_session_alone(alice):
    admin = UserFactory(role="admin")
    client = Client()
    client.force_login(admin)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(
        "/api/auth/login/",
        {"username": "alice", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert Session.objects.filter(session_key=session_key).exists()
    assert client.get("/admin/").status_code == 200


def test_the_admin_still_logs_in_with_a_session():
    UserFactory(username="boss", role="admin")
    client = Client()

    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": PASSWORD})

    assert response.status_code == 302
    assert Session.objects.count() == 1
    assert client.get("/admin/").status_code == 200


def old_session(*, expired: bool) -> str:
    store = SessionStore()
    store["note"] = "x"
    store.create()
    offset = timedelta(days=-1 if expired else 1)
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + offset
    )
    return store.session_key


def login_record(*, days_ago: int) -> AccessLog:
    record = AccessLog.objects.create(username="alice", user_agent="curl", path_info="/")
    AccessLog.objects.filter(pk=record.pk).update(
        attempt_time=timezone.now() - timedelta(days=days_ago)
    )
    return record


def refresh_token(user, *, expired: bool) -> OutstandingToken:
    token = RefreshToken.for_user(user)
    outstanding = OutstandingToken.objects.get(jti=token["jti"])
    if expired:
        outstanding.expires_at = timezone.now() - timedelta(seconds=1)
        outstanding.save(update_fields=["expires_at"])
        BlacklistedToken.objects.create(token=outstanding)
    return outstanding


def test_the_daily_task_prunes_what_has_no_use_and_keeps_the_rest(alice, settings):
    settings.LOGIN_LOG_RETENTION_DAYS = 90
    expired_session, live_session = old_session(expired=True), old_session(expired=False)
    old_record, recent_record = login_record(days_ago=91), login_record(days_ago=89)
    expired_token = refresh_token(alice, expired=True)
    live_token = refresh_token(alice, expired=False)

    result = prune_auth_records.delay().get()

    assert result == {"login_logs": 1, "outstanding_tokens": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live_session]
    assert not Session.objects.filter(session_key=expired_session).exists()
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent_record.pk]
    assert not AccessLog.objects.filter(pk=old_record.pk).exists()
    assert list(OutstandingToken.objects.values_list("pk", flat=True)) == [live_token.pk]
    assert not OutstandingToken.objects.filter(pk=expired_token.pk).exists()
    assert not BlacklistedToken.objects.exists()


def test_beat_runs_the_prune_daily():
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["prune-auth-records"]
    assert entry["task"] == prune_auth_records.name
    assert entry["schedule"] == crontab(hour=3, minute=30)
