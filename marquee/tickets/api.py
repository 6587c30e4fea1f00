"""Tickets HTTP API: the QR image of a ticket, check-in at the door, and emailing a booking's
e-tickets again. Rules live in services."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from marquee.booking import selectors as booking_selectors
from marquee.common.openapi import error_response
from marquee.common.permissions import IsStaffRole
from marquee.common.renderers import JSONErrorsNegotiation
from marquee.common.throttling import UserRateThrottle
from marquee.common.time import local_iso
from marquee.tickets import outbox, selectors, services
from marquee.tickets.codes import MAX_CODE_LENGTH
from marquee.tickets.models import DeliveryStatus, EmailKind
from marquee.tickets.qr import ticket_qr_svg

_error = error_response


class StrictCharField(serializers.CharField):
    """A string, and only a string: numbers and lists are refused, not converted."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CheckInInput(serializers.Serializer):
    code = StrictCharField(max_length=MAX_CODE_LENGTH)


class CheckInSeatOutput(serializers.Serializer):
    row = serializers.CharField(source="row_label")
    number = serializers.IntegerField()
    tier = serializers.CharField()
    kind = serializers.CharField()


class CheckInOutput(serializers.Serializer):
    ticket = serializers.IntegerField(source="pk")
    booking = serializers.UUIDField(source="booking.public_id")
    checked_in_at = serializers.DateTimeField()
    movie = serializers.CharField(source="showtime.movie.title")
    showtime = serializers.IntegerField(source="showtime.pk")
    starts_at = serializers.DateTimeField(source="showtime.starts_at")
    local_starts_at = serializers.SerializerMethodField()
    theater = serializers.CharField(source="showtime.screen.theater.name")
    screen = serializers.CharField(source="showtime.screen.name")
    seat = CheckInSeatOutput()
    holder = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_starts_at(self, ticket) -> str:
        showtime = ticket.showtime
        return local_iso(showtime.starts_at, showtime.screen.theater.timezone)

    def get_holder(self, ticket) -> str:
        user = ticket.booking.user
        return user.get_full_name() or user.username


class TicketQrView(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONErrorsNegotiation

    @extend_schema(
        operation_id="tickets_qr_retrieve",
        summary="QR code of a sold ticket (SVG)",
        description="The e-ticket code as a QR image, for the ticket's buyer or staff. "
        "Another customer's ticket is a 404, like one that does not exist.",
        responses={
            (200, "image/svg+xml"): OpenApiTypes.STR,
            401: _error("Not authenticated.", "not_authenticated"),
            404: _error("No such ticket, or not yours.", "ticket_not_found"),
            409: _error("Only sold tickets have a valid code.", "ticket_not_valid"),
        },
    )
    def get(self, request, pk: int):
        ticket = selectors.ticket_get_for_qr(user=request.user, ticket_id=pk)
        response = HttpResponse(ticket_qr_svg(ticket), content_type="image/svg+xml")
        # The image is a bearer credential: keep it out of shared caches.
        response["Cache-Control"] = "private, no-store"
        return response


class CheckInView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="Check a ticket in at the door (staff)",
        description="Admits a sold ticket once, on the day of its showtime (theater time). "
        "A second scan answers 409 `already_checked_in` with the first scan's time.",
        request=CheckInInput,
        responses={
            200: CheckInOutput,
            400: _error("Missing, malformed or forged code.", "invalid", "invalid_ticket_code"),
            401: _error("Not authenticated.", "not_authenticated"),
            403: _error("Staff only.", "permission_denied"),
            404: _error("The code is genuine but its ticket is gone.", "ticket_not_found"),
            409: _error(
                "Not admissible now.",
                "already_checked_in",
                "ticket_not_valid",
                "wrong_day",
                "showtime_cancelled",
            ),
        },
        examples=[
            OpenApiExample(
                "Already checked in",
                status_codes=["409"],
                response_only=True,
                value={
                    "error": {
                        "code": "already_checked_in",
                        "message": "This ticket was already checked in.",
                        "details": {"checked_in_at": "2026-03-14T19:41:07.512000Z"},
                    }
                },
            )
        ],
    )
    def post(self, request):
        data = CheckInInput(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_check_in(code=data.validated_data["code"], staff_user=request.user)
        return Response(CheckInOutput(ticket).data)


class EmailDeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    booking = serializers.UUIDField(source="booking.public_id")
    kind = serializers.ChoiceField(choices=EmailKind.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    recipient = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_recipient(self, delivery) -> str:
        """Where it goes: the account's address now (each attempt reads it afresh)."""
        return delivery.booking.user.email


class ResendTicketsThrottle(UserRateThrottle):
    """Caps how often one account may have e-tickets emailed again (an inbox is not a target)."""

    scope = "resend_tickets"


class BookingTicketsResendView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ResendTicketsThrottle]

    @extend_schema(
        operation_id="bookings_resend_tickets",
        summary="Email the e-tickets of a confirmed booking again",
        description="Queues the confirmation email (QR codes included) to the account's "
        "address and answers at once; the email goes out within seconds, or is retried until "
        "the mail server takes it. If an earlier copy is still waiting to go, that one is sent "
        "now instead of a second. For the booking's owner, and staff; another customer's "
        "booking is a 404. Rate-limited per account (`THROTTLE_RESEND_TICKETS`, 5 an hour).",
        request=None,
        responses={
            202: EmailDeliveryOutput,
            401: _error("Not authenticated.", "not_authenticated"),
            404: _error("No such booking, or not yours.", "booking_not_found"),
            409: _error("The booking is not confirmed (nothing to send).", "booking_not_confirmed"),
            429: _error("Too many resends; see the Retry-After header.", "throttled"),
        },
        examples=[
            OpenApiExample(
                "Not confirmed",
                status_codes=["409"],
                response_only=True,
                value={
                    "error": {
                        "code": "booking_not_confirmed",
                        "message": "This booking is cancelled; only a confirmed booking has "
                        "e-tickets to send.",
                        "details": {"status": "cancelled"},
                    }
                },
            )
        ],
    )
    def post(self, request, public_id):
        booking = booking_selectors.booking_get(user=request.user, public_id=public_id)
        delivery = outbox.booking_tickets_resend(booking_id=booking.pk, requested_by=request.user)
        delivery.booking = booking
        return Response(EmailDeliveryOutput(delivery).data, status=202)
