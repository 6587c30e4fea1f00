"""Catalog admin: the same rules as the API (posters, timezones, scheduling) as form errors."""

from __future__ import annotations

import copy
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin, messages
from django.db import IntegrityError, OperationalError
from django.db.models import Count
from django.http import HttpResponseRedirect

from marquee.catalog import services
from marquee.catalog.error_codes import CatalogErrorCode
from marquee.catalog.models import (
    Genre,
    Movie,
    Screen,
    Seat,
    Showtime,
    ShowtimeStatus,
    SurchargeKind,
    Theater,
    WeekdayPriceRule,
)
from marquee.catalog.posters import poster_prepare
from marquee.catalog.selectors import showtime_overlapping
from marquee.catalog.signals import showtime_changing
from marquee.common.db_errors import is_deadlock
from marquee.common.errors import ApplicationError, Conflict
from marquee.common.money import is_currency, money_text


def _form_error(error: ApplicationError) -> forms.ValidationError:
    return forms.ValidationError(error.message, code=error.code)


def _add_service_error(form: forms.Form, error: ApplicationError) -> None:
    """The service's refusal on the form field its details name, or on the form."""
    fields = [name for name in error.details if name in form.fields]
    form.add_error(fields[0] if len(fields) == 1 else None, _form_error(error))


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "movie_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(movie_count=Count("movies"))

    @admin.display(ordering="movie_count", description="movies")
    def movie_count(self, genre) -> int:
        return genre.movie_count


