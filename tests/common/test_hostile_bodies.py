"""What the issue named, as rules: deep JSON, lone surrogates, NUL, odd charsets and huge
bodies get a 4xx with a code, on every route that reads a body, whoever calls."""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import application
from marquee.catalog.models import Genre, Movie
from marquee.common.parsers import MAX_JSON_DEPTH
from marquee.common.renderers import FastJSONRenderer
from tests.common.fuzzing import (
    ROLES,
    api_routes,
    assert_error_shape,
    assert_no_server_error,
    isolated,
    nested,
)

pytestmark = pytest.mark.django_db

BODY_OPERATIONS = [
    (route, method)
    for route in api_routes()
    for method in route.methods
    if method in {"POST", "PUT", "PATCH"}
]


def post_json(client, url, body: bytes, method="POST"):
    return client.generic(method, url, body, content_type="application/json")


@pytest.mark.parametrize(
    ("route", "method"), BODY_OPERATIONS, ids=[f"{m} {r}" for r, m in BODY_OPERATIONS]
)
@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_json_nested_deep_is_a_4xx_on_every_route_for_every_role(world, route, method, depth):
    url = route.url({name: world.ids.get(name, world.ids["pk"])[0] for name in route.params})
    for role in ROLES:
        client = world.client(role)

        response = isolated(lambda c=client: post_json(c, url, nested(depth), method))

        what = f"{role} {method} {url} nested {depth}"
        assert_no_server_error(response, what)
        assert_error_shape(response, what)


def test_json_nested_too_deep_is_json_too_deep(api_client):
    response = post_json(api_client, "/api/auth/login/", nested(MAX_JSON_DEPTH + 1))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "json_too_deep"
    assert response.json()["error"]["details"] == {"max_depth": MAX_JSON_DEPTH}


def test_json_as_deep_as_allowed_is_read(api_client):
    body = b'{"username": ' + nested(MAX_JSON_DEPTH - 1, b'"x"') + b', "password": "p"}'

    response = post_json(api_client, "/api/auth/login/", body)

    # Read, then refused by the field: not a string.
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")
    assert response.json()["error"]["details"] == {
        "username": [{"code": "invalid", "message": "Not a valid string."}]
    }


@pytest.mark.parametrize(
    "username",
    [b'"\\ud800"', b'"a\\udfffb"', b'"\xed\xa0\x80"', b'"\xff"'],
    ids=["escaped high surrogate", "escaped low surrogate", "raw surrogate", "invalid UTF-8"],
)
def test_a_lone_surrogate_or_invalid_utf8_in_a_login_username_is_a_parse_error(
    api_client, username
):
    body = b'{"username": ' + username + b', "password": "secret"}'

    response = post_json(api_client, "/api/auth/login/", body)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")


@pytest.mark.parametrize("tier", [b'"\\ud800"', b'"x\\udc00"'])
def test_a_lone_surrogate_in_an_echoed_field_is_a_parse_error(customer_client, showtime, tier):
    # A ChoiceField echoes what it got ("... is not a valid choice."): that crashed rendering.
    body = b'{"showtime": %d, "quantity": 1, "tier": %s}' % (showtime.pk, tier)

    response = post_json(customer_client, "/api/bookings/", body)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")


def test_a_surrogate_that_reaches_the_renderer_is_written_as_a_replacement_character():
    message = {"code": "invalid_choice", "message": "\ud800 is not a valid choice."}
    data = {"error": {"code": "invalid", "details": {"tier": [message]}}}

    rendered = FastJSONRenderer().render(data)

    assert json.loads(rendered)["error"]["details"]["tier"] == [
        {"code": "invalid_choice", "message": "\ufffd is not a valid choice."}
    ]


def test_an_integer_orjson_cannot_write_is_rendered_by_drf():
    assert FastJSONRenderer().render({"n": 2**70}) == b'{"n":1180591620717411303424}'


