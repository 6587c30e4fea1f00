from django.urls import path

from marquee.payments import api

urlpatterns = [
    path("bookings/<uuid:public_id>/pay/", api.BookingPayView.as_view(), name="booking-pay"),
    path("payments/stripe/webhook/", api.StripeWebhookView.as_view(), name="stripe-webhook"),
    path("payments/refunds/", api.RefundListView.as_view(), name="refund-list"),
]
