"""Seat generation rules: row labels A..Z then AA.., tiers by row, aisles as gaps in x.

Pure functions (no database) so the API, the admin and `manage.py generate_seats` share one
definition of a generated layout. Seat numbers run 1..per_row from left to right; row A is
nearest the screen (y = 0). An aisle after seat n leaves a gap of two in x between n and n+1.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from marquee.catalog.error_codes import CatalogErrorCode
from marquee.catalog.models import SeatKind, SeatTier
from marquee.common.errors import DomainError, field_errors

MAX_ROWS = 40
MAX_SEATS_PER_ROW = 60
AISLE_WIDTH = 1  # empty x positions an aisle takes up


@dataclass(frozen=True)
class PlannedSeat:
    row_label: str
    number: int
    tier: str
    kind: str
    x: int
    y: int


def row_label(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB (spreadsheet-style column names)."""
    label = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        label = string.ascii_uppercase[remainder] + label
    return label


def row_index(label: str) -> int:
    """The inverse of row_label; -1 for anything that is not a row label."""
    label = label.strip().upper()
    if not label or not all(c in string.ascii_uppercase for c in label):
        return -1
    index = 0
    for char in label:
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def _invalid(field: str, message: str) -> DomainError:
    refusal = CatalogErrorCode.INVALID_SEAT_LAYOUT
    return DomainError(message, code=refusal, details=field_errors(field, message, code=refusal))


def parse_rows(spec: str | Sequence[str] | None, *, rows: int, field: str) -> set[str]:
    """Row labels from "E-G", "E,F,H", "AA-AC" or a list of such items, checked against rows."""
    if not spec:
        return set()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    labels: set[str] = set()
    for raw_item in items:
        item = str(raw_item).strip().upper()
        if not item:
            continue
        first, dash, last = item.partition("-")
        start, end = row_index(first), row_index(last if dash else first)
        if start < 0 or end < 0 or start > end:
            raise _invalid(field, f"'{raw_item}' is not a row label or a range like 'E-G'.")
        if end >= rows:
            raise _invalid(field, f"Row '{row_label(end)}' is beyond the last row.")
        labels.update(row_label(i) for i in range(start, end + 1))
    return labels


def parse_seat_labels(
    labels: Iterable[str] | str | None, *, rows: int, per_row: int, field: str
) -> set[tuple[str, int]]:
    """Seats named like "A1" or "AA12", checked against the generated grid."""
    if not labels:
        return set()
    items = labels.split(",") if isinstance(labels, str) else list(labels)
    seats: set[tuple[str, int]] = set()
    for raw_item in items:
        item = str(raw_item).strip().upper()
        if not item:
            continue
        letters = item.rstrip(string.digits)
        digits = item[len(letters) :]
        index = row_index(letters)
        if index < 0 or not digits.isdigit():
            raise _invalid(field, f"'{raw_item}' is not a seat label like 'A1'.")
        number = int(digits)
        if index >= rows or not 1 <= number <= per_row:
            raise _invalid(field, f"Seat '{item}' is not in the generated grid.")
        seats.add((row_label(index), number))
    return seats


def plan_seats(
    *,
    rows: int,
    per_row: int,
    aisles_after: Iterable[int] = (),
    premium_rows: str | Sequence[str] | None = None,
    vip_rows: str | Sequence[str] | None = None,
    wheelchair: Iterable[str] | str | None = None,
    companion: Iterable[str] | str | None = None,
) -> list[PlannedSeat]:
    """Every seat of a rows x per_row grid, or an `invalid_seat_layout` error naming the field."""
    if not 1 <= rows <= MAX_ROWS:
        raise _invalid("rows", f"Must be between 1 and {MAX_ROWS}.")
    if not 1 <= per_row <= MAX_SEATS_PER_ROW:
        raise _invalid("per_row", f"Must be between 1 and {MAX_SEATS_PER_ROW}.")
    aisles = set(aisles_after)
    for number in aisles:
        if not 1 <= number < per_row:
            raise _invalid(
                "aisles_after", f"An aisle goes after a seat number from 1 to {per_row - 1}."
            )
    premium = parse_rows(premium_rows, rows=rows, field="premium_rows")
    vip = parse_rows(vip_rows, rows=rows, field="vip_rows")
    if premium & vip:
        both = ", ".join(sorted(premium & vip, key=row_index))
        raise _invalid("vip_rows", f"Rows {both} cannot be both premium and VIP.")
    wheelchair_seats = parse_seat_labels(wheelchair, rows=rows, per_row=per_row, field="wheelchair")
    companion_seats = parse_seat_labels(companion, rows=rows, per_row=per_row, field="companion")
    if wheelchair_seats & companion_seats:
        both = ", ".join(f"{r}{n}" for r, n in sorted(wheelchair_seats & companion_seats))
        raise _invalid("companion", f"Seats {both} cannot be both wheelchair and companion.")

    planned: list[PlannedSeat] = []
    for y in range(rows):
        label = row_label(y)
        tier = SeatTier.STANDARD
        if label in vip:
            tier = SeatTier.VIP
        elif label in premium:
            tier = SeatTier.PREMIUM
        x = 0
        for number in range(1, per_row + 1):
            kind = SeatKind.REGULAR
            if (label, number) in wheelchair_seats:
                kind = SeatKind.WHEELCHAIR
            elif (label, number) in companion_seats:
                kind = SeatKind.COMPANION
            planned.append(
                PlannedSeat(
                    row_label=label, number=number, tier=tier.value, kind=kind.value, x=x, y=y
                )
            )
            x += 1 + (AISLE_WIDTH if number in aisles else 0)
    return planned
