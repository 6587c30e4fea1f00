from django.urls import path

from marquee.booking import api

urlpatterns = [
    path("showtimes/<int:pk>/seats/", api.ShowtimeSeatMapView.as_view(), name="showtime-seats"),
    path("bookings/", api.BookingListCreateView.as_view(), name="booking-list"),
    path("bookings/<uuid:public_id>/", api.BookingDetailView.as_view(), name="booking-detail"),
    path(
        "bookings/<uuid:public_id>/cancel/",
        api.BookingCancelView.as_view(),
        name="booking-cancel",
    ),
    path(
        "bookings/<uuid:public_id>/voucher/",
        api.BookingVoucherView.as_view(),
        name="booking-voucher",
    ),
    path(
        "bookings/<uuid:public_id>/refund-quote/",
        api.BookingRefundQuoteView.as_view(),
        name="booking-refund-quote",
    ),
]
