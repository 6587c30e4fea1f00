"""One way to fail: every 4xx is `{"error": {"code", "message", "details"}}`.

Services raise `DomainError` (plain exceptions with a code from their app's enum); the status
each code is answered with lives in `HTTP_STATUS` below, the only place codes meet HTTP.

A field-level message in `details` is always a `FieldError`, `{"code", "message"}`, in a list
under the field's name: `{"seats": [{"code": "required", "message": "..."}]}`. The handler
builds them from DRF's validation errors (nested serializers stay objects, list items keep their
index: `{"seats": {"2": [...]}}`); a service refusing one field builds them with `field_errors`."""

from __future__ import annotations

import logging
import math
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from marquee.accounts.error_codes import AccountsErrorCode
from marquee.booking.error_codes import BookingErrorCode
from marquee.catalog.error_codes import CatalogErrorCode
from marquee.live.error_codes import LiveErrorCode
from marquee.payments.error_codes import PaymentErrorCode
from marquee.reports.error_codes import ReportErrorCode
from marquee.staff.boxoffice_error_codes import BoxOfficeErrorCode
from marquee.tickets.error_codes import TicketErrorCode
from marquee.waitlist.error_codes import WaitlistErrorCode

logger = logging.getLogger(__name__)


class CommonErrorCode(StrEnum):
    """Codes any app may raise, and the ones this module's handler produces itself."""

    INVALID = "invalid"
    INVALID_REQUEST = "invalid_request"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PARSE_ERROR = "parse_error"
    JSON_TOO_DEEP = "json_too_deep"
    NULL_CHARACTER = "null_character"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    DATABASE_UNAVAILABLE = "database_unavailable"
    # A role check inside a service (e.g. only staff sell at the box office).
    PERMISSION_DENIED = "permission_denied"


class DomainError(Exception):
    """A domain rule refused the request: a stable `code` from its app's enum, a `message` for
    people and `details` for programs. It knows nothing about HTTP (see `HTTP_STATUS`)."""

    default_code: str = CommonErrorCode.INVALID_REQUEST
    default_message: str = "The request was refused."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, details: Any = None
    ) -> None:
        self.code = str(code or self.default_code)
        self.message = str(message or self.default_message)
        self.details = details or {}
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


