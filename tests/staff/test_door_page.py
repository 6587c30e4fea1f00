"""The door scanner page: for staff only, lists today's showtimes, and sends the site's CSP."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marquee.common.time import to_local
from tests import factories
from tests.staff import door_fixtures

pytestmark = pytest.mark.django_db
door_showtime = door_fixtures.door_showtime


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_todays_showtimes_to_choose_from(staff_user, door_showtime):
    later = factories.ShowtimeFactory(
        screen=door_showtime.screen, starts_at=timezone.now() + timedelta(days=3)
    )
    response = client_for(staff_user).get("/staff/door/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="door-showtime-{door_showtime.pk}"' in html
    assert "The Night Usher" in html
    local = to_local(door_showtime.starts_at, door_showtime.screen.theater.timezone)
    assert f"{local:%H:%M} · The Night Usher" in html  # the theater's clock
    assert f'id="door-showtime-{later.pk}"' not in html
    assert response["Cache-Control"] == "private, no-store"


def test_the_page_has_no_inline_script_and_a_strict_csp(staff_user, door_showtime):
    response = client_for(staff_user).get("/staff/door/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.content.decode()
    assert "<script>" not in html and " on" + "click=" not in html
    assert "staff/vendor/jsqr-1.4.0/jsQR.js" in html


def test_customers_are_refused(customer):
    assert client_for(customer).get("/staff/door/").status_code == 403


def test_strangers_are_sent_to_log_in():
    response = Client().get("/staff/door/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_service_worker_is_served_under_the_page_with_what_it_keeps():
    response = Client().get("/staff/door/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert '"/staff/door/"' in body and "/static/staff/vendor/jsqr-1.4.0/jsQR.js" in body
