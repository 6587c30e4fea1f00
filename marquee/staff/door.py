"""The door scanner page: a staff member's phone reads tickets' QR codes, and keeps admitting
valid ones when the network is down. The page holds no rule: online it asks the door API
(marquee/tickets/door_api.py), offline it applies the check-in list and public keys the API
gave it, and uploads its scans when the network is back."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

from marquee.common.permissions import is_staff_member
from marquee.common.time import to_local
from marquee.tickets import selectors


@login_required
@ensure_csrf_cookie
def door_page(request):
    if not is_staff_member(request.user):
        raise PermissionDenied
    showtimes = [
        {
            "showtime": showtime,
            # The theater's clock, as on the tickets (a template filter would use the site's).
            "local_time": to_local(showtime.starts_at, showtime.screen.theater.timezone).strftime(
                "%H:%M"
            ),
            "reentry_allowed": selectors.reentry_allowed(showtime),
        }
        for showtime in selectors.door_showtimes_today(now=timezone.now())
    ]
    response = render(
        request,
        "staff/door.html",
        {"showtimes": showtimes, "undo_seconds": settings.DOOR_UNDO_SECONDS},
    )
    response["Cache-Control"] = "private, no-store"
    return response


# What the service worker keeps for a reload without the network (besides the page itself).
DOOR_ASSETS = [
    "web/css/site.css",
    "web/js/site.js",
    "web/img/favicon.svg",
    "staff/door.css",
    "staff/door.js",
    "staff/vendor/jsqr-1.4.0/jsQR.js",
]


def door_service_worker(request):
    """The scanner's service worker, served under /staff/door/ so that it may control the page."""
    assets = [reverse("staff:door")] + [static(path) for path in DOOR_ASSETS]
    version = hashlib.sha256("\n".join(assets).encode()).hexdigest()[:12]
    response = render(
        request,
        "staff/door-sw.js",
        {
            "version": version,
            "page_json": json.dumps(reverse("staff:door")),
            "assets_json": json.dumps(assets),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response
