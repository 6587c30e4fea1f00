"""Reports HTTP API (admins): parse the range, call one selector, render JSON or CSV."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from marquee.booking.models import RefundReason
from marquee.common.money_fields import MoneyField
from marquee.common.openapi import error_response
from marquee.common.permissions import IsAdminRole
from marquee.common.time import iso_with_offset
from marquee.reports import selectors
from marquee.reports.renderers import CSVRenderer, ReportNegotiation

DATE_FORMAT = "%Y-%m-%d"


class ReportRangeQuery(serializers.Serializer):
    """`from` and `to`: inclusive theater-local show dates (`from` is a Python keyword)."""

    def get_fields(self):
        return {
            "from": serializers.DateField(
                required=False,
                input_formats=[DATE_FORMAT],
                help_text="First show date (theater-local), YYYY-MM-DD. "
                "Default: 29 days before `to` if given, else 29 days before today (UTC).",
            ),
            "to": serializers.DateField(
                required=False,
                input_formats=[DATE_FORMAT],
                help_text="Last show date (theater-local), YYYY-MM-DD, included. "
                "Default: 7 days after today (UTC), so the coming week's shows are in.",
            ),
        }

    def period(self) -> selectors.ReportPeriod:
        return selectors.report_period(
            start=self.validated_data.get("from"), end=self.validated_data.get("to")
        )


class SalesQuery(ReportRangeQuery):
    def get_fields(self):
        return {
            **super().get_fields(),
            "group_by": serializers.ChoiceField(
                choices=list(selectors.SALES_GROUP_COLUMNS),
                default="day",
                help_text="One row per local show date, movie, theater or showtime "
                "(and per currency).",
            ),
            "by_channel": serializers.BooleanField(
                required=False,
                default=False,
                help_text="Split each group by sales channel (`online`, `box_office`): "
                "the rows carry a `channel` column.",
            ),
        }


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalDateTimeField(serializers.DateTimeField):
    """A moment with the theater's own UTC offset (DRF would convert it to UTC)."""

    def to_representation(self, value):
        return iso_with_offset(value)


class SalesRowOutput(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="group_by=day: local show date.")
    movie_id = serializers.IntegerField(required=False, help_text="group_by=movie.")
    movie = serializers.CharField(required=False, help_text="group_by=movie or showtime.")
    theater_id = serializers.IntegerField(required=False, help_text="group_by=theater.")
    theater = serializers.CharField(required=False, help_text="group_by=theater or showtime.")
    timezone = serializers.CharField(required=False, help_text="group_by=theater.")
    showtime_id = serializers.IntegerField(required=False, help_text="group_by=showtime.")
    starts_at = serializers.DateTimeField(required=False, help_text="group_by=showtime (UTC).")
    local_starts_at = LocalDateTimeField(
        required=False, help_text="group_by=showtime (theater time)."
    )
    screen = serializers.CharField(required=False, help_text="group_by=showtime.")
    channel = serializers.CharField(
        required=False, help_text="by_channel=true: `online` or `box_office`."
    )
    currency = serializers.CharField()
    tickets_sold = serializers.IntegerField(help_text="Tickets now sold (checked in or not).")
    gross = MoneyField(help_text="Captured payments (succeeded or since refunded).")
    refunds = MoneyField(help_text="Refunds that went through.")
    net = MoneyField(help_text="gross - refunds.")


class SalesTotalOutput(serializers.Serializer):
    currency = serializers.CharField()
    tickets_sold = serializers.IntegerField()
    gross = MoneyField()
    refunds = MoneyField()
    net = MoneyField()


class SalesReportOutput(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "group_by": serializers.CharField(),
            "rows": SalesRowOutput(many=True),
            "totals": SalesTotalOutput(many=True, help_text="One row per currency."),
        }


class OccupancyShowtimeOutput(serializers.Serializer):
    showtime_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    local_starts_at = LocalDateTimeField()
    movie_id = serializers.IntegerField()
    movie = serializers.CharField()
    theater_id = serializers.IntegerField()
    theater = serializers.CharField()
    screen = serializers.CharField()
    capacity = serializers.IntegerField(help_text="Seats in the screen.")
    sold = serializers.IntegerField()
    sold_online = serializers.IntegerField(help_text="Of `sold`, sold online.")
    sold_box_office = serializers.IntegerField(help_text="Of `sold`, sold at the box office.")
    held = serializers.IntegerField(help_text="Seats held by holds that have not expired.")
    occupancy_percent = serializers.DecimalField(
        max_digits=4, decimal_places=1, help_text="sold / capacity x 100, one decimal."
    )


