"""Payment endpoints: pay for a booking, receive Stripe's webhooks, and (admins) see refunds."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from marquee.booking import selectors as booking_selectors
from marquee.booking.api import BookingOutput
from marquee.booking.models import RefundReason
from marquee.common.money_fields import MoneyField
from marquee.common.openapi import error_response
from marquee.common.pagination import StandardPagination
from marquee.common.permissions import IsAdminRole
from marquee.payments import services
from marquee.payments.models import Refund, RefundStatus


class PayInput(serializers.Serializer):
    card_number = serializers.CharField(max_length=30, required=False, allow_blank=True)


class PaymentOutput(serializers.Serializer):
    provider = serializers.CharField()
    payment = serializers.CharField()
    status = serializers.CharField()
    client_secret = serializers.CharField(required=False)
    amount = serializers.CharField(
        required=False, help_text="Stripe: the intent's amount in the currency's own units."
    )
    currency = serializers.CharField(required=False)
    booking = BookingOutput(required=False)


class RefundOutput(serializers.ModelSerializer):
    booking = serializers.UUIDField(source="payment.booking.public_id")
    provider = serializers.CharField(source="payment.provider")
    amount = MoneyField()

    class Meta:
        model = Refund
        fields = [
            "id",
            "booking",
            "provider",
            "kind",
            "amount",
            "currency",
            "status",
            "reason_code",
            "reason",
            "provider_reference",
            "attempts",
            "last_error",
            "created_at",
            "updated_at",
        ]


class WebhookOutput(serializers.Serializer):
    received = serializers.BooleanField()
    outcome = serializers.CharField(help_text="What the event did, e.g. `confirmed`, `duplicate`.")


class RefundListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=RefundStatus.values, required=False)
    reason_code = serializers.ChoiceField(choices=RefundReason.values, required=False)


class BookingPayView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Pay for a held booking",
        description="Simulated provider: give a card number (Stripe's test cards: 4242... pays, "
        "4000000000000002 and the other documented decline cards decline with 402). Stripe: "
        "returns the Payment Intent's client_secret; the webhook confirms the booking.",
        request=PayInput,
        responses={
            200: PaymentOutput,
            400: error_response("Invalid input.", "invalid", "invalid_card_number"),
            402: error_response(
                "The card was declined; the hold stays (`details.decline_code`).",
                "payment_declined",
            ),
            404: error_response("No such booking, or not yours.", "booking_not_found"),
            409: error_response(
                "Not payable now.",
                "already_paid",
                "booking_not_payable",
                "hold_expired",
                "seats_lost",
            ),
            503: error_response(
                "The payment provider or the database is unavailable; try again.",
                "provider_unavailable",
                "database_unavailable",
            ),
        },
    )
    def post(self, request, public_id):
        data = PayInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = booking_selectors.booking_get(user=request.user, public_id=public_id)
        result = services.payment_start(
            booking=booking, user=request.user, card_number=data.validated_data.get("card_number")
        )
        result["booking"] = BookingOutput(
            booking_selectors.booking_get(user=request.user, public_id=public_id)
        ).data
        return Response(result)


class StripeWebhookView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        summary="Stripe webhook (signed)",
        request=OpenApiTypes.OBJECT,
        responses={
            200: WebhookOutput,
            400: error_response(
                "Not a signed Stripe event, or a malformed one; nothing changed.",
                "invalid_signature",
                "invalid_payload",
            ),
        },
    )
    def post(self, request):
        outcome = services.stripe_webhook_handle(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        return Response({"received": True, "outcome": outcome})


class RefundListView(APIView):
    permission_classes = [IsAdminRole]
    pagination_class = StandardPagination  # also tells the schema the list is paginated

    @extend_schema(
        summary="Refunds (admins): failed ones are retried automatically",
        parameters=[RefundListQuery],
        responses={200: RefundOutput(many=True)},
    )
    def get(self, request):
        query = RefundListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        refunds = Refund.objects.select_related("payment__booking").order_by("-created_at")
        if query.validated_data.get("status"):
            refunds = refunds.filter(status=query.validated_data["status"])
        if query.validated_data.get("reason_code"):
            refunds = refunds.filter(reason_code=query.validated_data["reason_code"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(refunds, request, view=self)
        return paginator.get_paginated_response(RefundOutput(page, many=True).data)
