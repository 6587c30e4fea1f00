"""Tickets routes under /api/."""

from django.urls import path

from marquee.tickets import api

urlpatterns = [
    path("tickets/<int:pk>/qr.svg", api.TicketQrView.as_view(), name="ticket-qr"),
    path("checkin/", api.CheckInView.as_view(), name="checkin"),
    path(
        "bookings/<uuid:public_id>/resend-tickets/",
        api.BookingTicketsResendView.as_view(),
        name="booking-resend-tickets",
    ),
]