class OccupancyMovieOutput(serializers.Serializer):
    movie_id = serializers.IntegerField()
    movie = serializers.CharField()
    showtimes = serializers.IntegerField()
    capacity = serializers.IntegerField()
    sold = serializers.IntegerField()
    average_occupancy_percent = serializers.DecimalField(
        max_digits=4, decimal_places=1, help_text="Mean of the showtimes' occupancy."
    )


class OccupancyReportOutput(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "generated_at": serializers.DateTimeField(),
            "showtimes": OccupancyShowtimeOutput(many=True),
            "movies": OccupancyMovieOutput(many=True),
        }


def _error(status: int, description: str, *codes: str) -> dict:
    return {(status, "application/json"): error_response(description, *codes)}


REPORT_ERRORS = {
    **_error(
        400,
        "Bad parameters (`invalid` carries the field errors), `from` after `to`, or more "
        "than 366 days.",
        "invalid",
        "invalid_range",
        "range_too_large",
    ),
    **_error(401, "Not authenticated.", "not_authenticated"),
    **_error(403, "Administrators only.", "permission_denied"),
}


class ReportView(APIView):
    """Admins only; JSON or, with `?format=csv`, a CSV download. Errors are always JSON."""

    permission_classes = [IsAdminRole]
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = ReportNegotiation

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors keep the one JSON shape even when the caller asked for CSV.
        if response.status_code >= 400 and isinstance(
            getattr(request, "accepted_renderer", None), CSVRenderer
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def respond(self, request, *, data: dict, rows_key: str, columns, filename: str) -> Response:
        if isinstance(request.accepted_renderer, CSVRenderer):
            return Response(
                {"columns": list(columns), "rows": data[rows_key]},
                headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
            )
        return Response(data)


class SalesReportView(ReportView):
    @extend_schema(
        summary="Sales by local day, movie, theater or showtime (admins)",
        description="Shows whose theater-local date is in [`from`, `to`]. Per group and "
        "currency: `tickets_sold` (sold tickets, checked in or not), `gross` (payments "
        "captured: succeeded or since refunded), `refunds` (refunds that went through) and "
        "`net` = gross - refunds; `totals` has one row per currency. Only groups with any "
        "sale, payment or refund appear. `by_channel=true` splits every group by sales "
        "channel (`online`, `box_office`). `?format=csv` downloads the rows as CSV.",
        parameters=[SalesQuery],
        responses={
            (200, "application/json"): SalesReportOutput,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Header row, then one line per group."
            ),
            **REPORT_ERRORS,
        },
    )
    def get(self, request):
        query = SalesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.period()
        group_by = query.validated_data["group_by"]
        by_channel = query.validated_data["by_channel"]
        report = selectors.sales_report(period=period, group_by=group_by, by_channel=by_channel)
        columns = selectors.SALES_GROUP_COLUMNS[group_by] + ("channel",) * by_channel
        return self.respond(
            request,
            data=SalesReportOutput(report).data,
            rows_key="rows",
            columns=columns + selectors.SALES_METRIC_COLUMNS,
            filename=f"sales_{period.start}_{period.end}_by_{group_by}",
        )


class OccupancyReportView(ReportView):
    @extend_schema(
        summary="Occupancy per showtime and per movie (admins)",
        description="Scheduled showtimes whose theater-local date is in [`from`, `to`]: "
        "capacity (seats in the screen), seats sold (and of them, sold online and at the box "
        "office), seats held by unexpired holds, and "
        "`occupancy_percent` = sold / capacity x 100 (one decimal, 0 for an empty screen); "
        "per movie the mean occupancy of its showtimes. `?format=csv` downloads the "
        "per-showtime rows.",
        parameters=[ReportRangeQuery],
        responses={
            (200, "application/json"): OccupancyReportOutput,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Header row, then one line per showtime."
            ),
            **REPORT_ERRORS,
        },
    )
    def get(self, request):
        query = ReportRangeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.period()
        report = selectors.occupancy_report(period=period)
        return self.respond(
            request,
            data=OccupancyReportOutput(report).data,
            rows_key="showtimes",
            columns=selectors.OCCUPANCY_COLUMNS,
            filename=f"occupancy_{period.start}_{period.end}",
        )


class TicketTypeSalesRowOutput(serializers.Serializer):
    ticket_type = serializers.CharField()
    currency = serializers.CharField()
    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(help_text="The sold tickets' prices, before voucher discounts.")


class VoucherSalesRowOutput(serializers.Serializer):
    voucher = serializers.CharField()
    currency = serializers.CharField()
    bookings = serializers.IntegerField(help_text="Confirmed bookings that used the code.")
    tickets_sold = serializers.IntegerField()
    discount = MoneyField(help_text="What the code took off.")
    revenue = MoneyField(help_text="What those bookings paid.")


