"""Catalog API: public reads, admin writes. Views parse, call a service or selector, render."""

from __future__ import annotations

import functools
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from marquee.catalog import cache as catalog_cache
from marquee.catalog import selectors, services
from marquee.catalog.filters import MovieFilter, ScreenFilter, ShowtimeFilter
from marquee.catalog.models import (
    Genre,
    LanguageVersion,
    Movie,
    PriceCard,
    Screen,
    Seat,
    SeatTier,
    Showtime,
    ShowtimeFormat,
    ShowtimeStatus,
    SurchargeKind,
    Theater,
    TicketType,
)
from marquee.catalog.seat_generation import MAX_ROWS, MAX_SEATS_PER_ROW
from marquee.catalog.services import PERCENT_STEP
from marquee.common.money import money_text
from marquee.common.money_fields import MONEY_SCHEMA, MoneyField
from marquee.common.openapi import error_response
from marquee.common.permissions import IsAdminOrReadOnly, IsStaffOrReadOnly
from marquee.common.renderers import ContentNegotiation
from marquee.common.time import local_iso

# --- Serializers ----------------------------------------------------------------------------


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["slug", "name"]


class MovieSerializer(serializers.ModelSerializer):
    genres = GenreSerializer(many=True, read_only=True)

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "description",
            "duration_minutes",
            "release_date",
            "age_rating",
            "language",
            "poster",
            "genres",
            "created_at",
        ]
        read_only_fields = fields


class MovieWriteSerializer(serializers.ModelSerializer):
    """Movie fields as sent by an admin (JSON, or multipart when a poster is attached)."""

    genres = serializers.SlugRelatedField(
        many=True,
        slug_field="slug",
        queryset=Genre.objects.all(),
        required=False,
        help_text='Genre slugs, e.g. ["drama", "comedy"].',
    )
    # A plain file: the service checks the real image type with Pillow and the size.
    poster = serializers.FileField(
        required=False, allow_null=True, help_text="JPEG, PNG or WebP; null removes it."
    )

    class Meta:
        model = Movie
        fields = [
            "title",
            "description",
            "duration_minutes",
            "release_date",
            "age_rating",
            "language",
            "genres",
            "poster",
        ]


class TheaterSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Theater
        fields = ["id", "name", "timezone"]
        read_only_fields = fields


