"""Catalog admin: the same rules as the API (posters, timezones, scheduling) as form errors."""

from __future__ import annotations

import copy
from contextlib import nullcontext
from datetime import datetime
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.utils import unquote
from django.db import IntegrityError, OperationalError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils import timezone

from marquee.catalog import hooks, services
from marquee.catalog.error_codes import CatalogErrorCode
from marquee.catalog.models import (
    Genre,
    LanguageVersion,
    Movie,
    PriceCard,
    PriceCardEntry,
    PriceCardFormatSurcharge,
    Screen,
    Seat,
    Showtime,
    ShowtimeFormat,
    ShowtimeStatus,
    SurchargeKind,
    Theater,
    TicketType,
    WeekdayPriceRule,
)
from marquee.catalog.posters import poster_prepare
from marquee.catalog.selectors import starts_within_local_days_q
from marquee.common.db_errors import is_deadlock
from marquee.common.errors import DomainError
from marquee.common.money import is_currency, money_text
from marquee.common.time import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    from_local,
    is_valid_timezone,
    to_local,
)


def _form_error(error: DomainError) -> forms.ValidationError:
    return forms.ValidationError(error.message, code=error.code)


def _add_service_error(form: forms.Form, error: DomainError) -> None:
    """The service's refusal on the form field its details name, or on the form."""
    fields = [name for name in error.details if name in form.fields]
    form.add_error(fields[0] if len(fields) == 1 else None, _form_error(error))


def theater_time(moment: datetime, showtime: Showtime) -> str:
    """A moment on the clock of the showtime's theater, naming the zone: the admin schedules
    in the theater's own time, never in UTC."""
    zone = showtime.screen.theater.timezone
    return f"{to_local(moment, zone):%Y-%m-%d %H:%M} ({zone})"


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
                    f"showtime at {theater_time(conflicting.starts_at, conflicting)} on "
                    f"{conflicting.screen}; move or cancel one of them first."
                )
        return duration

    def clean_poster(self):
        poster = self.cleaned_data.get("poster")
        # Only a new upload is checked; the stored file was checked when it arrived.
        if poster and hasattr(poster, "content_type"):
            try:
                poster = poster_prepare(poster)
            except DomainError as error:
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
        except DomainError as error:
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
            "accessible_release_minutes",
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
        except DomainError as error:
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


class TheaterTimeField(forms.SplitDateTimeField):
    """A date and a wall-clock time in the theater's timezone, left naive: the form makes it a
    moment once it knows the theater (Django would read it in UTC, the server's zone)."""

    def compress(self, data_list):
        if not data_list:
            return None
        if data_list[0] in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if data_list[1] in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.combine(*data_list)


def _screen_with_its_timezone(screen: Screen) -> str:
    return f"{screen} ({screen.theater.timezone})"


class TheaterTimeWidget(widgets.AdminSplitDateTime):
    """The admin's date and time inputs, without its "ahead of server time" note."""

    template_name = "catalog/admin/theater_time.html"