class _RangeOutput(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "rows": self.row_serializer(many=True),
        }


class TicketTypeSalesOutput(_RangeOutput):
    row_serializer = TicketTypeSalesRowOutput


class VoucherSalesOutput(_RangeOutput):
    row_serializer = VoucherSalesRowOutput


def _csv_or_json(output, description: str) -> dict:
    return {
        (200, "application/json"): output,
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=description),
        **REPORT_ERRORS,
    }


class TicketTypeSalesReportView(ReportView):
    @extend_schema(
        summary="Sales by ticket type (admins)",
        description="Shows whose theater-local date is in [`from`, `to`]: sold tickets and "
        "their prices per ticket type and currency. `?format=csv` downloads the rows.",
        parameters=[ReportRangeQuery],
        responses=_csv_or_json(TicketTypeSalesOutput, "Header row, then one line per type."),
    )
    def get(self, request):
        query = ReportRangeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.period()
        return self.respond(
            request,
            data=TicketTypeSalesOutput(selectors.sales_by_ticket_type(period=period)).data,
            rows_key="rows",
            columns=selectors.TICKET_TYPE_COLUMNS,
            filename=f"sales_{period.start}_{period.end}_by_ticket_type",
        )


class VoucherSalesReportView(ReportView):
    @extend_schema(
        summary="Sales by voucher code (admins)",
        description="Confirmed bookings with a voucher, for shows whose theater-local date is "
        "in [`from`, `to`]: per code and currency the bookings, tickets, discount given and "
        "what was paid. `?format=csv` downloads the rows.",
        parameters=[ReportRangeQuery],
        responses=_csv_or_json(VoucherSalesOutput, "Header row, then one line per code."),
    )
    def get(self, request):
        query = ReportRangeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.period()
        return self.respond(
            request,
            data=VoucherSalesOutput(selectors.sales_by_voucher(period=period)).data,
            rows_key="rows",
            columns=selectors.VOUCHER_COLUMNS,
            filename=f"sales_{period.start}_{period.end}_by_voucher",
        )


MAX_ID = 2**63 - 1


class RefundReasonQuery(ReportRangeQuery):
    def get_fields(self):
        return {
            **super().get_fields(),
            "theater": serializers.IntegerField(
                required=False,
                min_value=1,
                max_value=MAX_ID,
                help_text="Only the shows of this theater (id).",
            ),
        }


class RefundReasonRowOutput(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=RefundReason.choices,
        help_text="Why the money went back (a stable code; see `label`).",
    )
    label = serializers.CharField(help_text="The reason in words (may change).")
    currency = serializers.CharField()
    refunds = serializers.IntegerField(help_text="Refunds that went through.")
    tickets = serializers.IntegerField(
        help_text="Tickets they gave back (a duplicate capture's refund gives back none)."
    )
    amount = MoneyField(help_text="The money refunded.")


class RefundReasonTotalOutput(serializers.Serializer):
    currency = serializers.CharField()
    refunds = serializers.IntegerField()
    tickets = serializers.IntegerField()
    amount = MoneyField(help_text="Equals the sales report's `refunds` for the same shows.")


class RefundReasonReportOutput(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "theater": serializers.IntegerField(allow_null=True),
            "rows": RefundReasonRowOutput(many=True),
            "totals": RefundReasonTotalOutput(many=True, help_text="One row per currency."),
        }


class RefundReasonReportView(ReportView):
    @extend_schema(
        summary="Refunds by reason (admins)",
        description="Refunds that went through for shows whose theater-local date is in "
        "[`from`, `to`] (of one `theater`, if given), per reason code and currency: how many, "
        "the tickets they gave back, and the amount. Money is attributed to the show it paid "
        "for, as in the sales report, so per currency the rows add up to its `refunds`. "
        "Reasons: "
        + ", ".join(f"`{value}` ({label})" for value, label in RefundReason.choices)
        + ". `?format=csv` downloads the rows.",
        parameters=[RefundReasonQuery],
        responses={
            **_csv_or_json(RefundReasonReportOutput, "Header row, then one line per reason."),
            **_error(404, "No such theater.", "theater_not_found"),
        },
    )
    def get(self, request):
        query = RefundReasonQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.period()
        theater = query.validated_data.get("theater")
        report = selectors.refunds_by_reason(period=period, theater_id=theater)
        suffix = f"_theater_{theater}" if theater else ""
        return self.respond(
            request,
            data=RefundReasonReportOutput(report).data,
            rows_key="rows",
            columns=selectors.REFUND_REASON_COLUMNS,
            filename=f"refunds_{period.start}_{period.end}_by_reason{suffix}",
        )
