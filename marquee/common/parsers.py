"""Request bodies: strict JSON, and forms, refusing at the door what no field can take.

Every body goes through here (settings `DEFAULT_PARSER_CLASSES`), and the Stripe webhook reads
its signed body with `strict_json_loads`, so one set of rules holds everywhere:

- JSON is RFC 8259 text as orjson reads it: UTF-8, no lone surrogates (raw or escaped), no
  NaN or Infinity. Anything else is 400 `parse_error`. The standard library's parser took lone
  surrogates (which then crashed the renderer or the database) and recursed once per level.
- At most `MAX_JSON_DEPTH` levels of arrays and objects (400 `json_too_deep`): no body of this
  API needs more than a handful, and deep values recurse in field code.
- No text, in JSON or a form, may hold NUL (400 `null_character`): PostgreSQL cannot store
  it in text or jsonb, and no field accepts it.
- A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is 413 `payload_too_large`: Django enforces
  that for `request.body` and forms, but DRF's parsers read the stream unbounded.
"""

from __future__ import annotations

import codecs
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
NUL = "\x00"
_ESCAPED_NUL = b"\\u0000"
NUL_MESSAGE = "Text may not contain the NUL character (U+0000)."


class JSONInputError(ValueError):
    """A body that is not acceptable JSON; `code` says why, `details` where."""

    def __init__(self, message: str, *, code: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details or {}

    def as_api_error(self):
        # Imported here: errors.py imports DRF's views, which import the parsers.
        from marquee.common.errors import DomainError

        return DomainError(str(self), code=self.code, details=self.details)


def _too_deep() -> JSONInputError:
    return JSONInputError(
        f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.",
        code="json_too_deep",
        details={"max_depth": MAX_JSON_DEPTH},
    )


def _nul(path: str) -> JSONInputError:
    """Named like a field error: `{"username": [...]}`, `{"seats.2": [...]}`."""
    where = path.replace(NUL, "\\u0000") or "non_field_errors"
    # A FieldError, as marquee.common.errors.field_errors builds it (not imported: see above).
    field_error = {"code": "null_character", "message": NUL_MESSAGE}
    return JSONInputError(NUL_MESSAGE, code="null_character", details={where: [field_error]})


def strict_json_loads(body: bytes | str) -> Any:
    """The JSON value of `body` under the rules above; raises JSONInputError."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error) or "recursion" in str(error):
            raise _too_deep() from None
        raise JSONInputError(f"JSON parse error - {error}", code="parse_error") from None
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    # Cheap first: without that many brackets the value cannot be too deep, and without the
    # escape sequence it cannot hold a NUL (orjson refuses a raw control byte in a string).
    may_be_deep = raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH
    may_hold_nul = _ESCAPED_NUL in raw
    if may_be_deep or may_hold_nul:
        _check_value(value)
    return value


def _check_value(value: Any) -> None:
    """Walk the value without recursion: depth of containers, NUL in keys and strings."""
    stack = [(value, 0, "")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                raise _nul(path)
        elif isinstance(item, dict):
            if depth >= MAX_JSON_DEPTH:
                raise _too_deep()
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else key
                if NUL in key:
                    raise _nul(child_path)
                stack.append((child, depth + 1, child_path))
        elif isinstance(item, list):
            if depth >= MAX_JSON_DEPTH:
                raise _too_deep()
            stack.extend(
                (child, depth + 1, f"{path}.{index}" if path else str(index))
                for index, child in enumerate(item)
            )


def _read_limited(stream) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    return body


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the rules of this module (and orjson's speed)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = _read_limited(stream)
        if not _is_utf8(encoding):
            # A declared charset other than UTF-8: decode it first, as DRF does.
            try:
                body = body.decode(encoding)
            except (UnicodeDecodeError, LookupError) as error:
                raise ParseError(f"JSON parse error - {error}") from None
        try:
            return strict_json_loads(body)
        except JSONInputError as error:
            raise error.as_api_error() from None


def _refuse_nul(data) -> None:
    for key, values in data.lists():
        if NUL in key or any(isinstance(v, str) and NUL in v for v in values):
            raise _nul(key).as_api_error()


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limited = _LimitedStream(stream)
        data = super().parse(limited, media_type, parser_context)
        _refuse_nul(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    # Django's multipart parser enforces the size limits itself.
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _refuse_nul(result.data)
        return result


class _LimitedStream:
    """`read()` of the whole stream, refusing more than the upload limit."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def read(self, *args) -> bytes:
        if args:
            return self._stream.read(*args)
        return _read_limited(self._stream)
