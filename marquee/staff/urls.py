"""The staff pages (door scanner, box office, dashboard): thin views over the same services
and selectors as the API, for users with the staff or admin role."""

from django.urls import path  # noqa: F401  (the pages add their routes here)

app_name = "staff"

urlpatterns: list = []
