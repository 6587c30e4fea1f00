"""What the no-500 tests share: every route of the URL conf, a small world of real rows for
them to hit, a bearer token per role, and one request isolated from the next.

Routes come from the URL conf itself, so a new endpoint is fuzzed without being listed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking import services as booking_services
from marquee.booking.vouchers import voucher_create
from marquee.catalog.models import Seat
from marquee.common import local_cache
from marquee.common.wsgi import guard_environ
from marquee.payments.models import Payment, PaymentStatus, Provider
from marquee.payments.services import refund_request
from marquee.tickets.codes import ticket_code
from tests import factories

BROWSABLE_API = "rest_framework.renderers.BrowsableAPIRenderer"
RENDERERS = settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]
ROLES = ("anonymous", "customer", "staff", "admin")
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
# HTML pages and Django's admin are not the JSON API; the admin has its own forms.
SKIPPED_PREFIXES = ("admin/",)

_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its path template (`/api/movies/{pk}/`) and the methods it serves."""

    template: str
    methods: tuple[str, ...]

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.template)

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], self.template)

    def __str__(self) -> str:
        return self.template


def _template(route: str) -> str:
    route = _REGEX_GROUP.sub(lambda m: "{" + m.group(1) + "}", route)
    route = _ROUTE_PARAM.sub(lambda m: "{" + m.group(1) + "}", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a view set: the router's method -> action map
        methods = {method.upper() for method in actions}
    elif hasattr(callback, "cls"):  # an APIView
        methods = {m.upper() for m in callback.cls.http_method_names if hasattr(callback.cls, m)}
    else:  # a plain Django view
        methods = {"GET"}
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return tuple(m for m in ALL_METHODS if m in methods)


def api_routes() -> list[Route]:
    """Every route of the project's URL conf but the admin's, with the methods it answers."""
    routes: dict[str, set[str]] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                raw = prefix + str(pattern.pattern)
                if raw.replace("^", "").startswith(SKIPPED_PREFIXES):
                    continue
                routes.setdefault(_template(raw), set()).update(_methods(pattern.callback))

    walk(get_resolver().url_patterns, "")
    return [
        Route(template, tuple(m for m in ALL_METHODS if m in methods))
        for template, methods in sorted(routes.items())
    ]


class GuardedClient(APIClient):
    """DRF's test client behind the WSGI guard of the production entry point (config/wsgi.py):
    the test client builds Django's request itself, not through `config.wsgi.application`."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        handler = self.handler
        self.handler = lambda environ: handler(guard_environ(environ))


@dataclass
class World:
    """Real rows for the fuzzers to hit: a showtime with seats, held, sold and refunded
    bookings, a sold ticket with its code, and one user per role with a bearer token."""

    users: dict[str, object]
    tokens: dict[str, str | None]
    ids: dict[str, list[str]] = field(default_factory=dict)
    ticket_code: str = ""

    def client(self, role: str) -> APIClient:
        client = GuardedClient(raise_request_exception=False)
        token = self.tokens.get(role)
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client


def build_world() -> World:
    users = {
        "customer": factories.UserFactory(role="customer"),
        "staff": factories.UserFactory(role="staff"),
        "admin": factories.UserFactory(role="admin"),
    }
    genre = factories.GenreFactory(slug="drama", name="Drama")
    movie = factories.MovieFactory()
    movie.genres.add(genre)
    screen = factories.screen_with_seats(rows=3, per_row=6, aisle_after=(3,), vip_rows="C")
    showtime = factories.ShowtimeFactory(
        movie=movie, screen=screen, starts_at=timezone.now() + timedelta(hours=3)
    )
    seats = Seat.objects.filter(screen=screen).order_by("row_label", "number")
    seat_ids = list(seats.values_list("pk", flat=True))
    customer = users["customer"]
    held = booking_services.booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=seat_ids[:2]
    )
    sold = booking_services.booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=seat_ids[2:4]
    )
    booking_services.booking_confirm(booking_id=sold.pk)
    refunded = booking_services.booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=seat_ids[4:5]
    )
    booking_services.booking_confirm(booking_id=refunded.pk)
    payment = Payment.objects.create(
        booking=refunded,
        provider=Provider.SIMULATED,
        provider_reference="sim_fuzz",
        amount=Decimal("10.00"),
        currency="EUR",
        status=PaymentStatus.SUCCEEDED,
    )
    refund_request(payment=payment, reason="fuzz")
    voucher = voucher_create(code="FUZZ10", kind="percent", value=Decimal(10), max_redemptions=5)
    ticket = sold.tickets.order_by("pk").first()
    ids = {
        "pk": [str(x.pk) for x in (movie, screen.theater, screen, showtime, ticket)],
        "id": [str(x.pk) for x in (movie, screen.theater, screen, showtime, ticket)],
        "user_id": [str(user.pk) for user in users.values()],
        "voucher_id": [str(voucher.pk)],
        "public_id": [str(b.public_id) for b in (held, sold, refunded)],
        "showtime": [str(showtime.pk)],
        "movie": [str(movie.pk)],
        "screen": [str(screen.pk)],
        "theater": [str(screen.theater_id)],
        "seats": [str(pk) for pk in seat_ids],
        "genre": [genre.slug],
    }
    tokens = {"anonymous": None} | {role: _long_lived_token(user) for role, user in users.items()}
    return World(users=users, tokens=tokens, ids=ids, ticket_code=ticket_code(ticket))


def _long_lived_token(user) -> str:
    """An access token that outlives a slow module of fuzz tests."""
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(hours=2))
    return str(token)


def reset_process_state() -> None:
    """What one request may leave behind outside the database: throttle counts, cached
    reads and the per-process memos keyed by them."""
    cache.clear()
    local_cache.clear_all()


def isolated(send: Callable[[], object]):
    """Send one request inside a savepoint that is rolled back: no example sees another's
    writes, and a fuzzed DELETE cannot take the world away from the next one."""
    reset_process_state()
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


def assert_no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"


def assert_error_shape(response, what: str) -> None:
    """Every 4xx is `{"error": {"code", "message", "details"}}` with a non-empty code; an
    `invalid` one's details hold field errors, each with its own code."""
    if not 400 <= response.status_code < 500 or response.request["REQUEST_METHOD"] == "HEAD":
        return
    if response["Content-Type"].startswith("text/html") and BROWSABLE_API in RENDERERS:
        return  # a development server's browsable API, asked for with Accept: text/html
    content_type = response["Content-Type"]
    if content_type.startswith("application/vnd.oai.openapi;"):  # the schema view's YAML
        body = yaml.safe_load(response.content)
    else:
        assert content_type.startswith("application/json"), (
            f"{what}: {response.status_code} with {content_type}"
        )
        body = response.json()
    assert set(body) == {"error"}, f"{what}: {body!r}"
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, f"{what}: {body!r}"
    assert isinstance(error["code"], str) and error["code"], f"{what}: {body!r}"
    assert isinstance(error["message"], str), f"{what}: {body!r}"
    assert isinstance(error["details"], dict), f"{what}: {body!r}"
    if error["code"] == "invalid":
        assert_field_errors(error["details"], f"{what}: {body!r}")


def assert_field_errors(details, what: str) -> None:
    """`invalid` details: fields (or list indexes) down to lists of `{"code", "message"}`."""
    for value in details.values():
        assert isinstance(value, dict | list), what
        if isinstance(value, dict):
            assert_field_errors(value, what)
            continue
        for item in value:
            if isinstance(item, dict) and set(item) == {"code", "message"}:
                assert isinstance(item["code"], str) and item["code"], what
                assert isinstance(item["message"], str), what
            else:  # a nested list, or an item of a list of objects
                assert isinstance(item, dict | list), what
                assert_field_errors(item if isinstance(item, dict) else dict(enumerate(item)), what)


def schema_field_names() -> tuple[list[str], list[str]]:
    """The body field names and query parameter names the OpenAPI schema documents."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    body: set[str] = set()
    query: set[str] = set()
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            body.update(component.get("properties", {}))
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    query.add(parameter["name"])
    return sorted(body), sorted(query)


def nested(depth: int, inner: bytes = b"1") -> bytes:
    """`inner` inside `depth` JSON arrays (odd depths: objects)."""
    opening, closing = (b'{"a":', b"}") if depth % 2 else (b"[", b"]")
    return opening * depth + inner + closing * depth
