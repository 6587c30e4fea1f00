"""Reports routes under /api/ (admins only)."""

from django.urls import path

from marquee.reports import api

urlpatterns = [
    path("reports/sales/", api.SalesReportView.as_view(), name="report-sales"),
    path(
        "reports/sales/ticket-types/",
        api.TicketTypeSalesReportView.as_view(),
        name="report-sales-ticket-types",
    ),
    path(
        "reports/sales/vouchers/",
        api.VoucherSalesReportView.as_view(),
        name="report-sales-vouchers",
    ),
    path(
        "reports/refunds/reasons/",
        api.RefundReasonReportView.as_view(),
        name="report-refunds-reasons",
    ),
    path("reports/occupancy/", api.OccupancyReportView.as_view(), name="report-occupancy"),
]
