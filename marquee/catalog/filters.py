"""Query-string filters of the catalog lists; days are local days of each theater."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as django_filters
from drf_spectacular.utils import extend_schema_field

from marquee.catalog.models import (
    LanguageVersion,
    Movie,
    Screen,
    Showtime,
    ShowtimeFormat,
    ShowtimeStatus,
)
from marquee.catalog.selectors import movie_ids_showing, starts_on_local_day_q


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """A positive integer id (a NumberFilter would also take 1.5)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class MovieFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, help_text="Words in the title or description."
    )
    genre = django_filters.CharFilter(
        field_name="genres__slug", max_length=60, help_text="A genre slug, e.g. `drama`."
    )
    date = django_filters.DateFilter(
        method="filter_showing",
        help_text="Movies with a scheduled showtime that day (YYYY-MM-DD, theater-local).",
    )
    theater = IdFilter(
        method="filter_showing",
        help_text="Movies with a scheduled showtime at this theater (upcoming unless `date`).",
    )

    class Meta:
        model = Movie
        fields = ["search", "genre", "date", "theater"]

    def filter_search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset

    def filter_showing(self, queryset, name, value):
        # `date` and `theater` must match the same showtime, so both are applied once, here.
        if name == "theater" and self.form.cleaned_data.get("date"):
            return queryset
        theater = self.form.cleaned_data.get("theater")
        return queryset.filter(
            pk__in=movie_ids_showing(
                day=self.form.cleaned_data.get("date"),
                theater_id=theater,
            )
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A genre join can repeat a movie; `genre` is the only multi-valued join left.
        return queryset.distinct() if self.form.cleaned_data.get("genre") else queryset


class ScreenFilter(django_filters.FilterSet):
    theater = IdFilter(field_name="theater_id")

    class Meta:
        model = Screen
        fields = ["theater"]


class ShowtimeFilter(django_filters.FilterSet):
    movie = IdFilter(field_name="movie_id")
    theater = IdFilter(field_name="screen__theater_id")
    screen = IdFilter(field_name="screen_id")
    date = django_filters.DateFilter(
        method="filter_date", help_text="Showtimes starting that day in the theater's timezone."
    )
    status = django_filters.ChoiceFilter(
        choices=ShowtimeStatus.choices,
        method="filter_status",
        help_text="Defaults to `scheduled`.",
    )
    include_past = django_filters.BooleanFilter(
        method="filter_include_past",
        help_text="Also list showtimes that have already started (default: only upcoming).",
    )
    format = django_filters.ChoiceFilter(
        choices=ShowtimeFormat.choices, help_text="Only showtimes in this format (2d, 3d, imax...)."
    )
    language_version = django_filters.ChoiceFilter(
        choices=LanguageVersion.choices, help_text="original, dubbed or subtitled."
    )

    class Meta:
        model = Showtime
        fields = [
            "movie",
            "theater",
            "screen",
            "date",
            "status",
            "include_past",
            "format",
            "language_version",
        ]

    def filter_date(self, queryset, name, value):
        return queryset.filter(starts_on_local_day_q(value))

    def filter_status(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where the default lives

    def filter_include_past(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where the default lives

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        queryset = queryset.filter(status=data.get("status") or ShowtimeStatus.SCHEDULED)
        if not data.get("include_past"):
            queryset = queryset.filter(starts_at__gte=timezone.now())
        return queryset
