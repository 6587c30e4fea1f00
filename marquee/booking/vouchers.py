"""Vouchers (promo codes): what one takes off a booking, redeeming it, and giving it back.

The redemption limit is the database's: redeeming is one conditional UPDATE that adds one only
while `redeemed < max_redemptions`, and a CHECK constraint keeps `redeemed` within the limit
whatever else writes. The per-user limit is counted under the customer's account-row lock,
which every hold (and applying a voucher to a booking) takes first. A booking that no longer
stands (cancelled, expired by the sweeper, refunded) gives its redemption back.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.errors import BookingError
from marquee.booking.models import (
    VOUCHER_CODE_MAX_LENGTH,
    Booking,
    Voucher,
    VoucherKind,
    VoucherRedemption,
)
from marquee.booking.pricing import voucher_discount
from marquee.catalog.models import Showtime
from marquee.catalog.services import amount_check, currency_check

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a box office
MAX_BULK = 10_000


def normalize_code(code: str) -> str:
    return code.strip().upper()


def voucher_error(code: BookingErrorCode, message: str, **details) -> BookingError:
    return BookingError(message, code=code, details=details)


@dataclass(frozen=True)
class VoucherQuote:
    voucher: Voucher
    discount: Decimal


def voucher_quote(
    *,
    code: str,
    showtime: Showtime,
    tickets: Sequence[tuple[str, Decimal]],
    now: datetime,
) -> VoucherQuote:
    """The voucher named by `code` and what it takes off these tickets ((ticket type, price)
    each) at this showtime, or a coded 4xx saying why it does not apply. Checks everything
    but the limits, which `voucher_redeem` checks where they hold."""
    voucher = Voucher.objects.filter(code=normalize_code(code)).first()
    if voucher is None:
        raise voucher_error(BookingErrorCode.VOUCHER_INVALID, "No such voucher code.")
    if not voucher.is_active:
        raise voucher_error(BookingErrorCode.VOUCHER_INACTIVE, "This voucher is no longer valid.")
    if voucher.valid_from is not None and now < voucher.valid_from:
        raise voucher_error(
            BookingErrorCode.VOUCHER_NOT_YET_VALID,
            "This voucher is not valid yet.",
            valid_from=voucher.valid_from.isoformat(),
        )
    if voucher.valid_until is not None and now >= voucher.valid_until:
        raise voucher_error(BookingErrorCode.VOUCHER_EXPIRED, "This voucher has expired.")
    if (voucher.movie_id is not None and voucher.movie_id != showtime.movie_id) or (
        voucher.theater_id is not None and voucher.theater_id != showtime.screen.theater_id
    ):
        raise voucher_error(
            BookingErrorCode.VOUCHER_NOT_APPLICABLE, "This voucher is not valid for this show."
        )
    if voucher.kind == VoucherKind.AMOUNT and voucher.currency != showtime.currency:
        raise voucher_error(
            BookingErrorCode.VOUCHER_NOT_APPLICABLE,
            f"This voucher is in {voucher.currency}; this show is sold in {showtime.currency}.",
        )
    if len(tickets) < voucher.min_seats:
        raise voucher_error(
            BookingErrorCode.VOUCHER_MIN_SEATS,
            f"This voucher needs at least {voucher.min_seats} seats.",
            min_seats=voucher.min_seats,
        )
    eligible = [price for ticket_type, price in tickets if voucher.ticket_type in ("", ticket_type)]
    if not eligible:
        raise voucher_error(
            BookingErrorCode.VOUCHER_NOT_APPLICABLE,
            "This voucher is for other ticket types.",
            ticket_type=voucher.ticket_type,
        )
    discount = voucher_discount(
        kind=voucher.kind,
        value=voucher.value,
        currency=showtime.currency,
        eligible_total=sum(eligible, Decimal(0)),
    )
    return VoucherQuote(voucher=voucher, discount=discount)


def voucher_redeem(*, quote: VoucherQuote, booking: Booking, user) -> VoucherRedemption:
    """Count one use of the voucher for `booking` (saved), inside the caller's transaction,
    under the caller's lock on the customer's account row; 409 when a limit is reached."""
    voucher = quote.voucher
    if voucher.max_per_user is not None:
        used = VoucherRedemption.objects.filter(
            voucher=voucher, user=user, released_at__isnull=True
        ).count()
        if used >= voucher.max_per_user:
            raise voucher_error(
                BookingErrorCode.VOUCHER_USER_LIMIT,
                "You have used this voucher as often as it allows.",
                max_per_user=voucher.max_per_user,
            )
    # The limit itself: one UPDATE that adds one only below it (the CHECK constraint backs it).
    counted = (
        Voucher.objects.filter(pk=voucher.pk)
        .filter(Q(max_redemptions__isnull=True) | Q(redeemed__lt=F("max_redemptions")))
        .update(redeemed=F("redeemed") + 1)
    )
    if not counted:
        raise voucher_error(BookingErrorCode.VOUCHER_EXHAUSTED, "This voucher has been used up.")
    return VoucherRedemption.objects.create(
        voucher=voucher, booking=booking, user=user, discount=quote.discount
    )


def vouchers_release(*, booking_ids: Iterable[int], now: datetime | None = None) -> int:
    """Give back the redemptions of bookings that no longer stand; safe to call twice."""
    now = now or timezone.now()
    released = 0
    live = VoucherRedemption.objects.filter(
        booking_id__in=list(booking_ids), released_at__isnull=True
    )
    for redemption_id, voucher_id in live.order_by("pk").values_list("pk", "voucher_id"):
        # Conditional: of two releases racing, one gives the use back.
        if VoucherRedemption.objects.filter(pk=redemption_id, released_at__isnull=True).update(
            released_at=now
        ):
            Voucher.objects.filter(pk=voucher_id).update(redeemed=F("redeemed") - 1)
            released += 1
    return released


def voucher_retake(*, booking: Booking) -> bool:
    """A booking confirmed after the sweeper expired it takes its released redemption back;
    False when the voucher was used up meanwhile (the booking is then not confirmed)."""
    redemption = VoucherRedemption.objects.filter(
        booking=booking, released_at__isnull=False
    ).first()
    if redemption is None:
        return True
    counted = (
        Voucher.objects.filter(pk=redemption.voucher_id)
        .filter(Q(max_redemptions__isnull=True) | Q(redeemed__lt=F("max_redemptions")))
        .update(redeemed=F("redeemed") + 1)
    )
    if counted:
        VoucherRedemption.objects.filter(pk=redemption.pk).update(released_at=None)
    return bool(counted)


PERCENT_STEP = Decimal("0.01")


def voucher_terms_check(
    *,
    kind: str,
    value: Decimal,
    currency: str = "",
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    **_ignored,
) -> None:
    """A percentage from 0 to 100 (two decimals, no currency), or an amount in a currency's
    own minor units; a window that ends after it starts."""
    if kind == VoucherKind.PERCENT:
        if currency or not Decimal(0) < value <= 100 or value != value.quantize(PERCENT_STEP):
            raise voucher_error(
                BookingErrorCode.INVALID_VOUCHER_TERMS,
                "A percentage voucher takes 0.01 to 100 percent and no currency.",
                value=["A percentage from 0.01 to 100 with at most two decimals."],
            )
    elif kind == VoucherKind.AMOUNT:
        currency_check(currency)
        amount_check(value, currency, field="value")
        if value <= 0:
            raise voucher_error(
                BookingErrorCode.INVALID_VOUCHER_TERMS,
                "An amount voucher takes more than 0.",
                value=["> 0"],
            )
    else:
        raise voucher_error(
            BookingErrorCode.INVALID_VOUCHER_TERMS, "Unknown voucher kind.", kind=[kind]
        )
    _window_check(valid_from, valid_until)


def _window_check(valid_from: datetime | None, valid_until: datetime | None) -> None:
    if valid_from and valid_until and valid_until <= valid_from:
        raise voucher_error(
            BookingErrorCode.INVALID_VOUCHER_TERMS,
            "The voucher must end after it starts.",
            valid_until=["Must be after valid_from."],
        )


def _code_length_check(length: int, field: str) -> None:
    if length > VOUCHER_CODE_MAX_LENGTH:
        raise voucher_error(
            BookingErrorCode.INVALID_VOUCHER_TERMS,
            f"A voucher code has at most {VOUCHER_CODE_MAX_LENGTH} characters.",
            **{field: [f"At most {VOUCHER_CODE_MAX_LENGTH} characters in the code."]},
        )


def voucher_create(*, code: str, **fields) -> Voucher:
    """One voucher with a code of one's own (upper-cased); 409 `voucher_code_taken` if used."""
    voucher_terms_check(**fields)
    code = normalize_code(code)
    _code_length_check(len(code), "code")
    if not code or Voucher.objects.filter(code=code).exists():
        raise voucher_error(BookingErrorCode.VOUCHER_CODE_TAKEN, "That code is already in use.")
    try:
        with transaction.atomic():
            return Voucher.objects.create(code=code, **fields)
    except IntegrityError:  # the same code created meanwhile: the unique index decides
        if not Voucher.objects.filter(code=code).exists():
            raise
        raise voucher_error(
            BookingErrorCode.VOUCHER_CODE_TAKEN, "That code is already in use."
        ) from None


