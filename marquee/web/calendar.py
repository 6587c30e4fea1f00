"""The booking page's "add to calendar" file: one iCalendar event (RFC 5545) per booking."""

from __future__ import annotations

from django.utils import timezone
from icalendar import Calendar, Event


def booking_ics(booking, *, url: str) -> bytes:
    showtime = booking.showtime
    theater = showtime.screen.theater
    seats = ", ".join(
        f"{ticket.seat.row_label}{ticket.seat.number}" for ticket in booking.tickets.all()
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Marquee//Tickets//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"booking-{booking.public_id}@marquee")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", showtime.starts_at)
    event.add("dtend", showtime.ends_at)
    event.add("summary", showtime.movie.title)
    event.add("location", ", ".join(filter(None, [theater.name, theater.address])))
    event.add("description", f"{showtime.screen.name}: {seats}\n{url}")
    event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()
