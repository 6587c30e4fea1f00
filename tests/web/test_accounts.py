"""Signing up, confirming the email address, logging in and out, and the lockout, on the site."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from marquee.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "ada",
    "email": "ada@example.com",
    "password1": "a-Long-and-rare-pass-42",
    "password2": "a-Long-and-rare-pass-42",
}


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_signup_keeps_the_account_inactive_until_the_emailed_link_comes_back(client):
    response = client.post(reverse("web:signup"), SIGNUP)
    assert response.status_code == 302 and response["Location"] == reverse("web:verify-sent")
    user = User.objects.get(username="ada")
    assert not user.is_active and user.role == "customer"
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert not client.post(
        reverse("web:login"), {"username": "ada", "password": SIGNUP["password1"]}
    ).wsgi_request.user.is_authenticated

    response = client.get(_link(message), follow=True)
    user.refresh_from_db()
    assert user.is_active
    assert response.wsgi_request.user == user
    assert "your email address is confirmed" in response.content.decode()
    # The link is spent once the account is active.
    client.logout()
    assert client.get(_link(message)).status_code == 400


def test_an_unconfirmed_account_is_told_to_confirm_on_login(client):
    client.post(reverse("web:signup"), SIGNUP)
    response = client.post(
        reverse("web:login"), {"username": "ada", "password": SIGNUP["password1"]}
    )
    assert "Please confirm your email address first" in response.content.decode()


def test_signup_refuses_a_taken_username_or_email_and_a_weak_password(client, customer):
    data = {**SIGNUP, "username": customer.username, "email": customer.email.upper()}
    html = client.post(reverse("web:signup"), data).content.decode()
    assert "This username is taken." in html
    assert "An account with this email address exists already." in html
    weak = {**SIGNUP, "password1": "password", "password2": "password"}
    assert "too common" in client.post(reverse("web:signup"), weak).content.decode()
    assert not mail.outbox


def test_a_new_link_can_be_asked_for_without_revealing_accounts(client):
    client.post(reverse("web:signup"), SIGNUP)
    mail.outbox.clear()
    for email in ("ada@example.com", "nobody@example.com"):
        response = client.post(reverse("web:verify-sent"), {"email": email}, follow=True)
        assert "If an account waits for that address" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


def test_login_and_logout_use_the_session(client, customer):
    response = client.post(
        reverse("web:login"), {"username": customer.username, "password": "Sup3r-secret-pass"}
    )
    assert response.status_code == 302
    assert client.get(reverse("web:bookings")).status_code == 200
    assert client.get(reverse("web:logout")).status_code == 405  # logging out is a POST
    client.post(reverse("web:logout"))
    assert client.get(reverse("web:bookings")).status_code == 302


def test_the_site_session_does_not_authenticate_the_api(client, customer):
    client.force_login(customer)
    assert client.get("/api/auth/me/").status_code == 401


def test_repeated_failed_logins_lock_the_account_with_a_page(client, settings):
    user = factories.UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("web:login"), {"username": user.username, "password": "wrong"})
    response = client.post(
        reverse("web:login"), {"username": user.username, "password": "Sup3r-secret-pass"}
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_password_reset_mails_a_link_that_sets_a_new_password(client, customer):
    client.post(reverse("web:password-reset"), {"email": customer.email})
    [message] = mail.outbox
    confirm = client.get(_link(message), follow=True)
    assert "Choose a new password" in confirm.content.decode()
    new = "Another-long-pass-77"
    response = client.post(
        confirm.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(new)
