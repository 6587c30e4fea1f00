"""Tickets routes under /api/."""

from django.urls import path

from marquee.tickets import api, door_api

urlpatterns = [
    path("tickets/<int:pk>/qr.svg", api.TicketQrView.as_view(), name="ticket-qr"),
    path("checkin/", api.CheckInView.as_view(), name="checkin"),
    path(
        "bookings/<uuid:public_id>/resend-tickets/",
        api.BookingTicketsResendView.as_view(),
        name="booking-resend-tickets",
    ),
    # The door (staff): marquee/tickets/door_api.py.
    path("door/keys/", door_api.DoorKeysView.as_view(), name="door-keys"),
    path("door/showtimes/", door_api.DoorShowtimesView.as_view(), name="door-showtimes"),
    path("door/showtimes/<int:pk>/policy/", door_api.PolicyView.as_view(), name="door-policy"),
    path("door/checkin-list/", door_api.CheckInListView.as_view(), name="door-checkin-list"),
    path("door/scans/", door_api.ScanView.as_view(), name="door-scan"),
    path("door/scans/<str:nonce>/undo/", door_api.UndoView.as_view(), name="door-scan-undo"),
    path("door/uploads/", door_api.UploadView.as_view(), name="door-upload"),
]
