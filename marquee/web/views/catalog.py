"""What's on: the home page and a movie's page."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import render

from marquee.catalog import selectors as catalog
from marquee.common.errors import DomainError
from marquee.web import selectors


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 12 else None


def home(request):
    listing = selectors.home_listing(
        day=_day(request.GET.get("day")), theater_id=_int(request.GET.get("theater"))
    )
    return render(request, "web/catalog/home.html", {"listing": listing})


def movie(request, movie_id: int):
    try:
        film = catalog.movie_get(movie_id=movie_id)
    except DomainError:
        raise Http404 from None
    days = selectors.movie_showtimes(movie_id=film.pk)
    return render(request, "web/catalog/movie.html", {"movie": film, "days": days})