def vouchers_create_bulk(
    *,
    count: int,
    prefix: str = "",
    batch: str = "",
    length: int = 10,
    **fields,
) -> list[Voucher]:
    """`count` vouchers with random codes (`prefix` + `length` characters) and the same terms;
    all or none."""
    if not 1 <= count <= MAX_BULK:
        raise voucher_error(
            BookingErrorCode.INVALID_VOUCHER_TERMS,
            f"Create between 1 and {MAX_BULK} vouchers at once.",
        )
    voucher_terms_check(**fields)
    prefix = normalize_code(prefix)
    _code_length_check(len(prefix) + length, "prefix")
    with transaction.atomic():
        codes: set[str] = set()
        while len(codes) < count:
            codes.add(prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length)))
        taken = set(Voucher.objects.filter(code__in=codes).values_list("code", flat=True))
        codes -= taken
        while len(codes) < count:  # astronomically rare: draw again
            code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
            if not Voucher.objects.filter(code=code).exists():
                codes.add(code)
        vouchers = [Voucher(code=code, batch=batch, **fields) for code in sorted(codes)]
        Voucher.objects.bulk_create(vouchers)
    return vouchers


# What staff may change on a voucher: its terms and scope stay what redemptions were priced by.
UPDATABLE_FIELDS = frozenset(
    {"is_active", "valid_from", "valid_until", "max_redemptions", "max_per_user"}
)


