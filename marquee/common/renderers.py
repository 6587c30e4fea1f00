"""The project's JSON renderer: DRF's output, written by orjson.

DRF's JSONRenderer runs the standard library encoder, most of a large seat map's cost; orjson
writes the same compact UTF-8 JSON much faster (docs/benchmarks.md, "orjson"). Anything
orjson does not know (lazy translations, Decimal, ...) goes through DRF's own encoder, and so
do dates and times (DRF writes UTC as `Z`, orjson as `+00:00`); non-string keys become
strings as the standard library makes them; an indented rendering
(`Accept: application/json; indent=2`) is left to DRF. The default renderer of every view.

Text that is not valid Unicode (a lone surrogate, say, echoed in a validation error) is
written with U+FFFD in its place instead of failing the response (neither orjson nor UTF-8
can write it), and so is an integer too large for orjson: those take DRF's path.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return self._render_with_drf(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_fallback.default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return self._render_with_drf(data, accepted_media_type, renderer_context)
        # As DRF does: these two are valid JSON but end a line in JavaScript.
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                b"\xe2\x80\xa9", b"\\u2029"
            )
        return rendered

    def _render_with_drf(self, data, accepted_media_type, renderer_context) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(without_surrogates(data), accepted_media_type, renderer_context)


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(data: Any) -> Any:
    """`data` with every lone surrogate in its text (keys included) replaced by U+FFFD."""
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {without_surrogates(key): without_surrogates(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [without_surrogates(item) for item in data]
    return data


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with the common case answered without parsing anything.

    A request without a format override whose Accept is absent, `*/*` or `application/json`
    gets the first renderer as `application/json`: exactly what DRF's own rules give when that
    renderer is JSON. Anything else (an indent, the browsable API, several media types, a
    406) is DRF's. Parsing the header is costly for what it decides (docs/benchmarks.md,
    "Content negotiation").
    """

    COMMON_ACCEPTS = frozenset({None, "*/*", "application/json"})

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            format_suffix is None
            and renderers
            and renderers[0].media_type == "application/json"
            and request.META.get("HTTP_ACCEPT") in self.COMMON_ACCEPTS
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], "application/json"
        return super().select_renderer(request, renderers, format_suffix)


class JSONErrorsNegotiation(BaseContentNegotiation):
    """For views whose success is a plain HttpResponse (an image, a CSV file): every error is
    JSON, whatever the Accept header asked for."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
