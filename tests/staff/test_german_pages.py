"""The staff pages in German: the door scanner (its script's messages too), the box office from
the show list to the printed tickets and the till's end of day, and the dashboard, each asked
for in German by the browser's Accept-Language, as the public pages' German tests do."""

from __future__ import annotations

import io
import json
import re

import pytest
from pypdf import PdfReader

from marquee.booking.models import Booking
from marquee.staff.boxoffice import box_office_sell
from marquee.staff.boxoffice_views import TILL_COOKIE
from tests import factories
from tests.staff import door_fixtures

door_showtime = door_fixtures.door_showtime
GERMAN = {"Accept-Language": "de"}


def german(client, url: str) -> str:
    response = client.get(url, headers=GERMAN)
    assert response.status_code == 200, url
    assert response["Content-Language"] == "de"
    return response.content.decode()


def door_messages(html: str) -> dict:
    data = re.search(r'<script id="door-messages" type="application/json">(.*?)</script>', html)
    assert data, "the messages' JSON element"
    return json.loads(data.group(1))


def test_the_door_scanner_speaks_german(staff_site_client, door_showtime):
    html = german(staff_site_client, "/staff/door/")
    for text in ("Einlass-Scanner", "Kamera starten", "Dieser Einlass", "Prüfen"):
        assert text in html
    assert "Start camera" not in html


def test_the_door_scanners_script_gets_its_messages_in_german_as_data(
    staff_site_client, door_showtime
):
    messages = door_messages(german(staff_site_client, "/staff/door/"))
    assert messages["refused"] == "Abgelehnt"
    assert messages["admitted"] == "Einlass"
    assert messages["reasons"]["already_checked_in"] == "Schon eingelassen um {time}{device}"
    assert messages["ticket_statuses"]["refunded"] == "erstattet"
    assert messages["seat"] == "Reihe {row} · Platz {number}"
    english = door_messages(staff_site_client.get("/staff/door/").content.decode())
    assert english["refused"] == "Refused"
    assert english.keys() == messages.keys()
    assert english["reasons"].keys() == messages["reasons"].keys()


def test_the_door_names_ticket_types_as_the_theater_does(staff_site_client, door_showtime):
    """The names are the cinema's data (the defaults for every theater, a theater's own over
    them), as on the public seat picker; another theater's names are not this door's."""
    from marquee.catalog.models import TicketType

    TicketType.objects.create(code="child", name="Kind", theater=door_showtime.screen.theater)
    TicketType.objects.create(code="student", name="Elsewhere", theater=factories.TheaterFactory())
    names = door_messages(german(staff_site_client, "/staff/door/"))["ticket_types"]
    defaults = dict(TicketType.objects.filter(theater=None).values_list("code", "name"))
    assert names == defaults | {"child": "Kind"}


def test_the_door_scripts_reasons_cover_every_refusal_the_door_api_gives(
    staff_site_client, door_showtime
):
    from marquee.tickets import door_api

    reasons = door_messages(german(staff_site_client, "/staff/door/"))["reasons"]
    refusals = set(door_api.SCAN_REFUSALS) | {"invalid_ticket_code", "ticket_not_found"}
    assert refusals <= reasons.keys(), refusals - reasons.keys()


def test_the_box_office_list_and_picker_speak_german(staff_site_client, showtime, seats, till):
    html = german(staff_site_client, "/staff/box-office/")
    for text in ("Kasse dieses Geräts", "Heute Abend", "Diese Woche", "Saal", "Verkaufen"):
        assert text in html
    picker = german(staff_site_client, f"/staff/box-office/showtimes/{showtime.pk}/")
    for text in ("Plätze wählen", "Reservieren und kassieren", "Beste freie Plätze", "Leinwand"):
        assert text in picker
    assert "Hold and take payment" not in picker


def test_a_box_office_sale_speaks_german_from_payment_to_printed_tickets(
    staff_site_client, showtime, seats, till
):
    staff_site_client.cookies[TILL_COOKIE] = str(till.pk)
    staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/", {"seat": [seats["C4"].pk]}
    )
    booking = Booking.objects.get()
    url = f"/staff/box-office/sales/{booking.public_id}/"
    html = german(staff_site_client, url)
    for text in ("Kassieren", "Bezahlt mit", "Bar", "Karte (Terminal)", "Plätze freigeben"):
        assert text in html

    paid = staff_site_client.post(
        f"{url}pay/", {"method": "cash", "till": till.pk, "email": ""}, headers=GERMAN
    )
    assert paid.status_code == 302
    html = german(staff_site_client, url)
    for text in ("Bezahlt. Drucke die Tickets oder zeig sie vor.", "Tickets drucken (PDF)"):
        assert text in html
    assert "Nächster Kunde" in html

    pdf = staff_site_client.get(f"{url}tickets.pdf", headers=GERMAN)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Reihe C, Platz 4" in text and "Buchung" in text


def test_a_refused_payment_is_explained_in_german(staff_site_client, showtime, seats, till):
    staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/", {"seat": [seats["A1"].pk]}
    )
    booking = Booking.objects.get()
    response = staff_site_client.post(
        f"/staff/box-office/sales/{booking.public_id}/pay/",
        {"method": "cash", "till": ""},
        headers=GERMAN,
    )
    assert "Wähle eine Kasse für dieses Gerät." in response.content.decode()


def test_a_released_sale_says_so_in_german(staff_site_client, showtime, seats):
    staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/", {"seat": [seats["A1"].pk]}
    )
    booking = Booking.objects.get()
    staff_site_client.post(f"/staff/box-office/sales/{booking.public_id}/cancel/")
    html = german(staff_site_client, f"/staff/box-office/sales/{booking.public_id}/")
    assert '<p class="eyebrow">Storniert</p>' in html


def test_the_till_summary_speaks_german(staff_site_client, staff_user, showtime, seats, till):
    box_office_sell(
        staff=staff_user,
        showtime_id=showtime.pk,
        seat_ids=[seats["C4"].pk],
        method="card_present",
        till_id=till.pk,
    )
    html = german(staff_site_client, f"/staff/tills/{till.pk}/summary/")
    for text in ("Tagesabschluss", "Nach Zahlungsart", "Eingenommen", "Karte (Terminal)"):
        assert text in html
    assert "1 Ticket verkauft." in html


@pytest.fixture
def sold(staff_user, showtime, seats, till):
    box_office_sell(
        staff=staff_user,
        showtime_id=showtime.pk,
        seat_ids=[seats["C4"].pk, seats["C5"].pk],
        method="cash",
        till_id=till.pk,
    )
    return showtime


def test_the_dashboard_and_its_charts_speak_german(staff_site_client, sold):
    html = german(staff_site_client, "/staff/dashboard/")
    for text in ("Übersicht", "Verkauf pro Tag", "Auslastung pro Film", "Die Zahlen", "Saal"):
        assert text in html
    # The charts' titles and text alternatives, read by a screen reader.
    assert '<title id="chart-daily-title">Verkaufte Tickets pro Tag</title>' in html
    desc = re.search(r'<desc id="chart-daily-desc">([^<]+)</desc>', html).group(1)
    assert desc.startswith("Tickets der Vorstellungen vom") and "insgesamt 2" in desc
    heatmap = re.search(r'<svg [^>]*id="chart-heatmap".*?</svg>', html, re.S).group(0)
    assert "LEINWAND" in heatmap and "SCREEN" not in heatmap
    assert "Tickets sold per day" not in html
