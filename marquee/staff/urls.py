"""The staff pages (door scanner, box office, dashboard): thin views over the same services
and selectors as the API, for users with the staff or admin role."""

from django.urls import path

from marquee.staff import door

app_name = "staff"

urlpatterns: list = [
    path("door/", door.door_page, name="door"),
    path("door/sw.js", door.door_service_worker, name="door-sw"),
]
