from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from marquee.common import health, media
from marquee.tickets.pages import booking_page

PAGE_METHODS = ["get", "head"]

# Django tries the patterns in order: the on-sale hot paths (seat map, holds) come first so
# they are not matched against every catalog route before their own (docs/benchmarks.md,
# "Route order").
urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/", include("marquee.booking.urls")),
    path("api/auth/", include("marquee.accounts.urls")),
    path("api/", include("marquee.catalog.urls")),
    path("api/", include("marquee.tickets.urls")),
    path("api/", include("marquee.payments.urls")),
    path("api/", include("marquee.waitlist.urls")),
    path("api/", include("marquee.reports.urls")),
    path("api/staff/", include("marquee.staff.boxoffice_api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Pages: no OPTIONS (DRF's metadata answer has no template to render them with).
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", http_method_names=PAGE_METHODS),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", http_method_names=PAGE_METHODS),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    # The read-only booking page the emails link to (signed link; no login).
    path("b/<str:token>/", booking_page, name="booking-page"),
    # The live seat map's event streams (served by the ASGI server: docs/operations.md).
    path("live/", include("marquee.live.urls")),
    # The staff pages (door, box office, dashboard).
    path("staff/", include("marquee.staff.urls")),
    # The moviegoer's site, last: every route above is matched first.
    path("", include("marquee.web.urls")),
]

if settings.BENCH_ENDPOINTS:  # framework ceilings for `make bench` only
    from marquee.common import bench_views

    # First, so the ceiling views are resolved as cheaply as any route can be.
    urlpatterns[:0] = [
        path("bench/plain/", bench_views.plain_json),
        path("bench/drf/", bench_views.DrfJson.as_view()),
    ]

if settings.MEDIA_STORAGE == "filesystem":  # in every profile; object storage serves its own
    urlpatterns.append(path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", media.media_serve))

# JSON under /api/ (and the probes), a page for a person everywhere else.
handler400 = "marquee.web.errors.bad_request"
handler403 = "marquee.web.errors.permission_denied"
handler404 = "marquee.web.errors.not_found"
handler500 = "marquee.web.errors.server_error"
