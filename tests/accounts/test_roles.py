import threading

import pytest
from django.db import connection

from marquee.accounts import services
from marquee.accounts.models import Role, User
from marquee.common.errors import ApplicationError, http_status
from tests.accounts.helpers import USERS_URL, bearer_client, error_code, role_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- Listing accounts -----------------------------------------------------------------------


def test_user_list_is_for_admins_only(api_client, customer_client, staff_client, admin_client_api):
    anonymous = api_client.get(USERS_URL)
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
    assert customer_client.get(USERS_URL).status_code == 403
    assert staff_client.get(USERS_URL).status_code == 403
    assert admin_client_api.get(USERS_URL).status_code == 200


def test_user_list_is_paginated(admin_client_api):
    UserFactory.create_batch(4)

    response = admin_client_api.get(USERS_URL, {"page_size": 2})

    body = response.json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"]
    assert set(body["results"][0]) >= {"id", "username", "email", "role", "is_active"}


def test_user_list_filters_by_role(admin_client_api, admin_user):
    UserFactory.create_batch(2, role="staff")
    UserFactory(role="customer")

    response = admin_client_api.get(USERS_URL, {"role": "staff"})

    assert [u["role"] for u in response.json()["results"]] == ["staff", "staff"]


def test_user_list_rejects_an_unknown_role_filter(admin_client_api):
    response = admin_client_api.get(USERS_URL, {"role": "emperor"})

    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_user_list_searches_username_email_and_names(admin_client_api):
    UserFactory(username="hitchcock", email="alfred@example.com")
    UserFactory(username="kubrick", email="stanley@example.com", first_name="Stanley")

    by_username = admin_client_api.get(USERS_URL, {"search": "hitch"}).json()["results"]
    by_email = admin_client_api.get(USERS_URL, {"search": "alfred@"}).json()["results"]
    by_name = admin_client_api.get(USERS_URL, {"search": "stanley"}).json()["results"]

    assert [u["username"] for u in by_username] == ["hitchcock"]
    assert [u["username"] for u in by_email] == ["hitchcock"]
    assert [u["username"] for u in by_name] == ["kubrick"]


def test_user_list_query_count_does_not_grow_with_the_page(
    admin_client_api, django_assert_max_num_queries
):
    UserFactory.create_batch(15)

    with django_assert_max_num_queries(2):  # count + page
        response = admin_client_api.get(USERS_URL)

    assert len(response.json()["results"]) == 16


def test_user_list_with_a_page_out_of_range_is_404(admin_client_api):
    response = admin_client_api.get(USERS_URL, {"page": 99})

    assert response.status_code == 404
    assert error_code(response) == "not_found"


# --- Changing roles -------------------------------------------------------------------------


def test_admin_promotes_a_customer_to_staff(admin_client_api, customer):
    response = admin_client_api.patch(role_url(customer.pk), {"role": "staff"})

    assert response.status_code == 200
    assert response.json()["role"] == "staff"
    customer.refresh_from_db()
    assert customer.role == Role.STAFF


def test_promoting_to_admin_grants_the_django_admin_flags(admin_client_api, customer):
    admin_client_api.patch(role_url(customer.pk), {"role": "admin"})

    customer.refresh_from_db()
    assert customer.is_staff
    assert customer.is_superuser


def test_role_change_is_refused_to_non_admins(
    api_client, customer_client, staff_client, staff_user
):
    target = UserFactory()

    assert api_client.patch(role_url(target.pk), {"role": "admin"}).status_code == 401
    assert customer_client.patch(role_url(target.pk), {"role": "admin"}).status_code == 403
    assert staff_client.patch(role_url(target.pk), {"role": "admin"}).status_code == 403
    assert staff_client.patch(role_url(staff_user.pk), {"role": "admin"}).status_code == 403
    target.refresh_from_db()
    assert target.role == Role.CUSTOMER


@pytest.mark.parametrize("user_id", [999_999, 2**63, 10**30])
def test_role_change_for_an_unknown_user_is_404(admin_client_api, user_id):
    response = admin_client_api.patch(role_url(user_id), {"role": "staff"})

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_role_change_with_a_non_numeric_id_is_404(admin_client_api):
    assert admin_client_api.patch("/api/auth/users/abc/role/", {"role": "staff"}).status_code == 404