def test_a_nul_in_a_genre_slug_of_a_movie_is_a_400_naming_the_field(admin_client_api, db):
    Genre.objects.get_or_create(slug="drama", defaults={"name": "Drama"})
    body = b'{"title": "Nul", "duration_minutes": 90, "genres": ["drama", "dr\\u0000ama"]}'

    response = post_json(admin_client_api, "/api/movies/", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "null_character"
    assert response.json()["error"]["details"] == {
        "genres.1": [
            {
                "code": "null_character",
                "message": "Text may not contain the NUL character (U+0000).",
            }
        ]
    }
    assert not Movie.objects.filter(title="Nul").exists()


def test_a_nul_in_a_form_field_is_a_400(admin_client_api, db):
    response = admin_client_api.generic(
        "POST",
        "/api/genres/",
        b"slug=a%00b&name=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "null_character")
    assert response.json()["error"]["details"] == {
        "slug": [
            {
                "code": "null_character",
                "message": "Text may not contain the NUL character (U+0000).",
            }
        ]
    }


def test_nan_and_infinity_are_not_json(customer_client, showtime):
    body = b'{"showtime": %d, "quantity": NaN}' % showtime.pk

    response = post_json(customer_client, "/api/bookings/", body)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")


def test_a_json_body_over_the_upload_limit_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"username": "' + b"x" * 2000 + b'", "password": "p"}'

    response = post_json(api_client, "/api/auth/login/", body)

    assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")


def test_a_filter_s_own_error_list_is_details_by_non_field_errors(admin_client_api):
    response = admin_client_api.get("/api/auth/users/", {"search": "a\x00b"})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "non_field_errors": [
            {"code": "null_characters_not_allowed", "message": "Null characters are not allowed."}
        ]
    }


def wsgi_call(environ_overrides: dict) -> tuple[str, bytes]:
    """One request through `config.wsgi.application`, as a server hands it over."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/genres/", "SERVER_NAME": "localhost"}
    environ.update(environ_overrides)
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], body


@pytest.mark.parametrize("charset", ["rot13", "base64", "zlib", "unicode_escape", "utf-8''rot13"])
def test_a_content_type_naming_a_codec_that_is_no_text_encoding_is_read_as_utf8(db, charset):
    # Django decoded the query string with it while building the request: a bare 500 (rot13)
    # or a lone surrogate out of `%5Cud800` (unicode_escape).
    parameter = f"charset*={charset}" if "''" in charset else f"charset={charset}"
    status, body = wsgi_call(
        {"CONTENT_TYPE": f"application/json; {parameter}", "QUERY_STRING": "a=%5Cud800"}
    )

    assert status.startswith("200"), (status, body[:200])


@pytest.mark.parametrize("charset", ["rot13", "unicode_escape", "utf-8''rot13"])
def test_the_asgi_entry_point_reads_such_a_content_type_as_utf8_too(db, charset):
    # `make run` and the live server serve config.asgi, which needs no guard for it.
    from asgiref.sync import async_to_sync

    from config.asgi import application
    from tests.live.sse import Stream

    parameter = f"charset*={charset}" if "''" in charset else f"charset={charset}"

    async def call():
        headers = {"Content-Type": f"application/json; {parameter}"}
        async with Stream(application, "/api/genres/?a=%5Cud800", headers) as stream:
            return stream.status, await stream.body()

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        status, body = async_to_sync(call)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert status == 200, (status, body[:200])


def test_a_honoured_charset_is_kept(db):
    body = json.dumps({"username": "nobody", "password": "wrong"}).encode("utf-16")
    status, answer = wsgi_call(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/auth/login/",
            "CONTENT_TYPE": "application/json; charset=utf-16",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )

    # Read as UTF-16: the credentials were looked at (as UTF-8 it would be a parse error).
    assert status.startswith("401"), answer
    assert json.loads(answer)["error"]["code"] == "invalid_credentials"


ROUTES = api_routes()


@pytest.mark.parametrize("route", ROUTES, ids=[str(route) for route in ROUTES])
def test_odd_methods_too_many_fields_and_a_bad_host_are_4xx(world, route):
    url = route.url({name: world.ids.get(name, world.ids["pk"])[0] for name in route.params})
    client = world.client("admin")
    many = "&".join(f"f{n}=1" for n in range(1_500))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    requests = {
        "TRACE": lambda: client.generic("TRACE", url),
        "PROPFIND": lambda: client.generic("PROPFIND", url),
        "many query fields": lambda: client.generic("GET", f"{url}?{many}"),
        "many form fields": lambda: client.generic(
            "POST", url, many.encode(), content_type="application/x-www-form-urlencoded"
        ),
        "unknown host": lambda: client.generic("GET", url, HTTP_HOST="evil.example"),
        "host with a bad port": lambda: client.generic("GET", url, HTTP_HOST="localhost:9x"),
    }
    for what, send in requests.items():
        response = isolated(send)

        assert_no_server_error(response, f"{what} {url}")
        assert_error_shape(response, f"{what} {url}")
