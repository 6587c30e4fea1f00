from django.urls import path

from marquee.booking import api, voucher_api

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
    path("vouchers/", voucher_api.VoucherListCreateView.as_view(), name="voucher-list"),
    path("vouchers/bulk/", voucher_api.VoucherBulkCreateView.as_view(), name="voucher-bulk"),
    path("vouchers/export/", voucher_api.VoucherExportView.as_view(), name="voucher-export"),
    path(
        "vouchers/<int:voucher_id>/",
        voucher_api.VoucherDetailView.as_view(),
        name="voucher-detail",
    ),
]
