"""No 500 for any byte: hostile bodies, query strings, path ids and headers on every route of
the URL conf, as every role. Each answer is below 500, and every 4xx has the one error shape.

Property-based (hypothesis, derandomized so a run is repeatable); each request runs in a
savepoint that is rolled back, so no example depends on another. The routes come from the URL
conf and the field names from the OpenAPI schema: a new endpoint or field is fuzzed at once.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from urllib.parse import quote_from_bytes

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.common.fuzzing import (
    ROLES,
    api_routes,
    assert_error_shape,
    assert_no_server_error,
    isolated,
    nested,
    schema_field_names,
)

pytestmark = pytest.mark.django_db

ROUTES = api_routes()
BODY_FIELDS, QUERY_PARAMS = schema_field_names()
# Bounded for the suite's minute; FUZZ_EXAMPLES=200 make test ... for a deeper run.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "8"))

FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    # A failure prints the request it sent; shrinking it would cost many more requests.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


# --- Hostile pieces -------------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\udbff\udfff",  # a valid pair, written as two escapes
    "\u2028\u2029",
    "\ufeff",
    "\u202etxt.exe",
    "\x1b[31m",
    "\x7f\x08\t\r\n",
    "null",
    "NaN",
    "-1",
    "0",
    "1e999",
    "9" * 400,
    "../../etc/passwd",
    "%00",
    "'; DROP TABLE booking_booking; --",
    "<script>alert(1)</script>",
    "\\",
    '"',
    "\U0001f3ac" * 50,
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-02-30",
    "Etc/GMT+12",
    "LMT",
]
HUGE_NUMBERS = [2**63 - 1, 2**63, 2**64, -(2**63) - 1, -1, 0, 10**30, 10**400, -(10**400)]
MANY_ITEMS = list(range(100_000))

text = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=30),
    # Every code point, lone surrogates and NUL included.
    st.text(st.characters(codec=None, exclude_categories=()), max_size=30),
    st.just("x" * 100_000),
)
numbers = st.one_of(
    st.sampled_from(HUGE_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(BODY_FIELDS) | text, children, max_size=4)
    ),
    max_leaves=8,
) | st.just(MANY_ITEMS)


def as_json_bytes(value, *, escape: bool) -> bytes:
    """JSON as a careless or hostile client writes it: NaN and Infinity as bare words, lone
    surrogates as escapes (`escape`) or as the raw bytes no UTF-8 decoder accepts."""
    return json.dumps(value, ensure_ascii=escape).encode("utf-8", "surrogatepass")


def percent_encoded(value: object) -> str:
    return quote_from_bytes(str(value).encode("utf-8", "surrogatepass"), safe="")


def plausible_fields(world) -> dict[str, object]:
    """A value each known field would accept, so that one hostile field gets past the others
    and reaches the code behind them."""
    ids = world.ids
    starts_at = (timezone.now() + timedelta(days=3)).isoformat()
    return {
        "showtime": int(ids["showtime"][0]),
        "seats": [int(pk) for pk in ids["seats"][5:7]],
        "quantity": 2,
        "tier": "standard",
        "allow_split": True,
        "card_number": "4242 4242 4242 4242",
        "code": world.ticket_code,
        "username": world.users["customer"].username,
        "password": "Sup3r-secret-pass",
        "email": "fuzz@example.com",
        "first_name": "Fuzz",
        "last_name": "Er",
        "refresh": "not-a-token",
        "role": "staff",
        "slug": "fuzz",
        "name": "Fuzz",
        "title": "Fuzz",
        "description": "A film.",
        "duration_minutes": 95,
        "release_date": "2026-01-01",
        "age_rating": "PG",
        "language": "en",
        "genres": ["drama"],
        "address": "1 Main Street",
        "timezone": "Europe/Berlin",
        "premium_surcharge": "2.00",
        "vip_surcharge": "4.00",
        "morning_discount_percent": 10,
        "morning_until_hour": 12,
        "theater": int(ids["theater"][0]),
        "movie": int(ids["movie"][0]),
        "screen": int(ids["screen"][0]),
        "starts_at": starts_at,
        "base_price": "9.50",
        "currency": "EUR",
        "status": "scheduled",
        "rows": 2,
        "per_row": 3,
        "aisles_after": [1],
        "premium_rows": "B",
        "vip_rows": ["A"],
        "wheelchair": "A1",
        "companion": "A2",
    }


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "application/json; charset=latin-1",
    "application/json; charset=rot13",
    "application/json; charset=no-such-charset",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "text/plain",
    "application/xml",
    "application/merge-patch+json",
    "*/*",
    "",
]
ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "application/json; indent=abc",
    "application/json; indent=99999999999999999999",
    "text/html",
    "text/csv",
    "image/svg+xml",
    "application/xml",
    "application/vnd.oai.openapi",
    "\xff\xfe",
    "text/html; q=abc, */*; q=-1",
]
# Latin-1 is what a header can carry through WSGI; NUL and controls included on purpose.
header_text = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=80)


@st.composite
def bodies(draw, world):
    """(bytes, content type): a known-good body with hostile fields, any hostile JSON, a
    form, a multipart body, or raw bytes; now and then wrapped in deep nesting."""
    fields = plausible_fields(world)
    kind = draw(st.sampled_from(["object", "object", "value", "form", "multipart", "raw", "none"]))
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if kind == "none":
        return b"", content_type
    if kind == "raw":
        return draw(st.binary(max_size=300)), content_type
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), max_size=8, unique=True))
    payload = {name: fields[name] for name in chosen}
    for name in draw(st.lists(st.sampled_from(BODY_FIELDS) | text, max_size=3)):
        payload[name] = draw(values)
    if kind == "form":
        pairs = [(percent_encoded(k), percent_encoded(v)) for k, v in payload.items()]
        body = "&".join(f"{k}={v}" for k, v in pairs).encode()
        return body, draw(st.sampled_from(["application/x-www-form-urlencoded", content_type]))
    if kind == "multipart":
        parts = [
            b'--fuzz\r\nContent-Disposition: form-data; name="'
            + str(k).encode("utf-8", "surrogatepass")
            + b'"\r\n\r\n'
            + str(v).encode("utf-8", "surrogatepass")
            + b"\r\n"
            for k, v in payload.items()
        ]
        body = b"".join(parts) + draw(st.sampled_from([b"--fuzz--\r\n", b"", b"--fuzz"]))
        return body, draw(st.sampled_from(["multipart/form-data; boundary=fuzz", content_type]))
    value = payload if kind == "object" else draw(values)
    body = as_json_bytes(value, escape=draw(st.booleans()))
    depth = draw(st.sampled_from([0, 0, 0, 0, 40, 100, 1000, 100_000]))
    if depth:
        body = nested(depth, body)
    return body, draw(st.sampled_from(["application/json", content_type]))


@st.composite
def query_strings(draw):
    pairs = draw(
        st.lists(
            st.tuples(
                st.sampled_from([*QUERY_PARAMS, "page", "page_size", "format", "all"]) | text,
                text | numbers | st.sampled_from(["true", "1", "csv", "json", "api"]),
            ),
            max_size=4,
        )
    )
    query = "&".join(f"{percent_encoded(k)}={percent_encoded(v)}" for k, v in pairs)
    if draw(st.booleans()):
        query += draw(st.sampled_from(["&", "&&=", "%", "%zz", "=%00", "a=%FF%FE", "a=\xff"]))
    return query


@st.composite
def path_values(draw, world, route):
    values = {}
    for name in route.params:
        real = world.ids.get(name, world.ids["pk"])
        values[name] = draw(
            st.sampled_from(real)
            | st.sampled_from(
                [
                    "0",
                    "-1",
                    "1.5",
                    "1e3",
                    "9223372036854775807",
                    "9223372036854775808",
                    "18446744073709551616",
                    "1" * 400,
                    "%00",
                    "a%00b",
                    "%ED%A0%80",
                    "%FF",
                    "%C0%AF",
                    "00000000-0000-0000-0000-000000000000",
                    "6a1f0d58-0e4e-4b8e-9a4b-2f6f4e3b9c10",
                    "%2e%2e",
                ]
            )
            | text.map(percent_encoded)
        )
    return values


@st.composite
def headers(draw, world):
    role = draw(st.sampled_from(ROLES))
    sent = {}
    if world.tokens.get(role):
        sent["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[role]}"
    if draw(st.integers(0, 3)) == 0:
        sent["HTTP_AUTHORIZATION"] = draw(
            st.sampled_from(["Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer a.b.c"])
            | header_text.map(lambda t: "Bearer " + t)
        )
    accept = draw(st.sampled_from(ACCEPTS))
    if accept is not None:
        sent["HTTP_ACCEPT"] = accept
    for header in ("HTTP_IDEMPOTENCY_KEY", "HTTP_STRIPE_SIGNATURE", "HTTP_X_REQUEST_ID"):
        if draw(st.integers(0, 3)) == 0:
            sent[header] = draw(header_text | st.sampled_from(["t=1,v1=\xe9", "t=,v1=", "t=x"]))
    if draw(st.integers(0, 5)) == 0:
        sent["HTTP_COOKIE"] = "marquee_access=" + draw(header_text).replace(";", "")
    return sent


# --- The properties -------------------------------------------------------------------------

OPERATIONS = [(route, method) for route in ROUTES for method in route.methods]
# HEAD and OPTIONS share their view's dispatch with GET and DRF's metadata: fewer examples.
LIGHT = max(2, EXAMPLES_PER_OPERATION // 3)
EXAMPLES = {"HEAD": LIGHT, "OPTIONS": LIGHT}


@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=[f"{m} {r}" for r, m in OPERATIONS])
def test_no_request_to_any_route_gets_a_server_error(world, route, method):
    client = world.client("anonymous")

    @settings(FUZZ, max_examples=EXAMPLES.get(method, EXAMPLES_PER_OPERATION))
    @given(data=st.data())
    def any_request(data):
        url = route.url(data.draw(path_values(world, route), label="path"))
        query = data.draw(query_strings(), label="query")
        body, content_type = data.draw(bodies(world), label="body")
        sent_headers = data.draw(headers(world), label="headers")
        full = f"{url}?{query}" if query else url

        response = isolated(
            lambda: client.generic(method, full, body, content_type=content_type, **sent_headers)
        )

        what = f"{method} {full[:200]} {content_type!r} {body[:200]!r}"
        assert_no_server_error(response, what)
        assert_error_shape(response, what)

    any_request()


def test_the_fuzzed_routes_cover_the_api():
    templates = {str(route) for route in ROUTES}
    assert {
        "/api/bookings/",
        "/api/auth/login/",
        "/api/genres/",
        "/api/movies/{pk}/",
        "/api/showtimes/{pk}/seats/",
        "/api/payments/stripe/webhook/",
        "/api/tickets/{pk}/qr.svg",
        "/healthz",
    } <= templates
    assert {"username", "showtime", "seats", "slug", "genres", "code"} <= set(BODY_FIELDS)
    assert {"genre", "search", "from", "to"} <= set(QUERY_PARAMS)