class ShowtimeAdminForm(forms.ModelForm):
    """Takes and shows the start on the theater's own clock, and runs the scheduling rules of
    `showtime_schedule`, so a clash or a time the clocks skip is a message, not a 500."""

    starts_at = TheaterTimeField(
        label="Starts at (theater time)",
        widget=TheaterTimeWidget,
        help_text="Date and time on the clock of the screen's theater.",
    )

    class Meta:
        model = Showtime
        fields = [
            "movie",
            "screen",
            "starts_at",
            "base_price",
            "currency",
            "format",
            "language_version",
            "price_card",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional in the form: a showtime saved without them is 2D, original version.
        self.fields["format"].required = False
        self.fields["language_version"].required = False
        screen = self.fields["screen"]
        screen.queryset = screen.queryset.select_related("theater")
        screen.label_from_instance = _screen_with_its_timezone
        screen.help_text = "Each screen names its theater's time zone."
        if self.instance.pk is not None:
            zone = self.instance.screen.theater.timezone
            local = to_local(self.instance.starts_at, zone)
            self.initial["starts_at"] = local.replace(tzinfo=None)
            self.fields[
                "starts_at"
            ].help_text = f"Date and time in {zone}, the time zone of the screen's theater."
        showtime = self.instance
        if showtime.pk and is_currency(showtime.currency):
            self.initial["base_price"] = money_text(showtime.base_price, showtime.currency)

    def clean_currency(self):
        try:
            return services.currency_check(self.cleaned_data["currency"])
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_format(self):
        return self.cleaned_data.get("format") or ShowtimeFormat.TWO_D

    def clean_language_version(self):
        return self.cleaned_data.get("language_version") or LanguageVersion.ORIGINAL

    def _starts_at(self, screen: Screen, wall_clock: datetime) -> datetime | None:
        """The moment the wall-clock time names at the screen's theater; None (and a form
        error) when the clocks there skip or repeat it."""
        zone = screen.theater.timezone
        when = f"{wall_clock:%H:%M} on {wall_clock:%Y-%m-%d}"
        try:
            return from_local(wall_clock, zone)
        except NonexistentLocalTime:
            problem = f"{when} does not exist in {zone}: the clocks skip it (summer time begins)."
        except AmbiguousLocalTime:
            problem = f"{when} happens twice in {zone}: the clocks go back (summer time ends)."
        self.add_error("starts_at", f"{problem} Pick another time.")
        return None

    def clean(self):
        cleaned = super().clean()
        movie, screen, wall_clock = (cleaned.get(k) for k in ("movie", "screen", "starts_at"))
        currency, base_price = cleaned.get("currency"), cleaned.get("base_price")
        if currency is not None and base_price is not None:
            try:
                services.amount_check(base_price, currency, field="base_price")
            except DomainError as error:
                _add_service_error(self, error)
                return cleaned
        if movie is None or screen is None or wall_clock is None or currency is None:
            return cleaned
        starts_at = self._starts_at(screen, wall_clock)
        if starts_at is None:
            return cleaned
        cleaned["starts_at"] = starts_at
        instance = self.instance
        # The moment may move without the wall-clock text changing (a screen in another zone).
        changed = set(self.changed_data) - {"starts_at"}
        if instance.pk is None or starts_at != instance.starts_at:
            changed.add("starts_at")
        moved = instance.pk is None or {"movie", "screen", "starts_at"} & changed
        try:
            if instance.pk is None or {"screen", "currency"} & changed:
                services.showtime_currency_check(theater=screen.theater, currency=currency)
            if cleaned.get("price_card") is not None:
                services.price_card_check(
                    price_card=cleaned["price_card"],
                    theater_id=screen.theater_id,
                    currency=currency,
                )
            changing = sorted({"movie", "screen", "starts_at", "currency"} & changed)
            if instance.pk is not None and changing:
                # Same rule as the API: a showtime with buyers keeps its film, place and time.
                hooks.showtime_change_check(showtime=instance, fields=changing)
            ends_at = services.showtime_ends_at(movie=movie, starts_at=starts_at)
            if moved and instance.status == ShowtimeStatus.SCHEDULED:
                services.showtime_check_slot(
                    screen=screen,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    exclude_id=instance.pk,
                    check_past="starts_at" in changed,
                )
        except DomainError as error:
            raise _form_error(error) from None
        instance.ends_at = ends_at
        return cleaned


class TheaterDayFilter(admin.SimpleListFilter):
    """Days as each theater counts them (the admin's own date drill-down would use UTC)."""

    title = "day (theater time)"
    parameter_name = "day"
    DAYS = {"today": (0, 0), "tomorrow": (1, 1), "week": (0, 6)}

    def lookups(self, request, model_admin):
        return [
            ("today", "Today"),
            ("tomorrow", "Tomorrow"),
            ("week", "Today and the next 6 days"),
            ("past", "Started already"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "past":
            return queryset.filter(starts_at__lte=timezone.now())
        if self.value() in self.DAYS:
            first, last = self.DAYS[self.value()]
            return queryset.filter(starts_within_local_days_q(first=first, last=last))
        return None


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    form = ShowtimeAdminForm
    list_display = [
        "movie",
        "screen",
        "local_start",
        "local_film_end",
        "local_end",
        "price",
        "status",
    ]
    list_filter = [TheaterDayFilter, "status", "screen__theater", "screen", "movie"]
    search_fields = ["movie__title", "screen__name", "screen__theater__name"]
    list_select_related = ["movie", "screen__theater"]
    readonly_fields = ["local_film_end", "local_end", "status", "created_at"]
    actions = ["cancel_showtimes"]

    def save_model(self, request, obj, form, change):
        # Through the API's services: they check again under the screens' locks what the form
        # checked for its messages, so two admins cannot both save overlapping showtimes.
        if not change:
            saved = services.showtime_schedule(
                movie=obj.movie,
                screen=obj.screen,
                starts_at=obj.starts_at,
                base_price=obj.base_price,
                currency=obj.currency,
            )
        else:
            stored = Showtime.objects.get(pk=obj.pk)
            fields = ("movie", "screen", "starts_at", "base_price", "currency")
            saved = services.showtime_update(
                showtime=stored,
                changed_by=request.user,
                **{
                    name: getattr(obj, name)
                    for name in fields
                    if getattr(obj, name) != getattr(stored, name)
                },
            )
        obj.pk, obj.ends_at, obj.status = saved.pk, saved.ends_at, saved.status

    @admin.display(description="starts (theater time)", ordering="starts_at")
    def local_start(self, showtime: Showtime) -> str:
        return theater_time(showtime.starts_at, showtime)

    @admin.display(description="film ends (theater time)", ordering="starts_at")
    def local_film_end(self, showtime: Showtime) -> str:
        if showtime.pk is None:
            return "-"
        return theater_time(showtime.film_ends_at, showtime)

    @admin.display(description="screen free at (theater time)", ordering="ends_at")
    def local_end(self, showtime: Showtime) -> str:
        if showtime.pk is None:
            return "-"
        return theater_time(showtime.ends_at, showtime)

    def _theater_zone(self, request, object_id) -> str | None:
        """The zone of the theater the page is about: the showtime's, the screen's being
        submitted, or the only one there is."""
        if object_id is not None:
            showtime = self.get_object(request, unquote(object_id))
            return showtime.screen.theater.timezone if showtime is not None else None
        screen_id = request.POST.get("screen", "")
        if screen_id.isascii() and screen_id.isdigit():
            theaters = Theater.objects.filter(screens__pk=int(screen_id))
        else:
            theaters = Theater.objects.all()
        zones = list(theaters.order_by().values_list("timezone", flat=True).distinct()[:2])
        return zones[0] if len(zones) == 1 and is_valid_timezone(zones[0]) else None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The page renders in the theater's zone, so the date and time pickers' "Now" and
        # "Today" are the theater's.
        zone = self._theater_zone(request, object_id)
        with timezone.override(zone) if zone else nullcontext():
            response = self._changeform_view_refusing_overlaps(
                request, object_id, form_url, extra_context
            )
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    def _changeform_view_refusing_overlaps(self, request, object_id, form_url, extra_context):
        # The form checks overlaps; a showtime saved by someone else between that check and
        # the save is refused under the screen's lock (or by the exclusion constraint on
        # PostgreSQL): say so, don't crash.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (IntegrityError, OperationalError, DomainError) as error:
            if isinstance(error, DomainError):
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


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "theater", "position"]
    list_filter = ["theater"]
    search_fields = ["code", "name"]


class PriceCardEntryFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        currency = self.instance.currency
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", {})
            price = cleaned.get("price", cleaned.get("amount"))
            if price is None or form.cleaned_data.get("DELETE"):
                continue
            field = "price" if "price" in cleaned else "amount"
            try:
                services.amount_check(price, currency, field=field)
            except DomainError as error:
                form.add_error(field, _form_error(error))


class PriceCardEntryInline(admin.TabularInline):
    model = PriceCardEntry
    formset = PriceCardEntryFormSet
    extra = 0
    fields = ["ticket_type", "tier", "price"]


class PriceCardAdminForm(forms.ModelForm):
    class Meta:
        model = PriceCard
        fields = ["theater", "name", "currency"]

    def clean_currency(self):
        try:
            return services.currency_check(self.cleaned_data["currency"])
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class PriceCardFormatSurchargeInline(admin.TabularInline):
    model = PriceCardFormatSurcharge
    formset = PriceCardEntryFormSet  # the same check: amounts in the card's currency
    extra = 0
    fields = ["format", "amount"]


@admin.register(PriceCard)
class PriceCardAdmin(admin.ModelAdmin):
    form = PriceCardAdminForm
    list_display = ["name", "theater", "currency"]
    list_filter = ["theater"]
    inlines = [PriceCardEntryInline, PriceCardFormatSurchargeInline]
