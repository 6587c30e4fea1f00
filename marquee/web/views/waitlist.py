"""The waiting list of a sold-out show: join for n seats, see your place, leave. The seat
picker links here when the hall is full; offers arrive by email as holds."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from marquee.booking import errors as booking_errors
from marquee.booking.context import showtime_context
from marquee.common.errors import DomainError, http_status
from marquee.waitlist import selectors, services
from marquee.web.messages import error_message


@login_required
def waitlist_page(request, showtime_id: int):
    """GET: your place (or the form to join); POST action=join (seats) or action=leave."""
    try:
        context = showtime_context(showtime_id)
    except booking_errors.BookingError:
        raise Http404 from None
    showtime = context.showtime
    error, status = None, 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "leave":
                services.waitlist_leave(user=request.user, showtime_id=showtime_id)
                messages.success(request, gettext("You left the waiting list."))
            else:
                seats = request.POST.get("seats", "")
                services.waitlist_join(
                    user=request.user,
                    showtime_id=showtime_id,
                    seats=int(seats) if seats.isdigit() and len(seats) < 4 else 0,
                )
                messages.success(
                    request,
                    gettext("You are on the waiting list. We will email you when seats free up."),
                )
            return redirect(reverse("web:waitlist", args=[showtime_id]))
        except DomainError as refused:
            error, status = error_message(refused), http_status(refused)
    entry = selectors.waitlist_entry_of(user=request.user, showtime_id=showtime_id)
    return render(
        request,
        "web/waitlist.html",
        {
            "showtime": showtime,
            "theater": showtime.screen.theater,
            "entry": entry,
            "position": services.waitlist_position(entry) if entry else None,
            "free": services.free_seat_count(showtime_id=showtime_id, now=timezone.now()),
            "seat_choices": range(1, settings.WAITLIST_MAX_SEATS + 1),
            "offer_minutes": settings.WAITLIST_OFFER_MINUTES,
            "error": error,
        },
        status=status,
    )
