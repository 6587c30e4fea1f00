"""Reports routes under /api/ (admins only)."""

from django.urls import path

from marquee.reports import api

urlpatterns = [
    path("reports/sales/", api.SalesReportView.as_view(), name="report-sales"),
    path("reports/occupancy/", api.OccupancyReportView.as_view(), name="report-occupancy"),
]
