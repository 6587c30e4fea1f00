"""Booking HTTP API: parse, call one service or selector, render. Rules live in services."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from marquee.accounts.authentication import StatelessJWTCookieAuthentication
from marquee.booking import rendered, selectors, services
from marquee.booking.idempotency import run_idempotent
from marquee.booking.models import BookingStatus
from marquee.catalog.models import SeatTier
from marquee.common.money import money_text
from marquee.common.money_fields import MONEY_SCHEMA, MoneyField
from marquee.common.openapi import error_response
from marquee.common.pagination import StandardPagination
from marquee.common.permissions import is_staff_member
from marquee.common.renderers import FastJSONRenderer
from marquee.common.throttling import UserRateThrottle
from marquee.common.time import api_datetime, local_iso

MAX_LISTED_SEAT_IDS = 1000  # anything longer is garbage, not a big booking


class SeatOutput(serializers.Serializer):
    id = serializers.IntegerField()
    row = serializers.CharField(source="row_label")
    number = serializers.IntegerField()
    tier = serializers.CharField()
    kind = serializers.CharField()


class TicketOutput(serializers.Serializer):
    id = serializers.IntegerField()
    seat = SeatOutput()
    price = MoneyField(currency_source="booking.currency")
    ticket_type = serializers.CharField(help_text="The ticket type's code when it was held.")
    status = serializers.SerializerMethodField(
        help_text="held, sold, expired, cancelled or refunded; a hold whose time ran out "
        "reads expired."
    )
    checked_in_at = serializers.DateTimeField(allow_null=True)
    refund_amount = MoneyField(
        currency_source="booking.currency",
        allow_null=True,
        help_text="Given back out of a paid booking: what of its price is refunded (null "
        "otherwise).",
    )

    def get_status(self, ticket) -> str:
        return selectors.ticket_display_status(ticket)


class BookingEventOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class ShowtimeSummary(serializers.Serializer):
    id = serializers.IntegerField()
    movie = serializers.CharField(source="movie.title")
    theater = serializers.CharField(source="screen.theater.name")
    screen = serializers.CharField(source="screen.name")
    starts_at = serializers.DateTimeField()
    local_starts_at = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_starts_at(self, showtime) -> str:
        return local_iso(showtime.starts_at, showtime.screen.theater.timezone)


class BookingOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.SerializerMethodField(
        help_text="pending (seats held until expires_at), confirmed, expired, cancelled, "
        "payment_failed or refunded; a hold whose time ran out reads expired."
    )
    user = serializers.IntegerField(source="user_id")
    showtime = ShowtimeSummary()
    expires_at = serializers.DateTimeField()
    total = MoneyField(help_text="What is paid: the tickets' prices less `discount`.")
    currency = serializers.CharField()
    discount = MoneyField(help_text="The voucher's discount (0 without one).")
    voucher = serializers.CharField(
        source="voucher_code", allow_null=True, help_text="The promo code applied, or null."
    )
    tickets = TicketOutput(many=True)
    remaining_tickets = serializers.SerializerMethodField(
        help_text="Tickets still held or sold (the others were given back, or lapsed)."
    )
    refunded_amount = serializers.SerializerMethodField(
        help_text="What goes back: the refunds of tickets given back, and once the booking is "
        "refunded the rest it stood on."
    )
    created_at = serializers.DateTimeField()

    def get_status(self, booking) -> str:
        return selectors.booking_display_status(booking)

    def to_representation(self, booking):
        data = super().to_representation(booking)
        data["voucher"] = data["voucher"] or None
        return data

    def get_remaining_tickets(self, booking) -> int:
        return selectors.booking_remaining_tickets(booking)

    @extend_schema_field(MONEY_SCHEMA)
    def get_refunded_amount(self, booking) -> str:
        return money_text(selectors.booking_refunded_amount(booking), booking.currency)


def booking_output(booking, tickets: list | None = None) -> dict:
    """`BookingOutput(booking).data`, built by hand for the hold's 201 (`tickets`: the
    booking's tickets with their seats, when the caller has them; else they are read).

    DRF deep-copies every declared field of every nested serializer for each instance, a large
    share of a hold (docs/benchmarks.md, "The hold's 201 built by hand"). Same fields and
    formatting (dates as DRF writes them, amounts through `money_text` as `MoneyField` does);
    a test compares the two on real bookings, so `BookingOutput` stays the documented shape.
    """
    showtime = booking.showtime
    screen = showtime.screen
    theater = screen.theater
    now = timezone.now()
    rows = list(booking.tickets.all()) if tickets is None else tickets
    return {
        "id": str(booking.public_id),
        "status": selectors.booking_display_status(booking, now),
        "user": booking.user_id,
        "showtime": {
            "id": showtime.pk,
            "movie": showtime.movie.title,
            "theater": theater.name,
            "screen": screen.name,
            "starts_at": api_datetime(showtime.starts_at),
            "local_starts_at": local_iso(showtime.starts_at, theater.timezone),
        },
        "expires_at": api_datetime(booking.expires_at),
        "total": money_text(booking.total, booking.currency),
        "currency": booking.currency,
        "discount": money_text(booking.discount, booking.currency),
        "voucher": booking.voucher_code or None,
        "tickets": [
            {
                "id": ticket.pk,
                "seat": {
                    "id": ticket.seat.pk,
                    "row": ticket.seat.row_label,
                    "number": ticket.seat.number,
                    "tier": ticket.seat.tier,
                    "kind": ticket.seat.kind,
                },
                "price": money_text(ticket.price, booking.currency),
                "ticket_type": ticket.ticket_type,
                "status": selectors.ticket_display_status(ticket, now),
                "checked_in_at": api_datetime(ticket.checked_in_at)
                if ticket.checked_in_at
                else None,
                "refund_amount": None
                if ticket.refund_amount is None
                else money_text(ticket.refund_amount, booking.currency),
            }
            for ticket in rows
        ],
        "remaining_tickets": selectors.booking_remaining_tickets(booking, now, rows),
        "refunded_amount": money_text(
            selectors.booking_refunded_amount(booking, rows), booking.currency
        ),
        "created_at": api_datetime(booking.created_at),
    }


class BookingDetailOutput(BookingOutput):
    history = BookingEventOutput(many=True, source="events.all")


class SeatRequestInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    ticket_type = serializers.SlugField(
        max_length=32,
        required=False,
        help_text="A ticket type code of the seat map's `ticket_types` (default: adult).",
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1},
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "ticket_type": {"type": "string", "maxLength": 32},
                },
                "required": ["id"],
            },
        ]
    }
)
class SeatRequestField(serializers.Field):
    """A seat id (the default ticket type) or `{"id": seat id, "ticket_type": code}`."""

    default_error_messages = {"invalid": "A seat id or an object with `id` and `ticket_type`."}

    def to_internal_value(self, data) -> tuple[int, str | None]:
        if isinstance(data, dict):
            seat = SeatRequestInput(data=data)
            seat.is_valid(raise_exception=True)
            return seat.validated_data["id"], seat.validated_data.get("ticket_type")
        if isinstance(data, bool):
            self.fail("invalid")
        return serializers.IntegerField(min_value=1).run_validation(data), None

    def to_representation(self, value):
        return value


class TicketCountInput(serializers.Serializer):
    ticket_type = serializers.SlugField(
        max_length=32, help_text="A ticket type code of the seat map's `ticket_types`."
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_LISTED_SEAT_IDS, help_text="How many tickets of this type."
    )


class BookingCreateInput(serializers.Serializer):
    showtime = serializers.IntegerField(min_value=1)
    seats = serializers.ListField(
        child=SeatRequestField(),
        max_length=MAX_LISTED_SEAT_IDS,
        required=False,
        help_text='Seat ids, or `{"id": seat id, "ticket_type": "child"}` to name a '
        "ticket type (a plain id is the default type, adult).",
    )
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LISTED_SEAT_IDS,
        required=False,
        help_text="Best available: this many adjacent seats in one row, nearest the centre "
        "about two thirds back.",
    )
    ticket_types = TicketCountInput(
        many=True,
        required=False,
        max_length=MAX_LISTED_SEAT_IDS,
        help_text='With `quantity`: the party\'s ticket types, e.g. `[{"ticket_type": "adult", '
        '"quantity": 2}, {"ticket_type": "child", "quantity": 1}]`. The counts add up to '
        "`quantity` (400 `ticket_counts_mismatch`), each type once; the chosen seats get the "
        "types in this order from the left of the front row. Without it every seat is the "
        "default type (adult).",
    )
    tier = serializers.ChoiceField(
        choices=SeatTier.values,
        required=False,
        help_text="With `quantity`: only seats of this tier. Without it, the seats are "
        "chosen in the cheapest tier (by this showtime's prices) that has room for the whole "
        "party together, then the next cheapest: nobody is moved into a dearer seat unasked.",
    )
    voucher = serializers.CharField(
        max_length=32,
        required=False,
        help_text="A promo code: its discount is taken off the total, or the hold is refused "
        "(`voucher_*` codes) and nothing is held.",
    )
    allow_split = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With `quantity`: when no row has room together, take the nearest free seats "
        "apart (cheapest first without a tier) instead of answering 409 `no_adjacent_seats`.",
    )

    accessible = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With `quantity`: 1 is the best free wheelchair space, 2 a wheelchair space "
        "with the companion seat beside it (409 `no_accessible_seats` when none is free).",
    )

    def validate(self, attrs):
        if ("seats" in attrs) == ("quantity" in attrs):
            raise serializers.ValidationError(
                "Give either `seats` (seat ids) or `quantity` (best available), not both.",
                code="seats_or_quantity",
            )
        counts = attrs.get("ticket_types")
        if counts is not None:
            if "quantity" not in attrs:
                raise serializers.ValidationError(
                    {
                        "ticket_types": "Ticket counts go with `quantity` (best available); name a "
                        "picked seat's type in `seats`."
                    },
                    code="seats_or_quantity",
                )
            codes = [entry["ticket_type"] for entry in counts]
            if len(set(codes)) != len(codes):
                raise serializers.ValidationError(
                    {"ticket_types": "Each ticket type once."}, code="duplicate_ticket_types"
                )
            attrs["ticket_types"] = {entry["ticket_type"]: entry["quantity"] for entry in counts}
        return attrs


class BookingListQuery(serializers.Serializer):
    all = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(
        choices=BookingStatus.values,
        required=False,
        help_text="The status as shown: a hold whose time ran out is `expired` (not `pending`), "
        "whether or not the sweeper has run.",
    )
    when = serializers.ChoiceField(choices=["upcoming", "past"], required=False)
    showtime = serializers.IntegerField(min_value=1, required=False)
    user = serializers.IntegerField(min_value=1, required=False)


class ShowtimeSeatMapView(APIView):
    permission_classes = [AllowAny]
    # Public: a token is checked (and throttles per account) but the user row is not read.
    authentication_classes = [StatelessJWTCookieAuthentication]

    @extend_schema(
        summary="Seat map of a showtime",
        responses={
            200: OpenApiTypes.OBJECT,
            404: error_response("No such showtime.", "showtime_not_found"),
        },
        description="Every seat with row, number, tier, kind, x/y, status "
        "(available, held, sold) and price (of the default ticket type), plus counts per "
        "status; `ticket_types` lists each ticket type sold with its price per seat tier "
        "(`[{code, name, prices: {tier: price}}]`). Wheelchair spaces and "
        "companion seats carry `held_back_until`: until then they are kept for wheelchair "
        "users (a companion seat only with its wheelchair space), and `accessible_seats` says "
        "whether that moment has passed. Public: a bearer token "
        "is optional (it makes the rate limit per account instead of per address).",
        auth=[{"jwtAuth": []}, {}],
    )
    def get(self, request, pk: int):
        renderer = request.accepted_renderer
        if isinstance(renderer, FastJSONRenderer) and "indent" not in request.accepted_media_type:
            # Plain JSON: bytes rendered once and reused while nothing on the map changed.
            body = rendered.seat_map_bytes(showtime_id=pk, render=renderer.render)
            return HttpResponse(body, content_type=renderer.media_type)
        return Response(selectors.showtime_seat_map(showtime_id=pk))


class BookingBurstThrottle(UserRateThrottle):
    """Caps how fast one account can place holds (a bot sweeping a hall), not how fast it reads."""

    scope = "booking_burst"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return super().get_cache_key(request, view)


VOUCHER_INVALID = (
    "voucher_invalid",
    "voucher_inactive",
    "voucher_expired",
    "voucher_not_yet_valid",
    "voucher_not_applicable",
    "voucher_min_seats",
)
VOUCHER_CONFLICT = ("voucher_exhausted", "voucher_user_limit")

HOLD_ERRORS = {
    400: error_response(
        "Invalid request; field errors in `details` for `invalid`.",
        "invalid",
        "seats_or_quantity",
        "no_seats_requested",
        "too_many_seats",
        "duplicate_seats",
        "seats_not_in_screen",
        "invalid_tier",
        "invalid_idempotency_key",
        "ticket_type_unknown",
        "ticket_type_not_offered",
        "ticket_counts_mismatch",
        *VOUCHER_INVALID,
        "accessible_quantity",
    ),
    404: error_response("No such showtime.", "showtime_not_found"),
    409: error_response(
        "The seats cannot be held now.",
        "seats_unavailable",
        "seats_busy",
        "not_enough_seats",
        "no_adjacent_seats",
        "no_accessible_seats",
        "companion_requires_wheelchair",
        "showtime_cancelled",
        "showtime_started",
        "idempotency_in_progress",
        *VOUCHER_CONFLICT,
    ),
    422: error_response(
        "The Idempotency-Key was used with a different request.", "idempotency_key_reused"
    ),
}
NOT_FOUND = {404: error_response("No such booking, or not yours.", "booking_not_found")}


class BookingListCreateView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, BookingBurstThrottle]
    pagination_class = StandardPagination  # also tells the schema the list is paginated

    @extend_schema(
        summary="List bookings (your own; staff: ?all=1 for everyone's)",
        parameters=[BookingListQuery],
        responses={
            200: BookingOutput(many=True),
            403: error_response("Only staff may list everyone's bookings.", "permission_denied"),
        },
    )
    def get(self, request):
        query = BookingListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        if filters["all"] and not is_staff_member(request.user):
            raise PermissionDenied("Only staff may list everyone's bookings.")
        bookings = selectors.booking_list(
            user=request.user, filters=filters, all_bookings=filters["all"]
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(bookings, request, view=self)
        return paginator.get_paginated_response(BookingOutput(page, many=True).data)

    @extend_schema(
        summary="Hold seats: pick seat ids or ask for the best available",
        description="Until the theater's `accessible_release_minutes` (else the site's "
        "`BOOKING_ACCESSIBLE_RELEASE_MINUTES`) before the show a companion seat "
        "is held only together with the wheelchair space beside it (409 "
        "`companion_requires_wheelchair`; staff may sell one alone), and best available leaves "
        "wheelchair spaces and companion seats out; the seat map gives the moment in "
        "`accessible_seats` and on each such seat (`held_back_until`). "
        "A customer holds at most `BOOKING_HOLD_LIMIT_PER_SHOWTIME` seats at one "
        "showtime and `BOOKING_HOLD_LIMIT_TOTAL` in all (unpaid, unexpired holds); beyond "
        "that the answer is 409 `hold_limit_reached` with `scope`, `limit`, `held` and "
        "`requested` in its details. Staff are not limited.",
        request=BookingCreateInput,
        responses={201: BookingOutput, **HOLD_ERRORS},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Retrying with the same key returns the first booking.",
            )
        ],
    )
    def post(self, request):
        data = BookingCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data

        seats = params.get("seats")
        ticket_types = {seat_id: code for seat_id, code in seats or () if code} or None

        def perform() -> tuple[int, dict]:
            held = services.booking_hold_with_tickets(
                user=request.user,
                showtime_id=params["showtime"],
                seat_ids=None if seats is None else [seat_id for seat_id, _ in seats],
                ticket_types=ticket_types,
                quantity=params.get("quantity"),
                ticket_counts=params.get("ticket_types"),
                tier=params.get("tier"),
                allow_split=params["allow_split"],
                voucher_code=params.get("voucher"),
                accessible=params["accessible"],
            )
            return status.HTTP_201_CREATED, booking_output(held.booking, held.tickets)

        key = request.headers.get("Idempotency-Key")
        if key is None:
            status_code, body = perform()
        else:
            status_code, body = run_idempotent(
                user=request.user, key=key, payload=request.data, perform=perform
            )
        return Response(body, status=status_code)


class BookingDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One booking with its tickets and history",
        responses={200: BookingDetailOutput, **NOT_FOUND},
    )
    def get(self, request, public_id):
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        return Response(BookingDetailOutput(booking).data)


class BookingCancelInput(serializers.Serializer):
    tickets = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=MAX_LISTED_SEAT_IDS,
        required=False,
        help_text="Ticket ids to give back; without it the whole booking is cancelled.",
    )
    refund_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text="Staff only: refund this share of the tickets' prices instead of the "
        "theater's policy (100 for a full refund); needs a `reason`.",
    )
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    def validate(self, attrs):
        if "tickets" not in attrs and "refund_percent" in attrs:
            raise serializers.ValidationError(
                "`refund_percent` goes with `tickets`.", code="tickets_required"
            )
        return attrs


class RefundQuoteInput(BookingCancelInput):
    tickets = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=MAX_LISTED_SEAT_IDS,
        help_text="Ticket ids that would be given back.",
    )


class RefundQuoteOutput(serializers.Serializer):
    tickets = serializers.ListField(child=serializers.IntegerField())
    whole_booking = serializers.BooleanField(
        help_text="The tickets are every remaining one: a held booking is then released "
        "whole; a paid booking's tickets are refunded by the policy all the same (`percent`)."
    )
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    overridden = serializers.BooleanField()
    refund = MoneyField(help_text="The total that would go back.")
    currency = serializers.CharField()
    refunds = serializers.DictField(
        child=MoneyField(), help_text="Ticket id -> the amount that would go back."
    )


def quote_output(quote: services.RefundQuote) -> dict:
    return {
        "tickets": [t.pk for t in quote.tickets],
        "whole_booking": quote.whole_booking,
        "percent": f"{quote.percent:.2f}",
        "overridden": quote.overridden,
        "refund": money_text(quote.amount, quote.currency),
        "currency": quote.currency,
        "refunds": {str(pk): money_text(v, quote.currency) for pk, v in quote.refunds.items()},
    }


CANCEL_ERRORS = {
    400: error_response(
        "Invalid request; field errors in `details` for `invalid`.",
        "invalid",
        "no_tickets_requested",
        "duplicate_tickets",
        "tickets_not_in_booking",
        "refund_override_needs_reason",
        "refund_override_not_applicable",
    ),
    403: error_response(
        "Only staff may override the refund policy.", "refund_override_not_allowed"
    ),
    **NOT_FOUND,
    409: error_response(
        "Not cancellable now.",
        "booking_not_cancellable",
        "cancellation_closed",
        "tickets_not_active",
        "companion_requires_wheelchair",
    ),
}


class BookingCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel a booking, or give back some of its tickets",
        request=BookingCancelInput,
        responses={200: BookingOutput, **CANCEL_ERRORS},
        description=f"Without a body: the whole booking; held bookings any time, confirmed "
        f"ones until {settings.BOOKING_CANCELLATION_CUTOFF_MINUTES} minutes before the show, "
        "with a full refund. With `tickets`: only those tickets; their seats are free at "
        "once. Of a paid booking they are refunded by the theater's refund policy (each "
        "ticket's price times the policy's percentage for the time left before the show, "
        "rounded down to the currency's minor unit); staff may override the percentage with a "
        "`reason`. The policy applies whichever tickets are named, every remaining one "
        "included: the booking then stays `confirmed` with no ticket left, and cancelling it "
        "afterwards is 409 `booking_not_cancellable`. Of a held booking, naming every "
        "remaining ticket releases the whole hold. "
        "`refund-quote/` answers the same question without changing anything.",
    )
    def post(self, request, public_id):
        data = BookingCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        if "tickets" not in params:
            services.booking_cancel(booking=booking, actor=request.user, reason=params["reason"])
        else:
            services.booking_cancel_tickets(
                booking=booking,
                ticket_ids=params["tickets"],
                actor=request.user,
                refund_percent=params.get("refund_percent"),
                reason=params["reason"],
            )
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        return Response(BookingOutput(booking).data)


class VoucherApplyInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class BookingVoucherView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Apply a promo code to a held booking before paying",
        request=VoucherApplyInput,
        responses={
            200: BookingOutput,
            400: error_response("The code does not apply.", "invalid", *VOUCHER_INVALID),
            **NOT_FOUND,
            409: error_response(
                "The booking cannot take this voucher now.",
                *VOUCHER_CONFLICT,
                "voucher_already_applied",
                "booking_not_pending",
                "payment_in_progress",
            ),
        },
        description="One voucher per booking; the total drops by the discount. A cancelled, "
        "expired or refunded booking gives the voucher's use back.",
    )
    def post(self, request, public_id):
        data = VoucherApplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        services.booking_voucher_apply(
            booking=booking, code=data.validated_data["code"], actor=request.user
        )
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        return Response(BookingOutput(booking).data)


class BookingRefundQuoteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="What giving back some tickets would refund now (changes nothing)",
        request=RefundQuoteInput,
        responses={200: RefundQuoteOutput, **CANCEL_ERRORS},
    )
    def post(self, request, public_id):
        data = RefundQuoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        quote = services.booking_refund_quote(
            booking=booking,
            ticket_ids=params["tickets"],
            actor=request.user,
            refund_percent=params.get("refund_percent"),
            reason=params["reason"],
        )
        return Response(quote_output(quote))
