"""Box-office API routes, under /api/staff/ (config/urls.py)."""

from django.urls import path

from marquee.staff import boxoffice_api as api

app_name = "staff-api"

urlpatterns = [
    path("tills/", api.TillListView.as_view(), name="tills"),
    path("tills/<int:till_id>/summary/", api.TillSummaryView.as_view(), name="till-summary"),
    path("box-office/sales/", api.SaleCreateView.as_view(), name="sales"),
    path("box-office/sales/<uuid:public_id>/", api.SaleDetailView.as_view(), name="sale"),
    path(
        "box-office/sales/<uuid:public_id>/tickets.pdf",
        api.SalePdfView.as_view(),
        name="sale-pdf",
    ),
    path(
        "box-office/sales/<uuid:public_id>/email/", api.SaleEmailView.as_view(), name="sale-email"
    ),
]
