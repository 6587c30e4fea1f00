"""Per-address limits count the real client: X-Forwarded-For is believed only as far as
TRUSTED_PROXY_COUNT proxies of ours wrote it, so a forged header buys nobody a fresh address."""

import json
import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from marquee.common.checks import trusted_proxy_check
from marquee.common.client_address import client_ip, rate_limit_ident
from marquee.common.logging import RequestContextFilter
from tests.factories import UserFactory
from tests.ops.test_settings import manage

pytestmark = pytest.mark.django_db

NOW = 1_800_000_000 // 3600 * 3600 + 15  # 15 s into an hour: one window for every request
PROXY = "10.0.0.1"  # our nginx, as gunicorn sees it
PASSWORD = "Sup3r-secret-pass"


@pytest.fixture
def rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: NOW))

    def _set(**scopes):
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **scopes}
        )

    return _set


def forged(n: int) -> str:
    """A different made-up address for every request, as a throttle dodger sends."""
    return f"198.51.100.{n}"


def address_of(settings, proxies: int, *, remote: str = PROXY, forwarded: str | None = None):
    settings.TRUSTED_PROXY_COUNT = proxies
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


# --- Which address is the client's -----------------------------------------------------------


def test_with_no_trusted_proxy_the_header_is_ignored(settings):
    assert address_of(settings, 0, remote="203.0.113.7", forwarded="1.2.3.4") == "203.0.113.7"


def test_with_one_trusted_proxy_the_address_it_appended_is_the_client(settings):
    # The client wrote "1.2.3.4, 5.6.7.8"; our proxy appended the address it saw.
    assert address_of(settings, 1, forwarded="1.2.3.4, 5.6.7.8, 203.0.113.7") == "203.0.113.7"


def test_with_two_trusted_proxies_the_second_entry_from_the_right_is_the_client(settings):
    # client -> load balancer (appends the client) -> nginx (appends the balancer) -> app
    forwarded = "1.2.3.4, 203.0.113.7, 10.0.0.9"
    assert address_of(settings, 2, forwarded=forwarded) == "203.0.113.7"


def test_a_header_shorter_than_the_proxy_chain_gives_its_leftmost_entry(settings):
    # Only the inner proxy was passed: the one entry is the one it wrote.
    assert address_of(settings, 2, forwarded="203.0.113.7") == "203.0.113.7"


def test_without_the_header_a_trusted_proxy_setup_uses_the_peer(settings):
    # A health probe or anything else talking to gunicorn directly.
    assert address_of(settings, 1, remote="10.0.0.5") == "10.0.0.5"


@pytest.mark.parametrize("garbage", ["", "unknown", "not-an-ip", "1.2.3", "::zz", "1.2.3.4.5"])
def test_an_entry_that_is_no_address_falls_back_to_the_peer(settings, garbage):
    assert address_of(settings, 1, forwarded=f"1.2.3.4, {garbage}") == PROXY


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (" 203.0.113.7 ", "203.0.113.7"),
        ("203.0.113.7:4431", "203.0.113.7"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]:4431", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_addresses_are_written_one_way(settings, entry, expected):
    assert address_of(settings, 1, forwarded=entry) == expected


def test_an_ipv4_client_of_a_dual_stack_socket_is_its_ipv4_address(settings):
    assert address_of(settings, 0, remote="::ffff:203.0.113.7") == "203.0.113.7"


def test_rate_limits_count_an_ipv6_client_by_its_slash_64(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    idents = {
        rate_limit_ident(RequestFactory().get("/", REMOTE_ADDR=f"2001:db8:1:2::{n:x}"))
        for n in range(1, 50)
    }
    assert idents == {"2001:db8:1:2::/64"}
    other = rate_limit_ident(RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:3::1"))
    assert other == "2001:db8:1:3::/64"
    ipv4 = rate_limit_ident(RequestFactory().get("/", REMOTE_ADDR="203.0.113.7"))
    assert ipv4 == "203.0.113.7"


def test_a_negative_proxy_count_refuses_to_start():
    result = manage("check", TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr


# --- Forged headers against the throttles -----------------------------------------------------


def test_forged_headers_do_not_escape_the_anonymous_throttle(settings, rates):
    settings.TRUSTED_PROXY_COUNT = 0
    rates(anon="3/min")
    client = APIClient()
    codes = [
        client.get(
            "/api/movies/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=forged(n)
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


def test_behind_one_proxy_forging_the_left_of_the_header_does_not_help(settings, rates):
    settings.TRUSTED_PROXY_COUNT = 1
    rates(anon="3/min")
    client = APIClient()
    codes = [
        client.get(
            "/api/movies/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{forged(n)}, 203.0.113.7"
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    # Another client behind the same proxy has its own count: the proxy is not the client.
    other = client.get("/api/movies/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 200


def _login(username: str, n: int, *, proxies: int, password: str = "Wrong-password-1"):
    extra = (
        {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": forged(n)}
        if proxies == 0
        else {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{forged(n)}, 203.0.113.7"}
    )
    return APIClient().post(
        "/api/auth/login/", {"username": username, "password": password}, **extra
    )


@pytest.mark.parametrize("proxies", [0, 1])
def test_forged_headers_do_not_escape_the_login_throttle(settings, rates, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    rates(login_ip="3/min", login_username="100/min")
    codes = [_login(f"guess{n}", n, proxies=proxies).status_code for n in range(5)]
    assert codes == [401, 401, 401, 429, 429]


@pytest.mark.parametrize("proxies", [0, 1])
def test_forged_headers_do_not_escape_the_signup_throttle(settings, rates, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    rates(signup="2/hour")
    codes = []
    for n in range(4):
        extra = (
            {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": forged(n)}
            if proxies == 0
            else {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{forged(n)}, 203.0.113.7"}
        )
        body = {"username": f"newbie{n}", "email": f"newbie{n}@example.com", "password": PASSWORD}
        codes.append(APIClient().post("/api/auth/signup/", body, **extra).status_code)
    assert codes == [201, 201, 429, 429]


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_login_lockout_records_the_real_address(settings, rates, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    rates(login_ip="100/min", login_username="100/min")
    UserFactory(username="alice")
    codes = [_login("alice", n, proxies=proxies).status_code for n in range(4)]
    assert codes == [401, 401, 429, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


# --- Logs and deployment ------------------------------------------------------------------------


def test_log_lines_carry_the_client_address(settings, customer_client, showtime):
    from pythonjsonlogger.json import JsonFormatter

    settings.TRUSTED_PROXY_COUNT = 1
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("marquee.booking")
    logger.addHandler(handler)
    try:
        response = customer_client.post(
            "/api/bookings/",
            {"showtime": showtime.pk, "seats": [showtime.screen.seats.first().id]},
            format="json",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
        )
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 201
    (held,) = [r for r in records if r.getMessage() == "booking held"]
    line = json.loads(JsonFormatter(settings.LOGGING["formatters"]["json"]["fmt"]).format(held))
    assert line["client_ip"] == "203.0.113.7"


def test_check_deploy_asks_for_the_proxy_count_to_be_set(settings):
    settings.TRUSTED_PROXY_COUNT_SET = False
    assert [warning.id for warning in trusted_proxy_check(None)] == ["marquee.W002"]
    settings.TRUSTED_PROXY_COUNT_SET = True  # 0 included: set on purpose, it is a choice
    assert trusted_proxy_check(None) == []
