"""The dashboard's charts, drawn on the server as SVG: no JavaScript, no library, nothing to
load. Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` (its text
alternative, written by the caller from the same numbers), and only presentation attributes
(the site's Content-Security-Policy allows no inline style). The numbers themselves are in a
table and a CSV file beside each chart (the dashboard's template)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

INK = "#1f2430"
MUTED = "#5b6272"
GRID = "#d9dce3"
BAR = "#2563eb"
FONT = 'font-family="system-ui, sans-serif"'
# The charts are drawn 480 units wide and scale to their box: on a 360-pixel phone to about
# 0.7, so text is drawn at 14 to 15 units to stay about 10 pixels there.
AXIS_SIZE, TEXT_SIZE = 14, 15
CHAR_WIDTH = 0.6  # of the font size: an average glyph, to keep labels from colliding


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown (e.g. "12", "€48.00", "41.7 %")


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(body) + "</svg>"
    )


def column_chart(
    *, chart_id: str, title: str, desc: str, bars: Sequence[Bar], every: int = 1
) -> SafeString:
    """Vertical bars in order (a time series): one column per bar, its label under it (every
    `every`th label at least, more apart if they would collide), its value over it when it
    fits."""
    width, height, left, bottom, top = 480, 240, 44, 28, 24
    plot_w, plot_h = width - left - 10, height - bottom - top
    most = max((bar.value for bar in bars), default=0) or 1
    step = plot_w / max(len(bars), 1)
    widest = max((len(bar.label) for bar in bars), default=1) * AXIS_SIZE * CHAR_WIDTH
    every = max(every, math.ceil((widest + 6) / step))
    values_fit = all(len(bar.text) * AXIS_SIZE * CHAR_WIDTH <= step + 4 for bar in bars)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{top + 5}" text-anchor="end" font-size="{AXIS_SIZE}" '
        f'fill="{MUTED}" {FONT}>{escape(_short(most))}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="{AXIS_SIZE}" '
        f'fill="{MUTED}" {FONT}>0</text>',
    ]
    for index, bar in enumerate(bars):
        bar_h = plot_h * bar.value / most
        x = left + index * step + step * 0.15
        y = top + plot_h - bar_h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{bar_h:.1f}" '
            f'fill="{BAR}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
        )
        if values_fit and bar.value:
            body.append(
                f'<text x="{x + step * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="{AXIS_SIZE}" fill="{INK}" {FONT}>{escape(bar.text)}</text>'
            )
        if index % every == 0:
            body.append(
                f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                f'font-size="{AXIS_SIZE}" fill="{MUTED}" {FONT}>{escape(bar.label)}</text>'
            )
    if not bars:
        body.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="{TEXT_SIZE}" '
            f'fill="{MUTED}" {FONT}>-</text>'
        )
    return mark_safe(_svg(chart_id, width, height, title, desc, body))  # noqa: S308 (escaped)


def bar_chart(
    *, chart_id: str, title: str, desc: str, bars: Sequence[Bar], scale: float | None = None
) -> SafeString:
    """Horizontal bars, one per row with its label on the left and value on the right;
    `scale`: the value of a full bar (100 for percentages), else the largest value."""
    row_h, label_w, value_w, width = 30, 200, 72, 480
    height = max(len(bars), 1) * row_h + 10
    most = scale or max((bar.value for bar in bars), default=0) or 1
    plot_w = width - label_w - value_w
    # Clipped with room to spare (capitals are wider than the average); the title has it all.
    label_chars = int((label_w - 8) / (TEXT_SIZE * CHAR_WIDTH * 1.05))
    body = []
    for index, bar in enumerate(bars):
        y = 5 + index * row_h
        length = plot_w * min(bar.value, most) / most
        body.append(
            f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end" font-size="{TEXT_SIZE}" '
            f'fill="{INK}" {FONT}>{escape(_clip(bar.label, label_chars))}</text>'
            f'<rect x="{label_w}" y="{y + 6}" width="{plot_w}" height="{row_h - 10}" '
            f'fill="{GRID}"/>'
            f'<rect x="{label_w}" y="{y + 6}" width="{length:.1f}" height="{row_h - 10}" '
            f'fill="{BAR}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            f'<text x="{label_w + plot_w + 8}" y="{y + 20}" font-size="{TEXT_SIZE}" '
            f'fill="{INK}" {FONT}>{escape(bar.text)}</text>'
        )
    return mark_safe(_svg(chart_id, width, height, title, desc, body))  # noqa: S308 (escaped)


def heat_colour(share: float) -> str:
    """White (never sold) to deep red (sold at every show), through yellow and orange."""
    stops = [(255, 255, 255), (254, 224, 139), (244, 109, 67), (165, 0, 38)]
    share = min(max(share, 0.0), 1.0)
    position = share * (len(stops) - 1)
    index = min(int(position), len(stops) - 2)
    fraction = position - index
    start, end = stops[index], stops[index + 1]
    red, green, blue = (round(a + (b - a) * fraction) for a, b in zip(start, end, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def seat_heatmap_chart(*, chart_id: str, title: str, desc: str, heatmap: dict) -> SafeString:
    """The screen's seats where they are (x, y), coloured by how many of its shows each sold
    at (sold / shows); each seat's own title says its label and count."""
    seats = heatmap["seats"]
    shows = heatmap["showtimes"] or 1
    cell, gap, margin = 18, 4, 28
    max_x = max((seat.x for seat in seats), default=0)
    max_y = max((seat.y for seat in seats), default=0)
    width = margin * 2 + (max_x + 1) * (cell + gap)
    height = margin * 2 + (max_y + 1) * (cell + gap) + 20
    body = [
        f'<rect x="{margin}" y="6" width="{width - 2 * margin}" height="6" fill="{MUTED}"/>',
        f'<text x="{width / 2}" y="28" text-anchor="middle" font-size="{AXIS_SIZE}" '
        f'fill="{MUTED}" '
        f"{FONT}>{escape(gettext('Screen').upper())}</text>",
    ]
    for seat in seats:
        x = margin + seat.x * (cell + gap)
        y = margin + 12 + seat.y * (cell + gap)
        body.append(
            f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="3" '
            f'fill="{heat_colour(seat.sold / shows)}" stroke="{MUTED}" stroke-width="0.5">'
            f"<title>{escape(seat.label)}: {seat.sold}</title></rect>"
        )
    return mark_safe(_svg(chart_id, width, height, title, desc, body))  # noqa: S308 (escaped)


def _short(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