# The one place a code meets HTTP. A code not listed here is a 400.
HTTP_STATUS: dict[str, int] = {
    CommonErrorCode.NOT_FOUND: 404,
    CommonErrorCode.CONFLICT: 409,
    CommonErrorCode.PAYLOAD_TOO_LARGE: 413,
    CommonErrorCode.DATABASE_UNAVAILABLE: 503,
    CommonErrorCode.PERMISSION_DENIED: 403,
    AccountsErrorCode.ROLE_CHANGE_FORBIDDEN: 403,
    AccountsErrorCode.LAST_ADMIN: 409,
    CatalogErrorCode.SEATS_IN_USE: 409,
    CatalogErrorCode.SCREEN_HAS_NO_SEATS: 409,
    CatalogErrorCode.SHOWTIME_OVERLAP: 409,
    CatalogErrorCode.SHOWTIME_CANCELLED: 409,
    CatalogErrorCode.MOVIE_IN_USE: 409,
    CatalogErrorCode.THEATER_IN_USE: 409,
    CatalogErrorCode.SCREEN_IN_USE: 409,
    CatalogErrorCode.SURCHARGE_CURRENCY_MISMATCH: 409,
    CatalogErrorCode.TICKET_TYPE_EXISTS: 409,
    BookingErrorCode.SHOWTIME_NOT_FOUND: 404,
    BookingErrorCode.BOOKING_NOT_FOUND: 404,
    BookingErrorCode.SHOWTIME_CANCELLED: 409,
    BookingErrorCode.SHOWTIME_STARTED: 409,
    BookingErrorCode.SHOWTIME_HAS_BOOKINGS: 409,
    BookingErrorCode.SEATS_UNAVAILABLE: 409,
    BookingErrorCode.SEATS_BUSY: 409,
    BookingErrorCode.HOLD_LIMIT_REACHED: 409,
    BookingErrorCode.NO_ADJACENT_SEATS: 409,
    BookingErrorCode.NOT_ENOUGH_SEATS: 409,
    BookingErrorCode.CANCELLATION_CLOSED: 409,
    BookingErrorCode.BOOKING_NOT_CANCELLABLE: 409,
    BookingErrorCode.IDEMPOTENCY_IN_PROGRESS: 409,
    BookingErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    BookingErrorCode.BOOKING_NOT_PENDING: 409,
    BookingErrorCode.PAYMENT_IN_PROGRESS: 409,
    BookingErrorCode.VOUCHER_EXHAUSTED: 409,
    BookingErrorCode.VOUCHER_USER_LIMIT: 409,
    BookingErrorCode.VOUCHER_ALREADY_APPLIED: 409,
    BookingErrorCode.VOUCHER_CODE_TAKEN: 409,
    BookingErrorCode.VOUCHER_NOT_FOUND: 404,
    BookingErrorCode.VOUCHER_LIMIT_BELOW_REDEEMED: 409,
    BookingErrorCode.COMPANION_REQUIRES_WHEELCHAIR: 409,
    BookingErrorCode.NO_ACCESSIBLE_SEATS: 409,
    BookingErrorCode.TICKETS_NOT_ACTIVE: 409,
    BookingErrorCode.REFUND_OVERRIDE_NOT_ALLOWED: 403,
    PaymentErrorCode.PAYMENT_DECLINED: 402,
    PaymentErrorCode.BOOKING_NOT_PAYABLE: 409,
    PaymentErrorCode.ALREADY_PAID: 409,
    PaymentErrorCode.HOLD_EXPIRED: 409,
    PaymentErrorCode.SEATS_LOST: 409,
    PaymentErrorCode.AMOUNT_NOT_CHARGEABLE: 422,
    PaymentErrorCode.PAYMENT_PROCESSING: 503,
    PaymentErrorCode.PROVIDER_UNAVAILABLE: 503,
    PaymentErrorCode.TILL_NOT_FOUND: 404,
    PaymentErrorCode.TILL_CLOSED: 409,
    ReportErrorCode.SCREEN_NOT_FOUND: 404,
    ReportErrorCode.THEATER_NOT_FOUND: 404,
    BoxOfficeErrorCode.SALE_NOT_FOUND: 404,
    BoxOfficeErrorCode.SALE_NOT_CONFIRMED: 409,
    BoxOfficeErrorCode.NOT_A_BOX_OFFICE_SALE: 409,
    PaymentErrorCode.REFUND_EXCEEDS_PAYMENT: 409,
    TicketErrorCode.TICKET_NOT_FOUND: 404,
    TicketErrorCode.TICKET_NOT_VALID: 409,
    TicketErrorCode.SHOWTIME_CANCELLED: 409,
    TicketErrorCode.WRONG_DAY: 409,
    TicketErrorCode.ALREADY_CHECKED_IN: 409,
    TicketErrorCode.BOOKING_NOT_CONFIRMED: 409,
    TicketErrorCode.WRONG_SHOWTIME: 409,
    TicketErrorCode.WRONG_SCREEN: 409,
    TicketErrorCode.NOT_CHECKED_IN: 409,
    TicketErrorCode.REENTRY_NOT_ALLOWED: 409,
    TicketErrorCode.NONCE_REUSED: 409,
    TicketErrorCode.SCAN_NOT_FOUND: 404,
    TicketErrorCode.UNDO_WINDOW_PASSED: 409,
    TicketErrorCode.UNDO_NOT_LATEST: 409,
    TicketErrorCode.SCAN_NOT_UNDOABLE: 409,
    TicketErrorCode.SHOWTIME_NOT_FOUND: 404,
    LiveErrorCode.LIVE_FULL: 503,
    LiveErrorCode.LIVE_UNAVAILABLE: 503,
    LiveErrorCode.LIVE_NEEDS_ASGI: 421,
    LiveErrorCode.METHOD_NOT_ALLOWED: 405,
    WaitlistErrorCode.SEATS_AVAILABLE: 409,
    WaitlistErrorCode.ALREADY_ON_WAITLIST: 409,
    WaitlistErrorCode.NOT_ON_WAITLIST: 404,
}


def http_status(error: DomainError) -> int:
    """The HTTP status a domain error is answered with."""
    status = HTTP_STATUS.get(error.code)
    if status is None:
        status = getattr(error, "legacy_status", None) or 400
    return status


