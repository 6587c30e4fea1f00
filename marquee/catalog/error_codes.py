"""The catalog's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class CatalogErrorCode(StrEnum):
    INVALID_TIMEZONE = "invalid_timezone"
    POSTER_TOO_LARGE = "poster_too_large"
    POSTER_INVALID_TYPE = "poster_invalid_type"
    INVALID_SEAT_LAYOUT = "invalid_seat_layout"
    SEATS_IN_USE = "seats_in_use"
    SCREEN_HAS_NO_SEATS = "screen_has_no_seats"
    SHOWTIME_IN_PAST = "showtime_in_past"
    SHOWTIME_OVERLAP = "showtime_overlap"
    SHOWTIME_TOO_FAR_AHEAD = "showtime_too_far_ahead"
    SHOWTIME_CANCELLED = "showtime_cancelled"
    MOVIE_IN_USE = "movie_in_use"
    THEATER_IN_USE = "theater_in_use"
    SCREEN_IN_USE = "screen_in_use"
    INVALID_CURRENCY = "invalid_currency"
    TOO_MANY_DECIMALS = "too_many_decimals"
    INVALID_SURCHARGE = "invalid_surcharge"
    SURCHARGE_CURRENCY_MISMATCH = "surcharge_currency_mismatch"
    TICKET_TYPE_EXISTS = "ticket_type_exists"
    TICKET_TYPE_UNKNOWN = "ticket_type_unknown"
    PRICE_CARD_MISMATCH = "price_card_mismatch"