def voucher_update(*, voucher_id: int, **changes) -> Voucher:
    """Switch a voucher off or on, or change its window or limits; never the limit below the
    uses already counted (409 `voucher_limit_below_redeemed`; the CHECK constraint backs it)."""
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise voucher_error(
            BookingErrorCode.INVALID_VOUCHER_TERMS,
            "These fields cannot change.",
            **{name: ["Cannot change."] for name in unknown},
        )
    with transaction.atomic():
        # The row lock orders this after any redemption counting on the voucher right now.
        voucher = Voucher.objects.select_for_update().filter(pk=voucher_id).first()
        if voucher is None:
            raise voucher_error(BookingErrorCode.VOUCHER_NOT_FOUND, "No such voucher.")
        for name, value in changes.items():
            setattr(voucher, name, value)
        _window_check(voucher.valid_from, voucher.valid_until)
        if voucher.max_redemptions is not None and voucher.max_redemptions < voucher.redeemed:
            raise voucher_error(
                BookingErrorCode.VOUCHER_LIMIT_BELOW_REDEEMED,
                f"The voucher has been used {voucher.redeemed} times already.",
                redeemed=voucher.redeemed,
                max_redemptions=voucher.max_redemptions,
            )
        if changes:
            voucher.save(update_fields=sorted(changes))
    return voucher


CSV_COLUMNS = [
    "code",
    "kind",
    "value",
    "currency",
    "valid_from",
    "valid_until",
    "movie",
    "theater",
    "ticket_type",
    "max_redemptions",
    "max_per_user",
    "min_seats",
    "redeemed",
    "batch",
]


def vouchers_csv(vouchers: Iterable[Voucher]) -> str:
    """The vouchers as CSV, one row each, the columns of `CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for v in vouchers:
        writer.writerow(
            [
                v.code,
                v.kind,
                # ":f": 10 percent is "10", never "1E+1".
                f"{v.value.normalize():f}" if v.kind == VoucherKind.PERCENT else v.value,
                v.currency,
                v.valid_from.isoformat() if v.valid_from else "",
                v.valid_until.isoformat() if v.valid_until else "",
                v.movie_id or "",
                v.theater_id or "",
                v.ticket_type,
                "" if v.max_redemptions is None else v.max_redemptions,
                "" if v.max_per_user is None else v.max_per_user,
                v.min_seats,
                v.redeemed,
                v.batch,
            ]
        )
    return out.getvalue()