@pytest.mark.parametrize(
    "body", [{"role": "emperor"}, {}, {"role": ["admin"]}, {"role": None}, ["admin"]]
)
def test_role_change_rejects_an_unknown_or_missing_role(admin_client_api, customer, body):
    response = admin_client_api.patch(role_url(customer.pk), body, format="json")

    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_the_last_admin_cannot_be_demoted(admin_client_api, admin_user):
    response = admin_client_api.patch(role_url(admin_user.pk), {"role": "customer"})

    assert response.status_code == 409
    assert error_code(response) == "last_admin"
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_an_admin_can_be_demoted_while_another_remains(admin_client_api, admin_user):
    other = UserFactory(role="admin")

    response = admin_client_api.patch(role_url(other.pk), {"role": "staff"})

    assert response.status_code == 200
    other.refresh_from_db()
    assert (other.role, other.is_superuser) == (Role.STAFF, False)


def test_an_admin_may_step_down_when_another_admin_remains(admin_client_api, admin_user):
    UserFactory(role="admin")

    assert admin_client_api.patch(role_url(admin_user.pk), {"role": "customer"}).status_code == 200


def test_inactive_admins_do_not_count_as_remaining_admins(admin_client_api, admin_user):
    UserFactory(role="admin", is_active=False)

    response = admin_client_api.patch(role_url(admin_user.pk), {"role": "customer"})

    assert response.status_code == 409
    assert error_code(response) == "last_admin"


def test_setting_the_same_role_again_is_harmless(admin_client_api, admin_user):
    assert admin_client_api.patch(role_url(admin_user.pk), {"role": "admin"}).status_code == 200


def test_a_role_change_applies_to_the_users_next_request(admin_client_api):
    member = UserFactory()
    client = bearer_client(member)
    assert client.get(USERS_URL).status_code == 403

    admin_client_api.patch(role_url(member.pk), {"role": "admin"})
    assert client.get(USERS_URL).status_code == 200

    admin_client_api.patch(role_url(member.pk), {"role": "customer"})
    assert client.get(USERS_URL).status_code == 403
    assert client.get("/api/auth/me/").json()["role"] == "customer"


def test_user_set_role_refuses_an_actor_who_is_not_admin(staff_user, customer):
    with pytest.raises(ApplicationError) as caught:
        services.user_set_role(user=customer, role=Role.STAFF, actor=staff_user)

    assert http_status(caught.value) == 403
    customer.refresh_from_db()
    assert customer.role == Role.CUSTOMER


def test_user_set_role_refuses_an_unknown_role(admin_user, customer):
    with pytest.raises(ApplicationError) as caught:
        services.user_set_role(user=customer, role="emperor", actor=admin_user)

    assert caught.value.code == "invalid"


def _concurrently(*changes: tuple[int, int]) -> list[str]:
    """Run user_set_role(target -> customer, by actor) for each (target, actor) pk at once."""
    start = threading.Barrier(len(changes))
    outcomes: list[str] = []

    def demote(target_pk: int, actor_pk: int) -> None:
        try:
            target, actor = User.objects.get(pk=target_pk), User.objects.get(pk=actor_pk)
            start.wait()
            services.user_set_role(user=target, role=Role.CUSTOMER, actor=actor)
            outcomes.append("demoted")
        except ApplicationError as exc:
            outcomes.append(str(exc.code))
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=change) for change in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_admins_stepping_down_at_once_leave_one_admin():
    first, second = UserFactory(role="admin"), UserFactory(role="admin")

    outcomes = _concurrently((first.pk, first.pk), (second.pk, second.pk))

    assert outcomes == ["demoted", "last_admin"]
    assert User.objects.filter(role=Role.ADMIN).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    first, second = UserFactory(role="admin"), UserFactory(role="admin")

    outcomes = _concurrently((first.pk, second.pk), (second.pk, first.pk))

    # Whoever goes second has just been demoted, so may no longer change roles.
    assert outcomes == ["demoted", "role_change_forbidden"]
    assert User.objects.filter(role=Role.ADMIN).count() == 1
