"""The waiting list on the site: the sold-out picker links to it; join, see your place, leave."""

import pytest
from django.urls import reverse

from marquee.booking.services import booking_hold
from marquee.waitlist.models import WaitlistEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_show(db):
    screen = factories.screen_with_seats(rows=1, per_row=2)
    show = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    booking_hold(
        user=factories.UserFactory(),
        showtime_id=show.pk,
        seat_ids=list(screen.seats.values_list("pk", flat=True)),
    )
    return show


def test_the_sold_out_picker_links_to_the_waiting_list(site_client, full_show, showtime):
    url = reverse("web:waitlist", args=[full_show.pk])
    assert url in site_client.get(reverse("web:seat-picker", args=[full_show.pk])).content.decode()
    free = site_client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert reverse("web:waitlist", args=[showtime.pk]) not in free


def test_join_see_your_place_and_leave(site_client, customer, full_show):
    url = reverse("web:waitlist", args=[full_show.pk])
    assert "Join the waiting list" in site_client.get(url).content.decode()
    page = site_client.post(url, {"action": "join", "seats": "2"}, follow=True).content.decode()
    assert "You are number 1 in line for 2 seats." in page
    assert WaitlistEntry.objects.get(user=customer).seats == 2
    again = site_client.post(url, {"action": "join", "seats": "1"})
    assert again.status_code == 409
    assert "You are on this waiting list already." in again.content.decode()
    assert WaitlistEntry.objects.filter(user=customer).count() == 1
    page = site_client.post(url, {"action": "leave"}, follow=True).content.decode()
    assert "You left the waiting list." in page
    assert WaitlistEntry.objects.get(user=customer).status == "left"


def test_a_bad_seat_count_is_refused_on_the_page(site_client, full_show):
    url = reverse("web:waitlist", args=[full_show.pk])
    response = site_client.post(url, {"action": "join", "seats": "many"})
    assert response.status_code == 400
    assert "Choose how many seats you wait for." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in_and_unknown_shows_are_404(
    client, site_client, full_show
):
    assert client.get(reverse("web:waitlist", args=[full_show.pk])).status_code == 302
    assert site_client.get(reverse("web:waitlist", args=[999999])).status_code == 404
