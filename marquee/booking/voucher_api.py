"""The staff's voucher API: list, read, create one or a batch, change, export as CSV.

Thin views over `marquee.booking.vouchers` (writes) and `marquee.booking.selectors` (reads);
the rules (terms, code length, the limit never below the uses counted) live in the services.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from marquee.booking import selectors, vouchers
from marquee.booking.models import VOUCHER_CODE_MAX_LENGTH, Voucher, VoucherKind
from marquee.catalog.models import Movie, Theater
from marquee.common.money import money_text
from marquee.common.openapi import error_response
from marquee.common.pagination import StandardPagination
from marquee.common.permissions import IsStaffReadAdminWrite
from marquee.common.renderers import JSONErrorsNegotiation

MAX_ID = 2**63 - 1
MAX_COUNT = 2**31 - 1  # a PositiveIntegerField
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
PREFIX_PATTERN = r"^[A-Za-z0-9_-]*$"
# A bulk code is the prefix and 10 random characters (vouchers.vouchers_create_bulk).
BULK_CODE_LENGTH = 10


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class VoucherListQuery(serializers.Serializer):
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=VOUCHER_CODE_MAX_LENGTH,
        help_text="Codes containing this text (any case).",
    )
    active = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: usable now (switched on, within its window, not used up); "
        "false: the others.",
    )
    movie = _id_field(required=False, help_text="Scoped to this movie.")
    theater = _id_field(required=False, help_text="Scoped to this theater.")
    ticket_type = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text="Scoped to this ticket type."
    )
    batch = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text="Made in this batch."
    )

    def filters(self) -> dict:
        data = self.validated_data
        return {
            "code": data.get("code", ""),
            "active": data.get("active"),
            "movie_id": data.get("movie"),
            "theater_id": data.get("theater"),
            "ticket_type": data.get("ticket_type"),
            "batch": data.get("batch"),
        }


class VoucherOutput(serializers.ModelSerializer):
    value = serializers.SerializerMethodField()
    movie = serializers.IntegerField(source="movie_id", allow_null=True)
    theater = serializers.IntegerField(source="theater_id", allow_null=True)
    usable = serializers.BooleanField(
        help_text="Usable now: switched on, within its window, not used up."
    )
    redeemed = serializers.IntegerField(
        help_text="Uses counted against the limit now (bookings that still stand)."
    )
    redemptions = serializers.IntegerField(
        source="redemptions_total", help_text="Every use ever, given back or not."
    )
    redemptions_released = serializers.IntegerField(
        help_text="Uses given back by bookings cancelled, expired or refunded."
    )

    class Meta:
        model = Voucher
        fields = [
            "id",
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
            "is_active",
            "usable",
            "redeemed",
            "redemptions",
            "redemptions_released",
            "batch",
            "created_at",
        ]

    @extend_schema_field(
        {
            "type": "string",
            "description": "Percent (`15`, `12.5`) or an amount in the currency's own "
            "decimals (`5.00`, `500` JPY).",
        }
    )
    def get_value(self, voucher: Voucher) -> str:
        if voucher.kind == VoucherKind.PERCENT:
            return f"{voucher.value.normalize():f}"
        return money_text(voucher.value, voucher.currency)


class VoucherTermsInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VoucherKind.choices)
    value = serializers.DecimalField(
        max_digits=9,
        decimal_places=3,
        help_text="Percent (0.01 to 100, two decimals) or an amount in `currency`'s minor units.",
    )
    currency = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=3, help_text="Amount only."
    )
    valid_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    movie = serializers.PrimaryKeyRelatedField(
        queryset=Movie.objects.all(), required=False, allow_null=True, default=None
    )
    theater = serializers.PrimaryKeyRelatedField(
        queryset=Theater.objects.all(), required=False, allow_null=True, default=None
    )
    ticket_type = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    max_redemptions = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_COUNT
    )
    max_per_user = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_COUNT
    )
    min_seats = serializers.IntegerField(required=False, default=1, min_value=1, max_value=100)

    TERMS = (
        "kind",
        "value",
        "currency",
        "valid_from",
        "valid_until",
        "ticket_type",
        "max_redemptions",
        "max_per_user",
        "min_seats",
    )

    def terms(self) -> dict:
        """The voucher's terms and scope, as the services take them."""
        data = self.validated_data
        movie, theater = data["movie"], data["theater"]
        return {
            **{name: data[name] for name in self.TERMS},
            "movie_id": movie.pk if movie else None,
            "theater_id": theater.pk if theater else None,
        }


class VoucherCreateInput(VoucherTermsInput):
    code = serializers.RegexField(
        CODE_PATTERN,
        max_length=VOUCHER_CODE_MAX_LENGTH,
        help_text="Letters, digits, `-` and `_`; stored upper case.",
    )


class VoucherBulkInput(VoucherTermsInput):
    count = serializers.IntegerField(min_value=1, max_value=vouchers.MAX_BULK)
    prefix = serializers.RegexField(
        PREFIX_PATTERN,
        required=False,
        allow_blank=True,
        default="",
        max_length=VOUCHER_CODE_MAX_LENGTH - BULK_CODE_LENGTH,
        help_text=f"Put before {BULK_CODE_LENGTH} random characters; stored upper case.",
    )
    batch = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=60,
        help_text="A name for the batch (to find or export it later).",
    )


