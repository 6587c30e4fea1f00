import pytest
from django.test import Client
from rest_framework.test import APIClient

from marquee.accounts.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def admin_site(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def _change_form(user, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "is_active": "on",
    }
    return {**data, **changes}


def test_admin_user_changelist_shows_roles(admin_site, admin_user):
    UserFactory(username="usher", role="staff")

    response = admin_site.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "usher" in content
    assert "Staff" in content
    assert admin_user.username in content


def test_admin_user_changelist_filters_by_role(admin_site):
    UserFactory(username="usher", role="staff")
    UserFactory(username="popcornfan", role="customer")

    response = admin_site.get(CHANGELIST, {"role__exact": "staff"})

    assert response.status_code == 200
    assert [u.username for u in response.context["cl"].result_list] == ["usher"]


def test_admin_user_changelist_searches_email(admin_site):
    UserFactory(username="usher", email="door@example.com")

    response = admin_site.get(CHANGELIST, {"q": "door@"})

    assert [u.username for u in response.context["cl"].result_list] == ["usher"]


def test_admin_user_add_and_change_pages_load(admin_site, customer):
    assert admin_site.get(f"{CHANGELIST}add/").status_code == 200
    response = admin_site.get(f"{CHANGELIST}{customer.pk}/change/")
    assert response.status_code == 200
    assert 'name="role"' in response.content.decode()


def test_admin_adds_a_staff_user(admin_site):
    response = admin_site.post(
        f"{CHANGELIST}add/",
        {
            "username": "newusher",
            "email": "newusher@example.com",
            "role": "staff",
            "usable_password": "true",
            "password1": "Projector-Bulb-77",
            "password2": "Projector-Bulb-77",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="newusher").role == Role.STAFF


def test_admin_changes_a_role_in_the_form(admin_site, customer):
    response = admin_site.post(
        f"{CHANGELIST}{customer.pk}/change/", _change_form(customer, role="staff")
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.role == Role.STAFF


def test_admin_form_refuses_to_demote_the_last_admin(admin_site, admin_user):
    response = admin_site.post(
        f"{CHANGELIST}{admin_user.pk}/change/", _change_form(admin_user, role="customer")
    )

    assert response.status_code == 200  # the form again, with the error
    assert "last active administrator" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_customers_and_staff_cannot_open_the_admin(customer, staff_user):
    for user in (customer, staff_user):
        client = Client()
        client.force_login(user)
        assert client.get(CHANGELIST).status_code == 302  # to the admin login page


# --- The admin's login form: the same lockout and limits as the API login ----------------------

ADMIN_LOGIN = "/admin/login/"


def _admin_login(username: str, password: str, *, address: str):
    return Client(REMOTE_ADDR=address).post(
        ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"}
    )


def test_failures_at_the_admin_login_lock_only_the_address_that_made_them(admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        _admin_login(admin_user.username, "Wrong-password-1", address="10.0.4.1")

    locked = _admin_login(admin_user.username, "Sup3r-secret-pass", address="10.0.4.1")
    owner = _admin_login(admin_user.username, "Sup3r-secret-pass", address="10.0.4.2")

    assert locked.status_code == 429
    assert owner.status_code == 302 and owner["Location"] == "/admin/"


def test_the_admin_login_form_is_throttled_per_username_from_any_address(
    admin_user, throttle_rates
):
    throttle_rates(login_ip="100/min", login_username="3/hour")
    for n in range(3):
        response = _admin_login(admin_user.username, "Wrong-password-1", address=f"10.0.5.{n}")
        assert response.status_code == 200  # the form again, with its error

    response = _admin_login(admin_user.username, "Sup3r-secret-pass", address="10.0.5.9")

    assert response.status_code == 429
    assert response["Retry-After"] == str(3600 - 15)
    # The API login counts in the same window.
    api = APIClient().post(
        "/api/auth/login/",
        {"username": admin_user.username, "password": "Sup3r-secret-pass"},
        REMOTE_ADDR="10.0.5.10",
    )
    assert api.status_code == 429


def test_the_admin_login_form_is_throttled_per_address(admin_user, throttle_rates):
    throttle_rates(login_ip="2/min", login_username="100/hour")
    for n in range(2):
        _admin_login(f"guess{n}", "Wrong-password-1", address="10.0.6.1")

    assert _admin_login(admin_user.username, "x", address="10.0.6.1").status_code == 429
    assert Client(REMOTE_ADDR="10.0.6.1").get(ADMIN_LOGIN).status_code == 200  # GETs are free