# --- Compatibility: the names before the convention above -------------------------------------
# New code raises DomainError (or its app's subclass) with a code from the app's enum, and lists
# a code that is not a 400 in HTTP_STATUS. These names keep older raise sites working; a code
# HTTP_STATUS does not list keeps the status of the class it was raised with.

ApplicationError = DomainError


class NotFound(DomainError):
    default_code = CommonErrorCode.NOT_FOUND
    default_message = "Not found."
    legacy_status = 404


class Conflict(DomainError):
    default_code = CommonErrorCode.CONFLICT
    default_message = "The request conflicts with the current state."
    legacy_status = 409


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


FieldError = dict[str, str]


def field_error(message: str, *, code: str) -> FieldError:
    """One field-level message with its stable code, as `details` carries it."""
    return {"code": str(code), "message": str(message)}


def field_errors(field: str, message: str, *, code: str) -> dict[str, list[FieldError]]:
    """`details` for a refusal of one field, in the shape DRF's validation errors get."""
    return {field: [field_error(message, code=code)]}


def field_messages(details: Any, field: str) -> list[str]:
    """The messages `details` holds for `field` (pages show them beside the field)."""
    errors = details.get(field, []) if isinstance(details, dict) else []
    return [error["message"] for error in errors if isinstance(error, dict) and "message" in error]


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, exceptions.ErrorDetail):
        return detail.code
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_code(next(iter(detail.values())))
    return None


def exception_handler(exc: Exception, context: dict[str, Any]):
    """Render every error DRF sees in the one error shape."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable or overloaded: a clear "try again", not a crash page.
        logger.error("database unavailable", exc_info=exc)
        exc = DomainError(
            "The service is briefly unavailable; try again.",
            code=CommonErrorCode.DATABASE_UNAVAILABLE,
            details={"retry_after_seconds": 5},
        )
    elif isinstance(exc, RequestDataTooBig):
        exc = DomainError("The request body is too large.", code=CommonErrorCode.PAYLOAD_TOO_LARGE)
    elif isinstance(exc, SuspiciousOperation):
        exc = DomainError(str(exc) or "Bad request.", code=CommonErrorCode.BAD_REQUEST)
    elif isinstance(exc, Http404):
        exc = DomainError("Not found.", code=CommonErrorCode.NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, DomainError):
        set_rollback()
        response = Response(error_body(exc.code, exc.message, exc.details), status=http_status(exc))
        if response.status_code == 503:
            response["Retry-After"] = str(exc.details.get("retry_after_seconds", 5))
        return response

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        details = _with_codes(exc.detail)
        if not isinstance(details, dict):  # e.g. a filter's own ValidationError(["..."])
            details = {api_settings.NON_FIELD_ERRORS_KEY: details}
        response.data = error_body("invalid", "The request is invalid; see details.", details)
        return response

    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = getattr(exc, "default_code", "error")
    message = str(detail)
    details: dict[str, Any] = {}
    if isinstance(detail, dict):
        # SimpleJWT puts its own code and messages in a dict.
        code = str(detail.get("code", _first_code(detail) or code))
        message = str(detail.get("detail", message))
        details = {k: _as_plain(v) for k, v in detail.items() if k not in {"code", "detail"}}
    elif isinstance(detail, exceptions.ErrorDetail) and detail.code:
        code = detail.code
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        retry_after = max(1, math.ceil(exc.wait))
        details["retry_after_seconds"] = retry_after
        response["Retry-After"] = str(retry_after)
    response.data = error_body(code, message, details)
    return response


def _with_codes(detail: Any) -> Any:
    """DRF's validation detail with each message a `FieldError`, its dicts and lists kept as
    they are (DRF keys a list's item errors by the item's index)."""
    if isinstance(detail, dict):
        return {str(key): _with_codes(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_with_codes(value) for value in detail]
    code = getattr(detail, "code", None) or CommonErrorCode.INVALID
    return field_error(str(detail), code=code)


def _as_plain(detail: Any) -> Any:
    """Other errors' extra keys (SimpleJWT's `messages`) as plain JSON, strings unchanged."""
    if isinstance(detail, dict):
        return {str(k): _as_plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_as_plain(v) for v in detail]
    return str(detail)


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def json_server_error(request):
    return JsonResponse(error_body("server_error", "Internal server error."), status=500)


def json_bad_request(request, exception=None):
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)


def json_permission_denied(request, exception=None):
    return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