class VoucherUpdateInput(serializers.Serializer):
    is_active = serializers.BooleanField(required=False, help_text="false switches it off.")
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    max_redemptions = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_COUNT,
        help_text="Never below `redeemed`.",
    )
    max_per_user = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_COUNT
    )


class VoucherCodeOutput(serializers.ModelSerializer):
    class Meta:
        model = Voucher
        fields = ["id", "code"]


class VoucherBulkOutput(serializers.Serializer):
    count = serializers.IntegerField()
    batch = serializers.CharField()
    vouchers = VoucherCodeOutput(many=True)


STAFF_ERRORS = {
    401: error_response("Not authenticated.", "not_authenticated"),
    403: error_response("Staff read; only admins create and change.", "permission_denied"),
}
TERMS_ERRORS = error_response(
    "Invalid input (`invalid` with field errors in `details`) or terms that do not hold.",
    "invalid",
    "invalid_voucher_terms",
    "invalid_currency",
    "too_many_decimals",
)
NOT_FOUND = {404: error_response("No such voucher.", "voucher_not_found")}


class StaffVoucherView(APIView):
    permission_classes = [IsStaffReadAdminWrite]


class VoucherListCreateView(StaffVoucherView):
    pagination_class = StandardPagination  # also tells the schema the list is paginated

    @extend_schema(
        summary="Vouchers (staff), newest first, with their redemption counts",
        parameters=[VoucherListQuery],
        responses={
            200: VoucherOutput(many=True),
            400: error_response("Bad filter.", "invalid"),
            **STAFF_ERRORS,
        },
    )
    def get(self, request):
        query = VoucherListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.voucher_list(**query.filters()), request, view=self
        )
        return paginator.get_paginated_response(VoucherOutput(page, many=True).data)

    @extend_schema(
        summary="Create one voucher with a code of your own (staff)",
        request=VoucherCreateInput,
        responses={
            201: VoucherOutput,
            400: TERMS_ERRORS,
            **STAFF_ERRORS,
            409: error_response("The code is taken.", "voucher_code_taken"),
        },
    )
    def post(self, request):
        data = VoucherCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = vouchers.voucher_create(code=data.validated_data["code"], **data.terms())
        return Response(VoucherOutput(selectors.voucher_get(voucher_id=voucher.pk)).data, 201)


class VoucherBulkCreateView(StaffVoucherView):
    @extend_schema(
        summary="Create a batch of vouchers with random codes and the same terms (staff)",
        description=f"`count` (1 to {vouchers.MAX_BULK}) codes of `prefix` and "
        f"{BULK_CODE_LENGTH} random characters, all or none; the same rules as "
        "`manage.py create_vouchers`. `GET /api/vouchers/export/?batch=` downloads them.",
        request=VoucherBulkInput,
        responses={201: VoucherBulkOutput, 400: TERMS_ERRORS, **STAFF_ERRORS},
    )
    def post(self, request):
        data = VoucherBulkInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        made = vouchers.vouchers_create_bulk(
            count=params["count"],
            prefix=params["prefix"],
            batch=params["batch"],
            length=BULK_CODE_LENGTH,
            **data.terms(),
        )
        body = {"count": len(made), "batch": params["batch"], "vouchers": made}
        return Response(VoucherBulkOutput(body).data, 201)


class VoucherExportView(StaffVoucherView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONErrorsNegotiation

    @extend_schema(
        summary="The vouchers as CSV (staff), with the list's filters",
        parameters=[VoucherListQuery],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Header row (the columns of `manage.py create_vouchers`), then one "
                "line per voucher.",
            ),
            400: error_response("Bad filter.", "invalid"),
            **STAFF_ERRORS,
        },
    )
    def get(self, request):
        query = VoucherListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        text = vouchers.vouchers_csv(selectors.voucher_list(**query.filters()).iterator())
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="vouchers.csv"'
        return response


class VoucherDetailView(StaffVoucherView):
    @extend_schema(
        summary="One voucher with its redemption counts (staff)",
        responses={200: VoucherOutput, **STAFF_ERRORS, **NOT_FOUND},
    )
    def get(self, request, voucher_id: int):
        return Response(VoucherOutput(selectors.voucher_get(voucher_id=voucher_id)).data)

    @extend_schema(
        summary="Switch a voucher off or on, or change its window or limits (staff)",
        description="Only the fields sent change. Kind, value, currency and scope never do "
        "(uses were priced by them): create a new voucher instead.",
        request=VoucherUpdateInput,
        responses={
            200: VoucherOutput,
            400: error_response(
                "Invalid input, or a window that ends before it starts.",
                "invalid",
                "invalid_voucher_terms",
            ),
            **STAFF_ERRORS,
            **NOT_FOUND,
            409: error_response(
                "`max_redemptions` below the uses already counted.",
                "voucher_limit_below_redeemed",
            ),
        },
    )
    def patch(self, request, voucher_id: int):
        data = VoucherUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        vouchers.voucher_update(voucher_id=voucher_id, **data.validated_data)
        return Response(VoucherOutput(selectors.voucher_get(voucher_id=voucher_id)).data)
