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
from marquee.common.money_fields import MoneyField
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
    status = serializers.SerializerMethodField(
        help_text="held, sold, expired, cancelled or refunded; a hold whose time ran out "
        "reads expired."
    )
    checked_in_at = serializers.DateTimeField(allow_null=True)

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
    total = MoneyField()
    currency = serializers.CharField()
    tickets = TicketOutput(many=True)
    created_at = serializers.DateTimeField()

    def get_status(self, booking) -> str:
        return selectors.booking_display_status(booking)


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
                "status": selectors.ticket_display_status(ticket, now),
                "checked_in_at": api_datetime(ticket.checked_in_at)
                if ticket.checked_in_at
                else None,
            }
            for ticket in (booking.tickets.all() if tickets is None else tickets)
        ],
        "created_at": api_datetime(booking.created_at),
    }


class BookingDetailOutput(BookingOutput):
    history = BookingEventOutput(many=True, source="events.all")


class BookingCreateInput(serializers.Serializer):
    showtime = serializers.IntegerField(min_value=1)
    seats = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=MAX_LISTED_SEAT_IDS, required=False
    )
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LISTED_SEAT_IDS,
        required=False,
        help_text="Best available: this many adjacent seats in one row, nearest the centre "
        "about two thirds back.",
    )
    tier = serializers.ChoiceField(
        choices=SeatTier.values,
        required=False,
        help_text="With `quantity`: only seats of this tier. Without it, the seats are "
        "chosen in the cheapest tier (by this showtime's prices) that has room for the whole "
        "party together, then the next cheapest: nobody is moved into a dearer seat unasked.",
    )
    allow_split = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With `quantity`: when no row has room together, take the nearest free seats "
        "apart (cheapest first without a tier) instead of answering 409 `no_adjacent_seats`.",
    )

    def validate(self, attrs):
        if ("seats" in attrs) == ("quantity" in attrs):
            raise serializers.ValidationError(
                "Give either `seats` (seat ids) or `quantity` (best available), not both.",
                code="seats_or_quantity",
            )
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
        "(available, held, sold) and price, plus counts per status. Public: a bearer token "
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
    ),
    404: error_response("No such showtime.", "showtime_not_found"),
    409: error_response(
        "The seats cannot be held now.",
        "seats_unavailable",
        "seats_busy",
        "not_enough_seats",
        "no_adjacent_seats",
        "showtime_cancelled",
        "showtime_started",
        "idempotency_in_progress",
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
        description="A customer holds at most `BOOKING_HOLD_LIMIT_PER_SHOWTIME` seats at one "
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

        def perform() -> tuple[int, dict]:
            held = services.booking_hold_with_tickets(
                user=request.user,
                showtime_id=params["showtime"],
                seat_ids=params.get("seats"),
                quantity=params.get("quantity"),
                tier=params.get("tier"),
                allow_split=params["allow_split"],
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


class BookingCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel a booking and release its seats",
        request=None,
        responses={
            200: BookingOutput,
            **NOT_FOUND,
            409: error_response(
                "Not cancellable now.", "booking_not_cancellable", "cancellation_closed"
            ),
        },
        description=f"Held bookings any time; confirmed ones until "
        f"{settings.BOOKING_CANCELLATION_CUTOFF_MINUTES} minutes before the show.",
    )
    def post(self, request, public_id):
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        services.booking_cancel(booking=booking, actor=request.user)
        booking = selectors.booking_get(user=request.user, public_id=public_id)
        return Response(BookingOutput(booking).data)
