from decimal import Decimal

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
