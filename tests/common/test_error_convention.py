"""One way to fail: domain errors are plain exceptions with a code from their app's enum, and
one table in marquee/common/errors.py turns a code into an HTTP status."""

import re
from enum import StrEnum
from pathlib import Path

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from marquee.accounts.error_codes import AccountsErrorCode
from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.errors import BookingError, SeatsUnavailable
from marquee.catalog.error_codes import CatalogErrorCode
from marquee.common.errors import HTTP_STATUS, CommonErrorCode, DomainError, http_status
from marquee.live.error_codes import LiveErrorCode
from marquee.payments.error_codes import PaymentErrorCode
from marquee.reports.error_codes import ReportErrorCode
from marquee.staff.boxoffice_error_codes import BoxOfficeErrorCode
from marquee.tickets.error_codes import TicketErrorCode
from marquee.waitlist.error_codes import WaitlistErrorCode

ENUMS: list[type[StrEnum]] = [
    CommonErrorCode,
    AccountsErrorCode,
    BookingErrorCode,
    CatalogErrorCode,
    LiveErrorCode,
    PaymentErrorCode,
    ReportErrorCode,
    TicketErrorCode,
    BoxOfficeErrorCode,
    WaitlistErrorCode,
]
PACKAGE = Path(__file__).resolve().parents[2] / "marquee"


def test_a_domain_error_knows_nothing_about_http():
    error = SeatsUnavailable([3, 1])

    assert not hasattr(error, "status_code")
    assert not any(cls.__module__.startswith("rest_framework") for cls in type(error).__mro__)
    assert (error.code, error.details) == ("seats_unavailable", {"seat_ids": [1, 3]})


def test_the_status_of_a_code_comes_from_the_one_table():
    assert http_status(SeatsUnavailable([1])) == 409
    assert http_status(BookingError("x", code=BookingErrorCode.BOOKING_NOT_FOUND)) == 404
    assert http_status(DomainError("x", code=PaymentErrorCode.PAYMENT_DECLINED)) == 402
    assert http_status(DomainError("x", code=BookingErrorCode.DUPLICATE_SEATS)) == 400


def test_no_enum_gives_one_code_two_names():
    for enum in ENUMS:
        values = [member.value for member in enum.__members__.values()]
        assert len(values) == len(set(values)), enum


def test_every_code_in_the_status_table_belongs_to_an_app_enum():
    known = {member.value for enum in ENUMS for member in enum}
    assert set(HTTP_STATUS) <= known


def test_no_raise_site_passes_an_http_status():
    """The status is the table's business: no `status_code=` next to a domain error's code."""
    offenders = []
    for source in PACKAGE.rglob("*.py"):
        text = source.read_text()
        for match in re.finditer(r"code=[^\n]*\n?[^\n]*status_code=\s*(\d+|status\.)", text):
            offenders.append(f"{source.relative_to(PACKAGE)}: {match.group(0)!r}")
        if re.search(r"\b(ApplicationError|Conflict|NotFound)\(", text) and source.name not in {
            "errors.py",
            "openapi.py",
        }:
            offenders.append(f"{source.relative_to(PACKAGE)}: raises an old error name")
    assert offenders == []


class _Refuses(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request, code):
        if code == "ok":
            return Response({})
        raise DomainError("Refused.", code=code, details={"why": code})


urlpatterns = [path("refuses/<str:code>/", _Refuses.as_view())]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("code", "status"),
    [("seats_unavailable", 409), ("payment_declined", 402), ("no_such_code_here", 400)],
)
def test_the_handler_answers_a_domain_error_in_the_one_shape(api_client, code, status):
    response = api_client.get(f"/refuses/{code}/")

    assert response.status_code == status
    assert response.json() == {
        "error": {"code": code, "message": "Refused.", "details": {"why": code}}
    }


@pytest.mark.urls(__name__)
def test_a_503_code_says_when_to_retry(api_client):
    response = api_client.get("/refuses/provider_unavailable/")

    assert (response.status_code, response["Retry-After"]) == (503, "5")
