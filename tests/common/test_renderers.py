import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from marquee.common.renderers import FastJSONRenderer


def test_fast_renderer_writes_the_same_bytes_as_drf():
    data = {
        "name": "Kinó Ωmega",
        "seats": [{"id": 1, "x": 0, "status": "available", "price": "10.00"}],
        "nothing": None,
        "flag": True,
    }
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_types_orjson_does_not_know_fall_back_to_drfs_encoder():
    data = {"total": Decimal("12.50"), "message": gettext_lazy("Not found.")}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_line_separators_are_escaped_as_drf_does():
    data = {"text": "one\u2028two\u2029three"}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    assert b"\\u2028" in FastJSONRenderer().render(data)


def test_no_data_renders_nothing():
    assert FastJSONRenderer().render(None) == b""


def test_dates_times_uuids_and_number_keys_are_written_as_drf_writes_them():
    data = {
        "utc": datetime(2026, 11, 23, 17, 0, 5, 120000, tzinfo=UTC),
        "paris": datetime(2026, 11, 23, 18, 0, tzinfo=timezone(timedelta(hours=1))),
        "day": date(2026, 11, 23),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "by_weekday": {0: "Monday", 6: "Sunday"},
        "share": 0.375,
    }
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    assert b'"2026-11-23T17:00:05.120000Z"' in FastJSONRenderer().render(data)  # not +00:00


def test_it_is_every_views_default_renderer():
    renderers = settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]
    assert renderers[0] == "marquee.common.renderers.FastJSONRenderer"


# --- Content negotiation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("application/json", ""),
        ("application/json; indent=2", ""),
        ("text/html", ""),
        ("text/html, */*;q=0.8", ""),
        ("application/*", ""),
        ("", ""),
        ("image/png", ""),
        ("*/*", "format=json"),
        ("*/*", "format=api"),
        ("application/json", "format=xml"),
    ],
)
@pytest.mark.parametrize("debug_renderers", [False, True], ids=["json-only", "with-browsable"])
def test_negotiation_agrees_with_drf_on_every_accept(accept, query, debug_renderers):
    from django.http import Http404
    from rest_framework.exceptions import NotAcceptable
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.renderers import BrowsableAPIRenderer
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from marquee.common.renderers import ContentNegotiation

    renderers = [FastJSONRenderer()] + ([BrowsableAPIRenderer()] if debug_renderers else [])
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    def outcome(negotiation):
        request = Request(APIRequestFactory().get(f"/?{query}", **headers))
        try:
            renderer, media_type = negotiation().select_renderer(request, renderers)
        except (NotAcceptable, Http404) as refused:
            return type(refused).__name__
        return type(renderer).__name__, media_type

    assert outcome(ContentNegotiation) == outcome(DefaultContentNegotiation)


def test_the_project_negotiates_with_the_fast_path():
    from rest_framework.settings import api_settings

    from marquee.common.renderers import ContentNegotiation

    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is ContentNegotiation
