import pytest

from tests.errors import field_codes

pytestmark = pytest.mark.django_db

REPORTS = [
    "/api/reports/sales/",
    "/api/reports/occupancy/",
    "/api/reports/sales/ticket-types/",
    "/api/reports/sales/vouchers/",
    "/api/reports/refunds/reasons/",
]


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize("format", ["json", "csv"])
def test_anonymous_callers_get_401_in_the_error_shape(api_client, url, format):
    response = api_client.get(url, {"format": format})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("url", REPORTS)
def test_customers_and_staff_get_403(customer_client, staff_client, url):
    for client in (customer_client, staff_client):
        response = client.get(url, {"format": "csv"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("url", REPORTS)
def test_admins_may_read_reports(admin_client_api, url):
    assert admin_client_api.get(url).status_code == 200


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize(
    ("params", "code", "field", "field_code"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, "invalid_range", None, None),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "range_too_large", None, None),
        ({"from": "2026-02-30"}, "invalid", "from", "invalid"),
        ({"to": "yesterday"}, "invalid", "to", "invalid"),
        ({"from": "2026-03-01T10:00:00"}, "invalid", "from", "invalid"),
        ({"format": "xml"}, "invalid", "format", "invalid_choice"),
    ],
)
def test_bad_parameters_are_400_with_a_stable_code(
    admin_client_api, url, params, code, field, field_code
):
    response = admin_client_api.get(url, params)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if field:
        assert list(field_codes(response)) == [field]
        assert field_codes(response)[field] == [field_code]


def test_an_unknown_grouping_is_400_invalid(admin_client_api):
    response = admin_client_api.get("/api/reports/sales/", {"group_by": "week"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field_codes(response) == {"group_by": ["invalid_choice"]}


def test_the_range_errors_say_which_range_was_refused(admin_client_api):
    error = admin_client_api.get(
        "/api/reports/sales/", {"from": "2025-01-01", "to": "2026-01-02"}
    ).json()["error"]

    assert error["details"] == {"from": "2025-01-01", "to": "2026-01-02", "max_days": 366}


@pytest.mark.parametrize("url", REPORTS)
def test_366_days_is_the_longest_range(admin_client_api, url):
    response = admin_client_api.get(url, {"from": "2024-01-01", "to": "2024-12-31"})

    assert response.status_code == 200


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize(
    "params",
    [
        {"from": "0001-01-01", "to": "0001-01-05"},
        {"to": "0001-01-03"},
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "", "to": "", "group_by": ""},
    ],
)
def test_dates_at_the_edges_of_the_calendar_are_not_a_500(admin_client_api, url, params):
    assert admin_client_api.get(url, params).status_code == 200
