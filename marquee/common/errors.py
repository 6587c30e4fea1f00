"""One way to fail: every 4xx is `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ApplicationError(exceptions.APIException):
    """A domain rule refused the request; `code` is stable and machine-readable."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_request"
    default_detail = "The request was refused."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=message or self.default_detail, code=code or self.default_code)
        if status_code is not None:
            self.status_code = status_code
        self.code = code or self.default_code
        self.message = str(message or self.default_detail)
        self.details = details or {}


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found."


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


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
        exc = ApplicationError(
            "The service is briefly unavailable; try again.",
            code="database_unavailable",
            status_code=503,
            details={"retry_after_seconds": 5},
        )
    elif isinstance(exc, RequestDataTooBig):
        exc = ApplicationError(
            "The request body is too large.", code="payload_too_large", status_code=413
        )
    elif isinstance(exc, SuspiciousOperation):
        exc = ApplicationError(str(exc) or "Bad request.", code="bad_request")
    elif isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, ApplicationError):
        response.data = error_body(exc.code, exc.message, exc.details)
        if exc.status_code == 503:
            response["Retry-After"] = str(exc.details.get("retry_after_seconds", 5))
        return response
    if isinstance(exc, exceptions.ValidationError):
        details = _as_plain(exc.detail)
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


def _as_plain(detail: Any) -> Any:
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
