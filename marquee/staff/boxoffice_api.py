"""Box-office HTTP API (staff): sell to a walk-in, print or email the tickets, close the till.

Thin: parse, call one service or selector in `marquee.staff.boxoffice` or
`marquee.reports.selectors`, render. Errors are the one JSON shape.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marquee.booking.api import MAX_LISTED_SEAT_IDS, BookingOutput
from marquee.catalog.models import SeatTier
from marquee.common.money_fields import MoneyField
from marquee.common.openapi import error_response
from marquee.common.permissions import IsStaffRole
from marquee.payments.models import IN_PERSON_PROVIDERS, Payment, Till
from marquee.reports import selectors as report_selectors
from marquee.staff import boxoffice
from marquee.staff.boxoffice_pdf import pdf_response
from marquee.tickets.codes import ticket_code

DATE_FORMAT = "%Y-%m-%d"


class TillOutput(serializers.ModelSerializer):
    class Meta:
        model = Till
        fields = ["id", "name", "theater", "is_active"]


class SaleInput(serializers.Serializer):
    showtime = serializers.IntegerField(min_value=1)
    seats = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=MAX_LISTED_SEAT_IDS,
        required=False,
        help_text="Seat ids from the seat map; or give `quantity` for the best available.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LISTED_SEAT_IDS, required=False)
    tier = serializers.ChoiceField(choices=SeatTier.choices, required=False)
    allow_split = serializers.BooleanField(required=False, default=False)
    payment_method = serializers.ChoiceField(
        choices=list(IN_PERSON_PROVIDERS),
        help_text="`cash`, or `card_present` (the till's card terminal approved the amount).",
    )
    till = serializers.IntegerField(min_value=1, help_text="The till the money was taken at.")
    email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Also email the e-tickets here."
    )

    def validate(self, attrs):
        if ("seats" in attrs) == ("quantity" in attrs):
            raise serializers.ValidationError(
                "Give either `seats` (seat ids) or `quantity` (best available), not both.",
                code="seats_or_quantity",
            )
        return attrs


class EmailInput(serializers.Serializer):
    email = serializers.EmailField()


class InPersonPaymentOutput(serializers.Serializer):
    method = serializers.CharField(source="provider")
    reference = serializers.CharField(source="provider_reference")
    amount = MoneyField()
    currency = serializers.CharField()
    status = serializers.CharField()
    till = serializers.IntegerField(source="till_id")
    taken_by = serializers.IntegerField(source="taken_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


class SaleTicketCode(serializers.Serializer):
    ticket = serializers.IntegerField()
    code = serializers.CharField(help_text="What the ticket's QR code says.")


class SaleOutput(BookingOutput):
    channel = serializers.CharField()
    customer_email = serializers.CharField()
    payments = serializers.SerializerMethodField()
    codes = serializers.SerializerMethodField(help_text="The codes of the sold tickets.")
    tickets_pdf = serializers.SerializerMethodField(help_text="The printable tickets.")

    @extend_schema_field(InPersonPaymentOutput(many=True))
    def get_payments(self, booking) -> list:
        payments = Payment.objects.filter(booking=booking).order_by("pk")
        return InPersonPaymentOutput(payments, many=True).data

    @extend_schema_field(SaleTicketCode(many=True))
    def get_codes(self, booking) -> list:
        return [
            {"ticket": ticket.pk, "code": ticket_code(ticket)}
            for ticket in booking.tickets.all()
            if ticket.status == "sold"
        ]

    def get_tickets_pdf(self, booking) -> str:
        return reverse("staff-api:sale-pdf", args=[booking.public_id])


def _error(status_code: int, description: str, *codes: str) -> dict:
    return {status_code: error_response(description, *codes)}


STAFF_ERRORS = {
    **_error(401, "Not authenticated.", "not_authenticated"),
    **_error(403, "Staff only.", "permission_denied"),
}


def _sale_output(public_id) -> dict:
    return SaleOutput(boxoffice.box_office_sale(public_id=public_id)).data


class TillListView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="The box office's tills (staff)",
        responses={200: TillOutput(many=True), **STAFF_ERRORS},
    )
    def get(self, request):
        return Response(TillOutput(Till.objects.order_by("name", "pk"), many=True).data)


class SaleCreateView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="Sell seats to a walk-in (staff)",
        description="Holds the seats (or the best `quantity`) and records the money taken at "
        "the till, through the same hold and confirmation as an online sale: the booking is "
        "the cashier's, on the `box_office` channel. The till, method and address are checked "
        "before any seat is held. 201: the confirmed sale with its ticket codes and the PDF's "
        "address.",
        request=SaleInput,
        responses={
            201: SaleOutput,
            **_error(
                400,
                "Invalid input.",
                "invalid",
                "invalid_email",
                "seats_not_in_screen",
                "duplicate_seats",
                "too_many_seats",
                "invalid_payment_method",
            ),
            **STAFF_ERRORS,
            **_error(404, "Unknown showtime or till.", "showtime_not_found", "till_not_found"),
            **_error(
                409,
                "Seats taken, the show started or was cancelled, or the till is closed.",
                "seats_unavailable",
                "seats_busy",
                "no_adjacent_seats",
                "not_enough_seats",
                "showtime_started",
                "showtime_cancelled",
                "till_closed",
            ),
        },
    )
    def post(self, request):
        data = SaleInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        booking, _ = boxoffice.box_office_sell(
            staff=request.user,
            showtime_id=values["showtime"],
            seat_ids=values.get("seats"),
            quantity=values.get("quantity"),
            tier=values.get("tier"),
            allow_split=values["allow_split"],
            method=values["payment_method"],
            till_id=values["till"],
            email=values.get("email", ""),
        )
        return Response(_sale_output(booking.public_id), status=status.HTTP_201_CREATED)


class SaleDetailView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="A box-office sale (staff)",
        responses={
            200: SaleOutput,
            **STAFF_ERRORS,
            **_error(404, "No box-office sale with this id.", "sale_not_found"),
        },
    )
    def get(self, request, public_id):
        return Response(_sale_output(public_id))


class SalePdfView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="The printable tickets of a box-office sale (staff)",
        description="A PDF, one page per sold ticket with its QR code and code.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **STAFF_ERRORS,
            **_error(404, "No box-office sale with this id.", "sale_not_found"),
            **_error(409, "The sale is not paid (no ticket to print).", "sale_not_confirmed"),
        },
    )
    def get(self, request, public_id):
        return pdf_response(boxoffice.box_office_sale(public_id=public_id))


class SaleEmailView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="Email a box-office sale's e-tickets (staff)",
        request=EmailInput,
        responses={
            202: OpenApiResponse(description="Queued (sent from the outbox)."),
            **_error(400, "Invalid input.", "invalid", "invalid_email"),
            **STAFF_ERRORS,
            **_error(404, "No box-office sale with this id.", "sale_not_found"),
            **_error(409, "The sale is not paid.", "booking_not_confirmed"),
        },
    )
    def post(self, request, public_id):
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = boxoffice.box_office_sale(public_id=public_id)
        boxoffice.box_office_email_tickets(
            booking=booking, staff=request.user, email=data.validated_data["email"]
        )
        return Response({"queued": True, "email": data.validated_data["email"]}, status=202)


class TillSummaryQuery(serializers.Serializer):
    date = serializers.DateField(
        required=False,
        input_formats=[DATE_FORMAT],
        help_text="The till's local day (its theater's time zone), YYYY-MM-DD; default today.",
    )


class TillSummaryMethodOutput(serializers.Serializer):
    method = serializers.CharField()
    currency = serializers.CharField()
    payments = serializers.IntegerField()
    taken = MoneyField(help_text="Money taken (captured) at this till that day.")
    refunded = MoneyField(help_text="Of it, given back since (refunds that went through).")
    net = MoneyField()


class TillSummaryCashierOutput(serializers.Serializer):
    cashier_id = serializers.IntegerField(allow_null=True)
    cashier = serializers.CharField()
    method = serializers.CharField()
    currency = serializers.CharField()
    payments = serializers.IntegerField()
    taken = MoneyField()


class TillSummaryOutput(serializers.Serializer):
    till = TillOutput()
    date = serializers.DateField()
    timezone = serializers.CharField()
    tickets_sold = serializers.IntegerField(help_text="Tickets of the day's sales still sold.")
    by_method = TillSummaryMethodOutput(many=True)
    by_cashier = TillSummaryCashierOutput(many=True)
    totals = TillSummaryMethodOutput(many=True, help_text="One row per currency (method `all`).")


class TillSummaryView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="A till's end-of-day summary (staff)",
        description="The money taken at the till on one local day, by payment method and "
        "currency, and per cashier: what the cashier counts the drawer against.",
        parameters=[TillSummaryQuery],
        responses={
            200: TillSummaryOutput,
            **_error(400, "Invalid date.", "invalid"),
            **STAFF_ERRORS,
            **_error(404, "No such till.", "till_not_found"),
        },
    )
    def get(self, request, till_id):
        query = TillSummaryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = report_selectors.till_day_summary(
            till_id=till_id, day=query.validated_data.get("date")
        )
        return Response(TillSummaryOutput(summary).data)
