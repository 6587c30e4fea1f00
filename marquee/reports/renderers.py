"""CSV downloads of reports, chosen with `?format=csv` (or `Accept: text/csv`)."""

from __future__ import annotations

import csv
import io
import re

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from marquee.common.errors import CommonErrorCode, DomainError, field_errors

# A text cell starting with one of these is a formula to a spreadsheet; numbers are safe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


class CSVRenderer(BaseRenderer):
    """Renders `{"columns": [...], "rows": [{...}, ...]}`: a header row, then one line a row."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if not isinstance(data, dict) or "columns" not in data:
            return b""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(data["columns"])
        for row in data["rows"]:
            writer.writerow([_cell(row.get(column)) for column in data["columns"]])
        return buffer.getvalue().encode(self.charset)


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not NUMBER.fullmatch(text):
        # A movie titled "=HYPERLINK(...)" must stay text when the file is opened.
        return "'" + text
    return text


class ReportNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is a bad parameter (400), not a missing page (DRF's 404)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            known = ", ".join(renderer.format for renderer in renderers)
            raise DomainError(
                "The request is invalid; see details.",
                code=CommonErrorCode.INVALID,
                details=field_errors(
                    "format", f"Unknown format; use one of: {known}.", code="invalid_choice"
                ),
            )
        return matching
