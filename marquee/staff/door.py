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
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.csrf import ensure_csrf_cookie

from marquee.catalog.models import DEFAULT_TICKET_TYPE
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
        {
            "showtimes": showtimes,
            "undo_seconds": settings.DOOR_UNDO_SECONDS,
            "door_messages": door_messages(
                ticket_types=selectors.ticket_type_names(
                    theater_ids={row["showtime"].screen.theater_id for row in showtimes}
                )
            ),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def door_messages(*, ticket_types: dict[str, str] | None = None) -> dict:
    """What door.js says, in the page's language: rendered into the page as JSON (`json_script`,
    which the CSP does not execute), so the copy the service worker keeps speaks it offline too.
    `{name}` slots are filled in by the script."""
    return {
        "reasons": {
            "invalid_ticket_code": _("Not a valid ticket (forged or damaged code)"),
            "ticket_not_found": _("No such ticket"),
            "ticket_not_valid": _("This ticket is {status}"),
            "showtime_cancelled": _("This showtime was cancelled"),
            "wrong_day": _("Wrong day: the ticket is for {when}"),
            "wrong_showtime": _("Wrong showtime: {movie}, {time}, {screen}"),
            "wrong_screen": _("Wrong screen: {movie}, {time}, {screen}"),
            "already_checked_in": _("Already checked in at {time}{device}"),
            "not_checked_in": _("Not checked in, so cannot go out"),
            "reentry_not_allowed": _("No re-entry at this showtime"),
            "unknown_offline": _("Unknown ticket (offline): ask a supervisor"),
            "offline_unavailable": _(
                "No network, and this page needs HTTPS to check tickets alone"
            ),
            "nonce_reused": _("Scan again"),
            "not_authenticated": _("Log in again"),
            "permission_denied": _("Log in again (staff only)"),
            "throttled": _("Too many scans: wait a moment"),
        },
        # A refused ticket's status, as in "This ticket is {status}".
        "ticket_statuses": {
            "held": pgettext("ticket", "only held, not paid"),
            "expired": pgettext("ticket", "expired"),
            "cancelled": pgettext("ticket", "cancelled"),
            "refunded": pgettext("ticket", "refunded"),
        },
        # A ticket type's code (adult, child, ...) as the theater names it.
        "ticket_types": {DEFAULT_TICKET_TYPE: pgettext("ticket type", "Adult")}
        | (ticket_types or {}),
        "tiers": {
            "premium": pgettext("tier", "premium"),
            "vip": pgettext("tier", "VIP"),
        },
        "refused": _("Refused"),
        "admitted": _("Admitted"),
        "out": _("Out: may come back in"),
        "seat": _("Row {row} · Seat {number}"),
        "seat_unknown": _("Seat: see the ticket"),
        "conflict_seat": _("Row {row} seat {number}"),
        "conflict_ticket": _("Ticket"),
        "choose_showtimes": _("Choose this door's showtimes first"),
        "replayed": _("Already recorded a moment ago"),
        "offline_admitted": _("Offline: checked on this device, uploaded when the network is back"),
        "offline_refused": _("Offline: checked on this device"),
        "undone": _("Scan undone"),
        "undo_failed": _("Could not undo"),
        "undo_no_network": _("Could not undo: no network"),
        "online": _("Online"),
        "offline": _("OFFLINE: checking on this device"),
        "list_one": _("1 ticket in the list"),
        "list_many": _("{count} tickets in the list"),
        "synced": _("synced {time}"),
        "to_upload": _("{count} to upload"),
        "no_camera": _("No camera here"),
        "camera_failed": _("The camera could not start"),
        "type_instead": _("Type the code instead"),
        "start_camera": _("Start camera"),
        "stop_camera": _("Stop camera"),
        "device": _("Door {id}"),
        "reentry_failed": _("Re-entry could not be changed"),
        "no_network": _("No network"),
    }


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