class MovieAdminForm(forms.ModelForm):
    class Meta:
        model = Movie
        fields = [
            "title",
            "description",
            "duration_minutes",
            "release_date",
            "genres",
            "age_rating",
            "language",
            "poster",
        ]

    def clean_duration_minutes(self):
        duration = self.cleaned_data.get("duration_minutes")
        movie = self.instance
        if movie.pk and duration and duration != movie.duration_minutes:
            conflicting = services.movie_duration_conflict(movie=movie, duration_minutes=duration)
            if conflicting is not None:
                raise forms.ValidationError(
                    f"At {duration} minutes a showtime of this movie would overlap the "
                    f"showtime at {conflicting.starts_at:%Y-%m-%d %H:%M} UTC on "
                    f"{conflicting.screen}; move or cancel one of them first."
                )
        return duration

    def clean_poster(self):
        poster = self.cleaned_data.get("poster")
        # Only a new upload is checked; the stored file was checked when it arrived.
        if poster and hasattr(poster, "content_type"):
            try:
                poster = poster_prepare(poster)
            except ApplicationError as error:
                raise _form_error(error) from None
        return poster


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieAdminForm
    list_display = ["title", "duration_minutes", "release_date", "age_rating", "language"]
    list_filter = ["age_rating", "genres", "language"]
    search_fields = ["title", "description"]
    filter_horizontal = ["genres"]
    date_hierarchy = "release_date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "duration_minutes" in form.changed_data:
            services.movie_showtimes_refit(movie=obj)  # upcoming showtimes end on time

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form checks the new duration against the schedule; a showtime scheduled by
        # someone else between that check and the save is refused here: say so, don't crash.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Conflict as error:
            self.message_user(request, f"{error.message} Nothing was saved.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class WeekdayPriceRuleInline(admin.TabularInline):
    model = WeekdayPriceRule
    extra = 0


class TheaterAdminForm(forms.ModelForm):
    """The API's surcharge rules (`theater_surcharges_check`) as form errors."""

    timezone = forms.ChoiceField(choices=(), help_text="The theater's IANA timezone.")

    class Meta:
        model = Theater
        fields = [
            "name",
            "address",
            "timezone",
            "surcharge_kind",
            "surcharge_currency",
            "premium_surcharge",
            "vip_surcharge",
            "morning_discount_percent",
            "morning_until_hour",
        ]
        help_texts = {
            "premium_surcharge": "A percentage, or an amount in the surcharge currency.",
            "vip_surcharge": "A percentage, or an amount in the surcharge currency.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in sorted(available_timezones())]
        theater = self.instance
        if theater.pk and theater.surcharge_kind == SurchargeKind.AMOUNT:
            for name in ("premium_surcharge", "vip_surcharge"):
                amount = getattr(theater, name)
                if is_currency(theater.surcharge_currency):
                    self.initial[name] = money_text(amount, theater.surcharge_currency)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("surcharge_kind")
        if kind == SurchargeKind.PERCENT and "surcharge_currency" not in self.changed_data:
            cleaned["surcharge_currency"] = ""  # switched to percentages: the currency goes
        values = ("surcharge_kind", "surcharge_currency", "premium_surcharge", "vip_surcharge")
        if any(cleaned.get(name) is None for name in values):
            return cleaned  # a field error is shown already
        probe = copy.copy(self.instance)
        for name in values:
            setattr(probe, name, cleaned[name])
        try:
            services.theater_surcharges_check(theater=probe)
        except ApplicationError as error:
            _add_service_error(self, error)
        return cleaned


@admin.register(Theater)
class TheaterAdmin(admin.ModelAdmin):
    form = TheaterAdminForm
    list_display = ["name", "timezone", "surcharges", "address", "screen_count"]
    list_filter = ["timezone"]
    search_fields = ["name", "address"]
    inlines = [WeekdayPriceRuleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(screen_count=Count("screens"))

    @admin.display(ordering="screen_count", description="screens")
    def screen_count(self, theater) -> int:
        return theater.screen_count

    @admin.display(description="surcharges (premium / VIP)")
    def surcharges(self, theater) -> str:
        if theater.surcharge_kind == SurchargeKind.PERCENT:
            return f"+{theater.premium_surcharge:.2f}% / +{theater.vip_surcharge:.2f}%"
        currency = theater.surcharge_currency
        if not is_currency(currency):
            return f"+{theater.premium_surcharge} / +{theater.vip_surcharge} {currency}"
        premium, vip = (
            money_text(v, currency) for v in (theater.premium_surcharge, theater.vip_surcharge)
        )
        return f"+{premium} / +{vip} {currency}"


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0
    fields = ["row_label", "number", "tier", "kind", "x", "y"]
    ordering = ["y", "x"]


@admin.register(Screen)
class ScreenAdmin(admin.ModelAdmin):
    list_display = ["name", "theater", "seat_count"]
    list_filter = ["theater"]
    search_fields = ["name", "theater__name"]
    list_select_related = ["theater"]
    inlines = [SeatInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(seat_count=Count("seats"))

    @admin.display(ordering="seat_count", description="seats")
    def seat_count(self, screen) -> int:
        return screen.seat_count


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["__str__", "screen", "row_label", "number", "tier", "kind", "x", "y"]
    list_filter = ["tier", "kind", "screen__theater"]
    search_fields = ["row_label", "screen__name", "screen__theater__name"]
    list_select_related = ["screen__theater"]
    ordering = ["screen", "y", "x"]


class ShowtimeAdminForm(forms.ModelForm):
    """Runs the scheduling rules of `showtime_schedule`, so a clash is a message, not a 500."""

    class Meta:
        model = Showtime
        fields = ["movie", "screen", "starts_at", "base_price", "currency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        showtime = self.instance
        if showtime.pk and is_currency(showtime.currency):
            self.initial["base_price"] = money_text(showtime.base_price, showtime.currency)

    def clean_currency(self):
        try:
            return services.currency_check(self.cleaned_data["currency"])
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean(self):
        cleaned = super().clean()
        movie, screen, starts_at = (cleaned.get(k) for k in ("movie", "screen", "starts_at"))
        currency, base_price = cleaned.get("currency"), cleaned.get("base_price")
        if currency is not None and base_price is not None:
            try:
                services.amount_check(base_price, currency, field="base_price")
            except ApplicationError as error:
                _add_service_error(self, error)
                return cleaned
        if movie is None or screen is None or starts_at is None or currency is None:
            return cleaned
        instance = self.instance
        moved = instance.pk is None or {"movie", "screen", "starts_at"} & set(self.changed_data)
        try:
            if instance.pk is None or {"screen", "currency"} & set(self.changed_data):
                services.showtime_currency_check(theater=screen.theater, currency=currency)
            changing = sorted({"movie", "screen", "starts_at", "currency"} & set(self.changed_data))
            if instance.pk is not None and changing:
                # Same rule as the API: a showtime with buyers keeps its film, place and time.
                showtime_changing.send(sender=Showtime, showtime=instance, fields=changing)
            ends_at = services.showtime_ends_at(movie=movie, starts_at=starts_at)
            if moved and instance.status == ShowtimeStatus.SCHEDULED:
                services.showtime_check_slot(
                    screen=screen,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    exclude_id=instance.pk,
                    check_past=instance.pk is None or "starts_at" in self.changed_data,
                )
        except ApplicationError as error:
            raise _form_error(error) from None
        instance.ends_at = ends_at
        return cleaned


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    form = ShowtimeAdminForm
    list_display = [
        "movie",
        "screen",
        "starts_at",
        "ends_at",
        "price",
        "status",
    ]
    list_filter = ["status", "screen__theater", "screen", "movie"]
    search_fields = ["movie__title", "screen__name", "screen__theater__name"]
    list_select_related = ["movie", "screen__theater"]
    date_hierarchy = "starts_at"
    readonly_fields = ["ends_at", "status", "created_at"]
    actions = ["cancel_showtimes"]

    def save_model(self, request, obj, form, change):
        # The form checked overlaps before this transaction held the screen; check again
        # under the screen's lock, as `showtime_schedule` does, so two admins cannot both
        # save overlapping showtimes (on MySQL/MariaDB nothing else would stop them).
        screen_ids = [obj.screen_id]
        if change:
            screen_ids += Showtime.objects.filter(pk=obj.pk).values_list("screen_id", flat=True)
        services.screens_schedule_lock(screen_ids)
        if obj.status == ShowtimeStatus.SCHEDULED and (
            conflicting := showtime_overlapping(
                screen_id=obj.screen_id,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                exclude_id=obj.pk,
            )
        ):
            raise services.overlap_error(conflicting)
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form checks overlaps; a showtime saved by someone else between that check and
        # the save is refused under the screen's lock (or by the exclusion constraint on
        # PostgreSQL): say so, don't crash.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (IntegrityError, OperationalError, Conflict) as error:
            if isinstance(error, Conflict):
                overlap = error.code == CatalogErrorCode.SHOWTIME_OVERLAP
            elif isinstance(error, IntegrityError):
                overlap = services.is_overlap_violation(error)
            else:
                overlap = is_deadlock(error)
            if not overlap:
                raise
            self.message_user(
                request,
                "Another showtime was just scheduled on this screen at an overlapping time; "
                "nothing was saved.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(ordering="base_price", description="base price")
    def price(self, showtime) -> str:
        if not is_currency(showtime.currency):
            return f"{showtime.base_price} {showtime.currency}"
        return f"{money_text(showtime.base_price, showtime.currency)} {showtime.currency}"

    @admin.action(description="Cancel selected showtimes")
    def cancel_showtimes(self, request, queryset):
        cancelled = 0
        for showtime in queryset.filter(status=ShowtimeStatus.SCHEDULED):
            services.showtime_cancel(showtime=showtime, cancelled_by=request.user)
            cancelled += 1
        self.message_user(request, f"{cancelled} showtime(s) cancelled.", messages.SUCCESS)