@extend_schema_field(
    MONEY_SCHEMA
    | {
        "description": "A percentage ('20.00') or, with surcharge_kind `amount`, an amount in "
        "surcharge_currency's own units ('300' JPY, '2.50' EUR)."
    }
)
class SurchargeField(serializers.Field):
    """A tier surcharge as its theater states it: a percentage, or an amount in its currency."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, source="*", **kwargs)

    def bind(self, field_name, parent) -> None:
        super().bind(field_name, parent)
        self.value_attr = field_name

    def to_representation(self, theater: Theater) -> str:
        value = getattr(theater, self.value_attr)
        if theater.surcharge_kind == SurchargeKind.AMOUNT:
            return money_text(value, theater.surcharge_currency)
        return str(Decimal(value).quantize(PERCENT_STEP))


SURCHARGE_HELP = (
    "`percent`: premium_surcharge and vip_surcharge are percentages of the base price (valid "
    "in any currency). `amount`: they are amounts in surcharge_currency, and every showtime of "
    "the theater must be priced in that currency."
)


class TheaterSerializer(serializers.ModelSerializer):
    screen_count = serializers.IntegerField(read_only=True)
    premium_surcharge = SurchargeField()
    vip_surcharge = SurchargeField()

    class Meta:
        model = Theater
        fields = [
            "id",
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
            "screen_count",
        ]
        read_only_fields = fields


class TheaterWriteSerializer(serializers.ModelSerializer):
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA timezone, e.g. `Europe/Berlin`."
    )
    surcharge_kind = serializers.ChoiceField(
        choices=SurchargeKind.choices, required=False, help_text=SURCHARGE_HELP
    )
    # Any short text: the service answers an unknown code with `invalid_currency`.
    surcharge_currency = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="ISO 4217, e.g. JPY; required for `amount` surcharges, empty for `percent`.",
    )

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
        extra_kwargs = {
            "accessible_release_minutes": {
                "help_text": "Minutes before a show when its wheelchair spaces and companion "
                "seats go on general sale (0: never before the show; at most a week); null: "
                "the site's BOOKING_ACCESSIBLE_RELEASE_MINUTES."
            }
        }


class ScreenSerializer(serializers.ModelSerializer):
    theater = TheaterSummarySerializer(read_only=True)
    seat_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Screen
        fields = ["id", "name", "theater", "seat_count"]
        read_only_fields = fields


class ScreenWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Screen
        fields = ["theater", "name"]


class ScreenSeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Seat
        fields = ["id", "row_label", "number", "tier", "kind", "x", "y"]
        read_only_fields = fields


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "example": "E-G"},
            {"type": "array", "items": {"type": "string"}, "example": ["E", "F"]},
        ]
    }
)
class LabelsField(serializers.Field):
    """Labels as a comma-separated string ("E-G,J" or "A1,A2") or a list of strings."""

    default_error_messages = {
        "invalid": "Expected a string like 'E-G' or a list of strings.",
        "too_long": "Too many labels.",
    }
    max_items = 200

    def to_internal_value(self, data):
        if isinstance(data, str):
            items = data.split(",")
        elif isinstance(data, list) and all(isinstance(item, str) for item in data):
            items = data
        else:
            self.fail("invalid")
        items = [item.strip() for item in items if item.strip()]
        if len(items) > self.max_items or any(len(item) > 16 for item in items):
            self.fail("too_long")
        return items

    def to_representation(self, value):
        return value


class SeatGenerationSerializer(serializers.Serializer):
    rows = serializers.IntegerField(min_value=1, max_value=MAX_ROWS)
    per_row = serializers.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW)
    aisles_after = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW),
        required=False,
        default=list,
        max_length=MAX_SEATS_PER_ROW,
        help_text="Seat numbers followed by an aisle, e.g. [4, 12].",
    )
    premium_rows = LabelsField(required=False, default=list)
    vip_rows = LabelsField(required=False, default=list)
    wheelchair = LabelsField(required=False, default=list, help_text='Seats, e.g. ["A1"].')
    companion = LabelsField(required=False, default=list, help_text='Seats, e.g. ["A3"].')


class SeatGenerationResultSerializer(serializers.Serializer):
    screen = serializers.IntegerField()
    seat_count = serializers.IntegerField()
    seats = ScreenSeatSerializer(many=True)


class MovieSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Movie
        fields = ["id", "title", "duration_minutes", "age_rating", "poster"]
        read_only_fields = fields


class ScreenSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Screen
        fields = ["id", "name"]
        read_only_fields = fields


class ShowtimeSerializer(serializers.ModelSerializer):
    movie = MovieSummarySerializer(read_only=True)
    theater = TheaterSummarySerializer(source="screen.theater", read_only=True)
    screen = ScreenSummarySerializer(read_only=True)
    local_starts_at = serializers.SerializerMethodField(
        help_text="The start in the theater's timezone, ISO 8601 with its offset."
    )
    ends_at = serializers.DateTimeField(
        source="film_ends_at", help_text="When the film ends (start + the movie's duration)."
    )
    local_ends_at = serializers.SerializerMethodField(
        help_text="The film's end in the theater's timezone, ISO 8601 with its offset."
    )
    screen_free_at = serializers.DateTimeField(
        source="ends_at",
        help_text="When the screen is free again: the film plus the cleaning time. Showtimes "
        "on one screen never overlap in [starts_at, screen_free_at).",
    )
    capacity = serializers.IntegerField(read_only=True, help_text="Seats on the screen.")
    base_price = MoneyField(help_text="In the currency's own units: '1500' JPY, '12.50' EUR.")

    class Meta:
        model = Showtime
        fields = [
            "id",
            "movie",
            "theater",
            "screen",
            "starts_at",
            "ends_at",
            "local_starts_at",
            "local_ends_at",
            "screen_free_at",
            "base_price",
            "currency",
            "status",
            "capacity",
            "price_card",
            "format",
            "language_version",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_starts_at(self, showtime: Showtime) -> str:
        return local_iso(showtime.starts_at, showtime.screen.theater.timezone)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_ends_at(self, showtime: Showtime) -> str:
        return local_iso(showtime.film_ends_at, showtime.screen.theater.timezone)


# Any short text: the service answers an unknown code with 400 `invalid_currency`, and a price
# with more decimals than its currency has (1500.5 JPY) with 400 `too_many_decimals`.
CURRENCY_HELP = (
    "ISO 4217 code in upper case, e.g. EUR, JPY, KWD (at most three decimals); "
    "DEFAULT_CURRENCY when left out."
)
PRICE_HELP = "In the currency's own units: whole yen and won, euro cents, three-decimal dinars."


def _base_price_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=9, decimal_places=3, min_value=0, help_text=PRICE_HELP, **kwargs
    )


PRICE_CARD_HELP = "A price card of the screen's theater in the showtime's currency (or null)."


class ShowtimeCreateSerializer(serializers.Serializer):
    movie = serializers.PrimaryKeyRelatedField(queryset=Movie.objects.all())
    screen = serializers.PrimaryKeyRelatedField(queryset=Screen.objects.all())
    starts_at = serializers.DateTimeField(help_text="ISO 8601 with an offset; UTC if none.")
    base_price = _base_price_field()
    currency = serializers.CharField(max_length=16, required=False, help_text=CURRENCY_HELP)
    price_card = serializers.PrimaryKeyRelatedField(
        queryset=PriceCard.objects.all(), required=False, allow_null=True, help_text=PRICE_CARD_HELP
    )
    format = serializers.ChoiceField(choices=ShowtimeFormat.choices, required=False)
    language_version = serializers.ChoiceField(choices=LanguageVersion.choices, required=False)


class ShowtimeUpdateSerializer(serializers.Serializer):
    movie = serializers.PrimaryKeyRelatedField(queryset=Movie.objects.all(), required=False)
    starts_at = serializers.DateTimeField(required=False)
    base_price = _base_price_field(required=False)
    currency = serializers.CharField(max_length=16, required=False, help_text=CURRENCY_HELP)
    status = serializers.ChoiceField(choices=ShowtimeStatus.choices, required=False)
    price_card = serializers.PrimaryKeyRelatedField(
        queryset=PriceCard.objects.all(), required=False, allow_null=True, help_text=PRICE_CARD_HELP
    )
    format = serializers.ChoiceField(choices=ShowtimeFormat.choices, required=False)
    language_version = serializers.ChoiceField(choices=LanguageVersion.choices, required=False)


class TicketTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketType
        fields = ["id", "code", "name", "theater", "position"]
        read_only_fields = ["id"]
        extra_kwargs = {"theater": {"help_text": "Null: offered by every theater."}}
        validators = []  # the service answers a repeated code with 409 `ticket_type_exists`


class PriceCardEntrySerializer(serializers.Serializer):
    ticket_type = serializers.SlugField(max_length=32, help_text="A ticket type code.")
    tier = serializers.ChoiceField(choices=SeatTier.choices)
    price = serializers.DecimalField(
        max_digits=9, decimal_places=3, min_value=Decimal("0"), help_text=PRICE_HELP
    )

    def to_representation(self, entry):
        return {
            "ticket_type": entry.ticket_type.code,
            "tier": entry.tier,
            "price": money_text(entry.price, entry.price_card.currency),
        }


class FormatSurchargeSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ShowtimeFormat.choices)
    amount = serializers.DecimalField(
        max_digits=9, decimal_places=3, min_value=Decimal("0"), help_text=PRICE_HELP
    )

    def to_representation(self, surcharge):
        return {
            "format": surcharge.format,
            "amount": money_text(surcharge.amount, surcharge.price_card.currency),
        }


class PriceCardSerializer(serializers.ModelSerializer):
    entries = PriceCardEntrySerializer(many=True, read_only=True)
    format_surcharges = FormatSurchargeSerializer(many=True, read_only=True)

    class Meta:
        model = PriceCard
        fields = ["id", "theater", "name", "currency", "entries", "format_surcharges"]
        read_only_fields = fields


class PriceCardWriteSerializer(serializers.Serializer):
    theater = serializers.PrimaryKeyRelatedField(queryset=Theater.objects.all())
    name = serializers.CharField(max_length=80)
    currency = serializers.CharField(max_length=16, required=False, help_text=CURRENCY_HELP)
    entries = PriceCardEntrySerializer(
        many=True,
        required=False,
        help_text="A price per ticket type and seat tier; a pair left out is not sold (the "
        "default type falls back to the base price and tier surcharge).",
    )
    format_surcharges = FormatSurchargeSerializer(
        many=True,
        required=False,
        help_text="An amount added to the card's prices for a showtime in this format.",
    )


class PriceCardUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    entries = PriceCardEntrySerializer(many=True, required=False)
    format_surcharges = FormatSurchargeSerializer(many=True, required=False)


# --- Error documentation --------------------------------------------------------------------


_error = error_response


NOT_FOUND = {404: _error("No such id.", "not_found")}
ADMIN_ONLY = {
    401: _error("Not authenticated.", "not_authenticated", "authentication_failed"),
    403: _error("Only administrators change the catalog.", "permission_denied"),
}


def _invalid(*codes: str) -> dict:
    return {400: _error("Invalid input; field errors in `details`.", "invalid", *codes)}


def _conflict(*codes: str) -> dict:
    return {409: _error("The catalog's current state refuses this.", *codes)}


def _write(request, responses: dict, *errors: dict) -> dict:
    merged = dict(responses)
    for error in (*errors, ADMIN_ONLY):
        merged.update(error)
    return extend_schema(request=request, responses=merged)


class FormatFilterNegotiation(ContentNegotiation):
    """Content negotiation that leaves `?format=` to the showtime filter (JSON only)."""

    class settings:
        URL_FORMAT_OVERRIDE = None


# --- Views ----------------------------------------------------------------------------------


def cached_read(handler):
    """A GET handler answered from the catalog's response cache (marquee/catalog/cache.py)
    while the catalog version is unchanged, and stored there after a fresh 200."""

    @functools.wraps(handler)
    def read(self, request, *args, **kwargs):
        # Keyed by the absolute URL: pagination and poster links in the body are built from
        # the request's scheme and host.
        key = catalog_cache.response_key(request.build_absolute_uri())
        cached = catalog_cache.cached_response(key) if key else None
        if cached is not None:
            return Response(cached)
        response = handler(self, request, *args, **kwargs)
        if key and response.status_code == status.HTTP_200_OK:
            catalog_cache.store_response(key, response.data)
        return response

    return read


class CachedListMixin(mixins.ListModelMixin):
    list = cached_read(mixins.ListModelMixin.list)


class CachedRetrieveMixin(mixins.RetrieveModelMixin):
    retrieve = cached_read(mixins.RetrieveModelMixin.retrieve)


class CatalogViewSet(viewsets.GenericViewSet):
    """Catalog reads are public and cached (`cached_read`, marquee/catalog/cache.py); writes
    are admin-only."""

    permission_classes = [IsAdminOrReadOnly]

    def filter_queryset(self, queryset):
        # Query-string filters narrow lists; a detail route finds its object by id alone.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def validated(self, serializer_class, *, instance=None, partial=False) -> dict:
        serializer = serializer_class(
            instance=instance,
            data=self.request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def render(self, instance, *, status_code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(instance).data, status=status_code)


@extend_schema_view(
    list=extend_schema(summary="List genres"),
    create=_write(GenreSerializer, {201: GenreSerializer}, _invalid()),
)
class GenreViewSet(CachedListMixin, CatalogViewSet):
    serializer_class = GenreSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.genre_list()

    def create(self, request):
        data = self.validated(GenreSerializer)
        genre = services.genre_create(name=data["name"], slug=data["slug"])
        return self.render(genre, status_code=status.HTTP_201_CREATED)


POSTER_ERRORS = ("parse_error", "poster_too_large", "poster_invalid_type")


@extend_schema_view(
    list=extend_schema(summary="List movies"),
    retrieve=extend_schema(summary="A movie", responses={200: MovieSerializer, **NOT_FOUND}),
    create=_write(MovieWriteSerializer, {201: MovieSerializer}, _invalid(*POSTER_ERRORS)),
    update=_write(
        MovieWriteSerializer, {200: MovieSerializer}, _invalid(*POSTER_ERRORS), NOT_FOUND
    ),
    partial_update=_write(
        MovieWriteSerializer, {200: MovieSerializer}, _invalid(*POSTER_ERRORS), NOT_FOUND
    ),
    destroy=_write(None, {204: None}, NOT_FOUND, _conflict("movie_in_use")),
)
class MovieViewSet(CachedListMixin, CachedRetrieveMixin, CatalogViewSet):
    serializer_class = MovieSerializer
    filterset_class = MovieFilter

    def get_queryset(self):
        return selectors.movie_list()

    def create(self, request):
        movie = services.movie_create(**self.validated(MovieWriteSerializer))
        return self.render(selectors.movie_get(movie_id=movie.pk), status_code=201)

    def update(self, request, pk=None, partial=False):
        movie = self.get_object()
        data = self.validated(MovieWriteSerializer, instance=movie, partial=partial)
        services.movie_update(movie=movie, **data)
        return self.render(selectors.movie_get(movie_id=movie.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        services.movie_delete(movie=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Upcoming scheduled showtimes of the movie",
        responses={200: ShowtimeSerializer(many=True), **NOT_FOUND},
        filters=False,
    )
    @action(detail=True, methods=["get"], serializer_class=ShowtimeSerializer)
    @cached_read
    def showtimes(self, request, pk=None):
        movie = self.get_object()
        page = self.paginate_queryset(selectors.showtime_upcoming_for_movie(movie_id=movie.pk))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


THEATER_INVALID = _invalid(
    "invalid_timezone", "invalid_currency", "too_many_decimals", "invalid_surcharge"
)


@extend_schema_view(
    retrieve=extend_schema(responses={200: TheaterSerializer, **NOT_FOUND}),
    create=_write(TheaterWriteSerializer, {201: TheaterSerializer}, THEATER_INVALID),
    update=_write(
        TheaterWriteSerializer,
        {200: TheaterSerializer},
        THEATER_INVALID,
        NOT_FOUND,
        _conflict("surcharge_currency_mismatch"),
    ),
    partial_update=_write(
        TheaterWriteSerializer,
        {200: TheaterSerializer},
        THEATER_INVALID,
        NOT_FOUND,
        _conflict("surcharge_currency_mismatch"),
    ),
    destroy=_write(None, {204: None}, NOT_FOUND, _conflict("theater_in_use")),
)
class TheaterViewSet(CachedListMixin, CachedRetrieveMixin, CatalogViewSet):
    serializer_class = TheaterSerializer

    def get_queryset(self):
        return selectors.theater_list()

    def create(self, request):
        theater = services.theater_create(**self.validated(TheaterWriteSerializer))
        return self.render(selectors.theater_get(theater_id=theater.pk), status_code=201)

    def update(self, request, pk=None, partial=False):
        theater = self.get_object()
        data = self.validated(TheaterWriteSerializer, instance=theater, partial=partial)
        services.theater_update(theater=theater, **data)
        return self.render(selectors.theater_get(theater_id=theater.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        services.theater_delete(theater=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


SCREEN_MOVE_CONFLICT = _conflict("surcharge_currency_mismatch")


@extend_schema_view(
    retrieve=extend_schema(responses={200: ScreenSerializer, **NOT_FOUND}),
    create=_write(ScreenWriteSerializer, {201: ScreenSerializer}, _invalid()),
    update=_write(
        ScreenWriteSerializer, {200: ScreenSerializer}, _invalid(), NOT_FOUND, SCREEN_MOVE_CONFLICT
    ),
    partial_update=_write(
        ScreenWriteSerializer, {200: ScreenSerializer}, _invalid(), NOT_FOUND, SCREEN_MOVE_CONFLICT
    ),
    destroy=_write(None, {204: None}, NOT_FOUND, _conflict("screen_in_use")),
)
class ScreenViewSet(CachedListMixin, CachedRetrieveMixin, CatalogViewSet):
    serializer_class = ScreenSerializer
    filterset_class = ScreenFilter

    def get_queryset(self):
        return selectors.screen_list()

    def create(self, request):
        data = self.validated(ScreenWriteSerializer)
        screen = services.screen_create(theater=data["theater"], name=data["name"])
        return self.render(selectors.screen_get(screen_id=screen.pk), status_code=201)

    def update(self, request, pk=None, partial=False):
        screen = self.get_object()
        data = self.validated(ScreenWriteSerializer, instance=screen, partial=partial)
        services.screen_update(screen=screen, **data)
        return self.render(selectors.screen_get(screen_id=screen.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        services.screen_delete(screen=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The seats of a screen, front row first",
        responses={200: ScreenSeatSerializer(many=True), **NOT_FOUND},
        filters=False,
    )
    @action(
        detail=True, methods=["get"], serializer_class=ScreenSeatSerializer, pagination_class=None
    )
    @cached_read
    def seats(self, request, pk=None):
        screen = self.get_object()
        seats = selectors.seat_list(screen_id=screen.pk)
        return Response(self.get_serializer(seats, many=True).data)

    @extend_schema(summary="Regenerate the seats of a screen (admin)")
    @_write(
        SeatGenerationSerializer,
        {201: SeatGenerationResultSerializer},
        _invalid("invalid_seat_layout"),
        NOT_FOUND,
        _conflict("seats_in_use"),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="seats/generate",
        url_name="seats-generate",
        serializer_class=SeatGenerationSerializer,
    )
    def generate_seats(self, request, pk=None):
        screen = self.get_object()
        data = self.validated(SeatGenerationSerializer)
        seats = services.seats_generate(screen=screen, **data)
        result = {"screen": screen.pk, "seat_count": len(seats), "seats": seats}
        return Response(SeatGenerationResultSerializer(result).data, status=201)


SCHEDULING_INVALID = _invalid(
    "showtime_in_past",
    "showtime_too_far_ahead",
    "invalid_currency",
    "too_many_decimals",
    "price_card_mismatch",
)
SCHEDULING_CONFLICT = _conflict(
    "showtime_overlap", "screen_has_no_seats", "surcharge_currency_mismatch"
)


@extend_schema_view(
    list=extend_schema(summary="Scheduled showtimes, earliest first (upcoming unless asked)"),
    retrieve=extend_schema(responses={200: ShowtimeSerializer, **NOT_FOUND}),
    create=_write(
        ShowtimeCreateSerializer, {201: ShowtimeSerializer}, SCHEDULING_INVALID, SCHEDULING_CONFLICT
    ),
    partial_update=_write(
        ShowtimeUpdateSerializer,
        {200: ShowtimeSerializer},
        SCHEDULING_INVALID,
        NOT_FOUND,
        SCHEDULING_CONFLICT,
    ),
)
class ShowtimeViewSet(CachedListMixin, CachedRetrieveMixin, CatalogViewSet):
    serializer_class = ShowtimeSerializer
    # `?format=` filters by showtime format (3d, imax) here, not by renderer.
    content_negotiation_class = FormatFilterNegotiation
    filterset_class = ShowtimeFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.showtime_list()

    def create(self, request):
        showtime = services.showtime_schedule(**self.validated(ShowtimeCreateSerializer))
        return self.render(showtime, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        showtime = self.get_object()
        data = self.validated(ShowtimeUpdateSerializer, partial=True)
        return self.render(
            services.showtime_update(showtime=showtime, changed_by=request.user, **data)
        )

    @extend_schema(summary="Cancel a showtime (admin); its bookings are cancelled with it")
    @_write(None, {200: ShowtimeSerializer}, NOT_FOUND)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        showtime = self.get_object()
        return self.render(services.showtime_cancel(showtime=showtime, cancelled_by=request.user))


STAFF_ONLY = {
    401: _error("Not authenticated.", "not_authenticated", "authentication_failed"),
    403: _error("Only staff change ticket types and price cards.", "permission_denied"),
}


def _staff_write(request, responses: dict, *errors: dict) -> dict:
    merged = dict(responses)
    for error in (*errors, STAFF_ONLY):
        merged.update(error)
    return extend_schema(request=request, responses=merged)


@extend_schema_view(
    list=extend_schema(summary="Ticket types (shared and each theater's own)"),
    create=_staff_write(
        TicketTypeSerializer,
        {201: TicketTypeSerializer},
        _invalid(),
        _conflict("ticket_type_exists"),
    ),
)
class TicketTypeViewSet(mixins.ListModelMixin, CatalogViewSet):
    serializer_class = TicketTypeSerializer
    permission_classes = [IsStaffOrReadOnly]
    pagination_class = None

    def get_queryset(self):
        return TicketType.objects.all()

    def create(self, request):
        ticket_type = services.ticket_type_create(**self.validated(TicketTypeSerializer))
        return self.render(ticket_type, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Price cards of the theaters"),
    retrieve=extend_schema(responses={200: PriceCardSerializer, **NOT_FOUND}),
    create=_staff_write(
        PriceCardWriteSerializer,
        {201: PriceCardSerializer},
        _invalid("invalid_currency", "too_many_decimals", "ticket_type_unknown"),
    ),
    partial_update=_staff_write(
        PriceCardUpdateSerializer,
        {200: PriceCardSerializer},
        _invalid("too_many_decimals", "ticket_type_unknown"),
        NOT_FOUND,
    ),
)
class PriceCardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CatalogViewSet):
    serializer_class = PriceCardSerializer
    permission_classes = [IsStaffOrReadOnly]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return PriceCard.objects.prefetch_related(
            "entries__ticket_type", "entries__price_card", "format_surcharges__price_card"
        )

    def create(self, request):
        price_card = services.price_card_create(**self.validated(PriceCardWriteSerializer))
        return self.render(self.get_queryset().get(pk=price_card.pk), status_code=201)

    def partial_update(self, request, pk=None):
        price_card = self.get_object()
        services.price_card_update(
            price_card=price_card, **self.validated(PriceCardUpdateSerializer, partial=True)
        )
        return self.render(self.get_queryset().get(pk=price_card.pk))
