"""The box office and the dashboard in a real browser: headless Chromium (Debian's) driven by
Playwright against the live server, axe-core on every page, and no JavaScript error or
Content-Security-Policy violation (tests/web/conftest.py's `pages`)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from marquee.booking.models import Booking, BookingStatus, SalesChannel, Ticket
from marquee.payments.models import Payment, Till
from marquee.staff.boxoffice import box_office_sell
from marquee.tickets.codes import ticket_code
from tests import factories
from tests.web import conftest as web
from tests.web.conftest import DESKTOP, PHONE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seat(page, label: str):
    row, number = label[0], label[1:]
    return page.get_by_role("checkbox", name=re.compile(rf"^Row {row}, seat {number},"))


def pick(page, label: str) -> None:
    page.locator(f'label[for="{seat(page, label).get_attribute("id")}"]').click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_box_office_journey_from_show_to_printed_tickets(pages, demo_hall, viewport):
    cashier = factories.UserFactory(username="cashier", role="staff")
    till = Till.objects.create(name="Front till", theater=demo_hall.screen.theater)
    page = pages.new(viewport=viewport)
    pages.login(page, cashier.username)

    page.goto("/staff/box-office/")
    assert_accessible(page)
    page.select_option("#till-select", str(till.pk))
    page.get_by_role("button", name="Use this till").click()
    expect(page.get_by_text("This device is now Front till.")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Sell Orbit of Ashes")).first.click()

    expect(page.get_by_role("heading", name="Pick the seats")).to_be_visible()
    expect(page.get_by_text("Selling at Front till")).to_be_visible()
    assert_accessible(page)
    for label in ("H7", "H8"):
        pick(page, label)
    expect(page.locator("#picker-status")).to_contain_text("2 seats selected")
    page.get_by_role("button", name="Hold and take payment").click()

    page.wait_for_url(re.compile(r"/staff/box-office/sales/[0-9a-f-]+/$"))
    expect(page.locator("#sale-total")).to_have_text("€29.00")
    expect(page.locator("#pay-till")).to_have_value(str(till.pk))
    assert_accessible(page)
    page.get_by_label("Card (terminal)").check()
    page.get_by_role("button", name="Paid €29.00").click()

    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    assert_accessible(page)
    booking = Booking.objects.get(channel=SalesChannel.BOX_OFFICE)
    assert booking.status == BookingStatus.CONFIRMED and booking.user == cashier
    payment = Payment.objects.get(booking=booking)
    assert (payment.provider, payment.till, payment.taken_by) == ("card_present", till, cashier)
    codes = [ticket_code(t) for t in Ticket.objects.filter(booking=booking)]
    for code in codes:
        expect(page.get_by_text(code)).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Print the tickets (PDF)").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 2
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert all(code in text for code in codes)


def test_a_seat_taken_online_meanwhile_is_marked_and_the_rest_kept(pages, demo_hall):
    cashier = factories.UserFactory(username="cashier", role="staff")
    online = factories.UserFactory(username="online")
    page = pages.new()
    pages.login(page, cashier.username)
    page.goto(f"/staff/box-office/showtimes/{demo_hall.pk}/")
    pick(page, "F5")
    pick(page, "F6")
    from marquee.booking.services import booking_hold
    from marquee.catalog.models import Seat

    f5 = Seat.objects.get(screen=demo_hall.screen_id, row_label="F", number=5)
    booking_hold(user=online, showtime_id=demo_hall.pk, seat_ids=[f5.pk])
    page.get_by_role("button", name="Hold and take payment").click()
    expect(page.locator("#picker-alert")).to_be_visible()
    expect(seat(page, "F5")).to_be_disabled()
    expect(seat(page, "F6")).to_be_checked()
    assert not Booking.objects.filter(channel=SalesChannel.BOX_OFFICE).exists()


def test_the_dashboard_and_the_till_summary(pages, demo_hall):
    cashier = factories.UserFactory(username="cashier", role="staff")
    till = Till.objects.create(name="Front till", theater=demo_hall.screen.theater)
    seats = list(demo_hall.screen.seats.order_by("y", "x").values_list("pk", flat=True))
    box_office_sell(
        staff=cashier,
        showtime_id=demo_hall.pk,
        seat_ids=seats[60:63],
        method="cash",
        till_id=till.pk,
    )
    page = pages.new()
    pages.login(page, cashier.username)

    page.goto("/staff/dashboard/")
    assert_accessible(page)
    for chart in ("daily", "hourly", "movies", "screens", "heatmap", "seat-hours"):
        expect(page.locator(f"svg#chart-{chart}")).to_be_visible()
    expect(page.locator("#shows-week tr[data-showtime]")).to_have_count(1)
    expect(page.locator(f'#shows-week tr[data-showtime="{demo_hall.pk}"] td').nth(2)).to_have_text(
        "3"
    )
    # The numbers one click away.
    table = page.locator("#table-heatmap")
    expect(table).to_be_hidden()
    table.locator("xpath=ancestor::details/summary").click()
    expect(table).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.locator("a[href^='/staff/dashboard/heatmap.csv']").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("seat_id,seat,")
    assert sum(1 for line in lines[1:] if line.split(",")[6] == "1") == 3

    page.goto(f"/staff/tills/{till.pk}/summary/")
    expect(page.locator("#till-methods")).to_contain_text("Cash")
    assert_accessible(page)


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
def test_on_a_360_pixel_phone_no_staff_page_is_wider_than_the_screen(pages, demo_hall, locale):
    """Tables of shows become one block per show, tables of numbers scroll in their box, the
    charts keep their text big enough to read, and the buttons a cashier taps are 44 px tall."""
    cashier = factories.UserFactory(username="cashier", role="staff")
    till = Till.objects.create(name="Front till", theater=demo_hall.screen.theater)
    seats = list(demo_hall.screen.seats.order_by("y", "x").values_list("pk", flat=True))
    box_office_sell(
        staff=cashier,
        showtime_id=demo_hall.pk,
        seat_ids=seats[60:62],
        method="cash",
        till_id=till.pk,
    )
    held = box_office_hold_for_test(cashier, demo_hall, seats[70:72])
    page = pages.new(viewport=PHONE, locale=locale)
    page.goto("/accounts/login/")
    page.fill("#id_username", cashier.username)
    page.fill("#id_password", web.PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    for url in (
        "/staff/box-office/",
        f"/staff/box-office/showtimes/{demo_hall.pk}/",
        f"/staff/box-office/sales/{held.public_id}/",
        f"/staff/tills/{till.pk}/summary/",
        "/staff/dashboard/",
        "/staff/door/",
    ):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
    page.goto("/staff/box-office/")
    sell = page.locator("a.button", has_text=re.compile("^(Sell|Verkaufen)")).first
    assert sell.bounding_box()["height"] >= 44
    assert sell.bounding_box()["width"] >= PHONE["width"] * 0.8
    page.goto("/staff/dashboard/")
    # The smallest chart text drawn at this width (the SVGs scale to their box).
    smallest = page.evaluate(
        """Math.min(...[...document.querySelectorAll("svg.chart text")].map(
            (text) => text.getBoundingClientRect().height).filter((height) => height > 0))"""
    )
    assert smallest >= 9, smallest


def box_office_hold_for_test(cashier, showtime, seat_ids):
    from marquee.staff.boxoffice import box_office_hold

    return box_office_hold(staff=cashier, showtime_id=showtime.pk, seat_ids=seat_ids)
