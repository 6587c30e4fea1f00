"""The WSGI entry point's guard: what Django cannot survive before its own middleware runs.

Django honours any codec a Content-Type's `charset` names, and reads the query string with it
while it builds the request, before any middleware or exception handler exists: `charset=rot13`
or `base64` (codecs, not text encodings) raised out of the handler as a bare 500, and
`unicode_escape` turned `%5Cud800` in a query or form into a lone surrogate. A charset a real
client sends is kept; any other is dropped, so the body and query are read as UTF-8.
"""

from __future__ import annotations

import codecs
import re

# Charsets clients really send; their decoders never yield lone surrogates.
HONOURED_CHARSETS = frozenset(
    codecs.lookup(name).name
    for name in ("utf-8", "utf-8-sig", "utf-16", "utf-32", "ascii", "latin-1", "cp1252")
)
# `charset=...`, quoted or not, or RFC 2231's `charset*=utf-8''...` (Django decodes both).
_CHARSET_PARAMETER = re.compile(r';\s*charset\*?\s*=\s*("[^"]*"|[^;]*)', re.IGNORECASE)


def is_honoured_charset(name: str) -> bool:
    try:
        return codecs.lookup(name.strip().strip('"')).name in HONOURED_CHARSETS
    except LookupError:
        return False


def honoured_content_type(content_type: str) -> str:
    """`content_type` without a `charset` parameter that is not an honoured charset."""
    return _CHARSET_PARAMETER.sub(
        lambda match: match.group(0) if is_honoured_charset(match.group(1)) else "",
        content_type,
    )


def guard_environ(environ: dict) -> dict:
    content_type = environ.get("CONTENT_TYPE")
    if content_type and "charset" in content_type.lower():
        environ["CONTENT_TYPE"] = honoured_content_type(content_type)
    return environ


class EnvironGuard:
    """WSGI middleware around Django's handler (config/wsgi.py)."""

    def __init__(self, application) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(guard_environ(environ), start_response)
