import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_with_debug_off_the_default_secret_key_is_refused():
    result = manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_with_debug_off_and_a_secret_key_the_service_starts():
    result = manage("check", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("currency", ["jpy", "XYZ", "XAU", "EURO"])
def test_an_unknown_default_currency_refuses_to_start(currency):
    result = manage("check", DEFAULT_CURRENCY=currency)
    assert result.returncode != 0
    assert "DEFAULT_CURRENCY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_a_yen_default_currency_starts():
    result = manage("check", DEFAULT_CURRENCY="JPY")
    assert result.returncode == 0, result.stderr


def check_deploy(*, redis_url: str) -> subprocess.CompletedProcess:
    """`check --deploy` of the production profile, failing on any warning."""
    return manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="tickets.example.com",
        REDIS_URL=redis_url,
        TRUSTED_PROXY_COUNT="1",
    )


def test_the_production_profile_passes_check_deploy_without_warnings():
    result = check_deploy(redis_url="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_the_cache_is_not_shared():
    result = check_deploy(redis_url="")
    assert result.returncode != 0
    assert "marquee.W001" in result.stdout + result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


ISSUE_BEFORE_ROTATION = """
from marquee.accounts.tokens import RefreshToken
from marquee.booking.models import Ticket
from marquee.tickets.codes import ticket_code
token = RefreshToken()
token["user_id"] = "7"
print(ticket_code(Ticket(pk=4711, showtime_id=815, secret="q3Jx-9_kLmN0pQrS")), token)
"""

VERIFY_AFTER_ROTATION = """
import sys
from rest_framework_simplejwt.exceptions import TokenBackendError
from marquee.accounts.tokens import token_backend
from marquee.tickets.codes import parse_ticket_code
from marquee.tickets.errors import TicketError
code, token = sys.stdin.read().split()[-2:]
try:
    parsed = parse_ticket_code(code)
    print((parsed.ticket_id, parsed.secret))
except TicketError as error:
    print(error.code)
try:
    print(token_backend().decode(token)["user_id"])
except TokenBackendError:
    print("token refused")
"""


def test_a_secret_key_rotated_through_the_environment_keeps_tickets_and_tokens_valid():
    """Old key A, new key B: with SECRET_KEY_FALLBACKS=A a ticket code and a JWT made under A
    still verify in a process started with B; without it they are refused."""
    old_key, new_key = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    issued = manage("shell", "-c", ISSUE_BEFORE_ROTATION, SECRET_KEY=old_key)
    assert issued.returncode == 0, issued.stderr

    def verify(**env: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", VERIFY_AFTER_ROTATION],
            cwd=ROOT,
            env={**os.environ, **env},
            input=issued.stdout,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-2:]

    rotated = verify(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=f"{old_key},")
    forgotten = verify(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS="")

    assert rotated == ["(4711, 'q3Jx-9_kLmN0pQrS')", "7"]
    assert forgotten == ["invalid_ticket_code", "token refused"]


ISSUE_ED25519 = """
from marquee.booking.models import Ticket
from marquee.tickets.codes import ticket_code
print(ticket_code(Ticket(pk=4711, showtime_id=815, secret="q3Jx-9_kLmN0pQrS")))
"""

VERIFY_ED25519 = """
import sys
from marquee.tickets.codes import parse_ticket_code
from marquee.tickets.errors import TicketError
try:
    print(parse_ticket_code(sys.stdin.read().split()[-1]).key_id)
except TicketError as error:
    print(error.code)
"""


def test_ed25519_ticket_keys_rotate_through_the_environment():
    """A code signed under key `old` verifies in a process whose keys list `new,old`, or `new`
    and the retired key's public half; with `new` alone it is refused."""
    from marquee.tickets.codes import new_signing_key_entry

    (old, old_public), (new, _) = new_signing_key_entry(), new_signing_key_entry()
    issued = manage("shell", "-c", ISSUE_ED25519, TICKET_SIGNING_ED25519_KEYS=old)
    assert issued.returncode == 0, issued.stderr
    old_id = old.split(":")[0]

    def verify(**env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", VERIFY_ED25519],
            cwd=ROOT,
            env={**os.environ, "TICKET_VERIFY_ED25519_PUBLIC_KEYS": "", **env},
            input=issued.stdout,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert verify(TICKET_SIGNING_ED25519_KEYS=f"{new},{old}") == old_id
    assert (
        verify(TICKET_SIGNING_ED25519_KEYS=new, TICKET_VERIFY_ED25519_PUBLIC_KEYS=old_public)
        == old_id
    )
    assert verify(TICKET_SIGNING_ED25519_KEYS=new) == "invalid_ticket_code"
