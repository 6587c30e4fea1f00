"""The staff pages (door scanner, box office, dashboard): thin views over the same services
and selectors as the API, for users with the staff or admin role."""

from django.urls import path

from marquee.staff import boxoffice_views as box_office
from marquee.staff import dashboard_views as dashboard
from marquee.staff import door

app_name = "staff"

urlpatterns: list = [
    path("door/", door.door_page, name="door"),
    path("door/sw.js", door.door_service_worker, name="door-sw"),
    path("box-office/", box_office.index, name="box-office"),
    path("box-office/till/", box_office.choose_till, name="box-office-till"),
    path(
        "box-office/showtimes/<int:showtime_id>/",
        box_office.picker,
        name="box-office-picker",
    ),
    path(
        "box-office/showtimes/<int:showtime_id>/hold/",
        box_office.hold,
        name="box-office-hold",
    ),
    path("box-office/sales/<uuid:public_id>/", box_office.sale, name="box-office-sale"),
    path("box-office/sales/<uuid:public_id>/pay/", box_office.pay, name="box-office-pay"),
    path("box-office/sales/<uuid:public_id>/cancel/", box_office.cancel, name="box-office-cancel"),
    path(
        "box-office/sales/<uuid:public_id>/tickets.pdf",
        box_office.tickets_pdf,
        name="box-office-pdf",
    ),
    path(
        "box-office/sales/<uuid:public_id>/email/",
        box_office.email_tickets,
        name="box-office-email",
    ),
    path("tills/<int:till_id>/summary/", box_office.till_summary, name="till-summary"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/<slug:name>.csv", dashboard.dashboard_csv, name="dashboard-csv"),
]
