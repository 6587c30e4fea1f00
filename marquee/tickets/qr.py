"""QR images of e-ticket codes (segno: pure Python, no image library needed)."""

from __future__ import annotations

import io

import segno

from marquee.tickets.codes import ticket_code

QR_ERROR_LEVEL = "m"  # survives a scratched phone screen or a crumpled print-out
QR_SCALE = 5  # pixels per module: about 200 px wide for a typical code
QR_BORDER = 4  # the quiet zone the QR standard asks for


def qr_svg(data: str, *, title: str = "") -> str:
    """An SVG document of a QR code, black on an explicit white background."""
    code = segno.make(data, error=QR_ERROR_LEVEL, micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=QR_SCALE,
        border=QR_BORDER,
        dark="#000",
        # An explicit light colour keeps the code scannable in dark-mode mail clients.
        light="#fff",
        title=title or None,
        xmldecl=True,
    )
    return out.getvalue().decode("utf-8")


def ticket_qr_svg(ticket) -> str:
    """The SVG QR image the door scanner reads for this ticket."""
    return qr_svg(ticket_code(ticket), title=f"Ticket {ticket.pk}")


def ticket_qr_png(ticket) -> bytes:
    """The same QR code as a PNG: what mail clients display (Gmail and Outlook drop SVG)."""
    out = io.BytesIO()
    segno.make(ticket_code(ticket), error=QR_ERROR_LEVEL, micro=False).save(
        out, kind="png", scale=QR_SCALE, border=QR_BORDER, dark="#000", light="#fff"
    )
    return out.getvalue()


def ticket_qr_data_uri(ticket) -> str:
    """The same QR code as an SVG `data:` URI, for a page that shows it inline."""
    return segno.make(ticket_code(ticket), error=QR_ERROR_LEVEL, micro=False).svg_data_uri(
        scale=QR_SCALE, border=QR_BORDER, dark="#000", light="#fff"
    )
