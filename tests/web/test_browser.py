"""The site in a real browser: headless Chromium (Debian's) driven by Playwright against the
live server, on SQLite and on PostgreSQL. Each page is checked by axe-core (no serious or
critical violation), and any JavaScript error or Content-Security-Policy violation fails the
test (tests/web/conftest.py)."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from marquee.booking.models import Booking, BookingStatus
from marquee.booking.services import booking_hold
from marquee.catalog.models import Seat
from tests import factories
from tests.servers import free_port
from tests.web.conftest import DESKTOP, PASSWORD, PHONE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def seat(page, label: str):
    """The checkbox of a seat by its row and number, found by its accessible name."""
    row, number = label[0], label[1:]
    return page.get_by_role("checkbox", name=re.compile(rf"^Row {row}, seat {number},"))


def seat_box(page, seat_id: int):
    return page.locator(f'label[for="seat-{seat_id}"]')


def seat_ids(showtime) -> dict[str, int]:
    return {
        f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_whole_journey_home_movie_seats_hold_pay_tickets_cancel(pages, demo_hall, viewport):
    buyer = factories.UserFactory(username="moviegoer")
    page = pages.new(viewport=viewport)
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Orbit of Ashes").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orbit of Ashes")
    assert_accessible(page)
    page.locator(".showtimes a.time").first.click()
    expect(page.get_by_role("heading", name="Pick your seats")).to_be_visible()
    assert_accessible(page)

    # Seats are labelled for a screen reader; picking them shows the running total.
    h7 = seat(page, "H7")
    expect(h7).to_have_accessible_name(re.compile(r"^Row H, seat 7, premium, €14\.50, available$"))
    for label in ("H7", "H8"):
        page.locator(f'label[for="{seat(page, label).get_attribute("id")}"]').click()
    expect(page.locator("#picker-status")).to_contain_text("2 seats selected")
    expect(page.locator("#picker-status")).to_contain_text("€29.00")
    page.get_by_role("button", name="Hold these seats").click()

    # Not logged in yet: log in, come back with the seats still ticked, hold them.
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert_accessible(page)
    page.fill("#id_username", buyer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").last.click()
    expect(page.locator("#picker-status")).to_contain_text("2 seats selected")
    page.get_by_role("button", name="Hold these seats").click()

    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]+/$"))
    expect(page.locator("#countdown-timer")).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    assert_accessible(page)
    page.fill("#card-number", "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay €29.00").click()

    expect(page.get_by_role("heading", name="Your 2 tickets")).to_be_visible()
    assert_accessible(page)
    for image in page.locator("img.ticket-qr").all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator(".ticket-code code").count() == 2
    calendar = page.get_by_role("link", name="Add to calendar")
    with page.expect_download() as download:
        calendar.click()
    assert download.value.suggested_filename.endswith(".ics")
    assert b"BEGIN:VEVENT" in Path(download.value.path()).read_bytes()

    expect(page.get_by_text("You can cancel until")).to_be_visible()
    page.get_by_role("link", name="Cancel this booking").click()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, cancel the booking").click()
    expect(page.get_by_text("refunded in full")).to_be_visible()
    booking = Booking.objects.get(user=buyer)
    assert booking.status in (BookingStatus.CANCELLED, BookingStatus.REFUNDED)

    page.get_by_role("link", name="My bookings").first.click()
    assert_accessible(page)
    expect(page.locator(".booking-row")).to_have_count(1)


def test_the_keyboard_only_journey(pages, demo_hall):
    buyer = factories.UserFactory(username="keys")
    page = pages.new()
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")  # the skip link
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_username":
            break
    page.keyboard.type(buyer.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    page.goto(reverse("web:seat-picker", args=[demo_hall.pk]))
    for _ in range(60):  # Tab along the page until the hall takes the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('seat-input')"):
            break
    else:
        pytest.fail("the hall never took the focus")
    start = page.evaluate("document.activeElement.id")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    moved = page.evaluate("document.activeElement.id")
    assert moved != start
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator("#picker-status")).to_contain_text("2 seats selected")
    # One tab stop for the whole hall: the next Tab leaves it for the Hold button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "hold-button"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]+/$"))
    page.locator("#card-number").focus()
    page.keyboard.type("4242424242424242")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your 2 tickets")).to_be_visible()
    assert Booking.objects.get(user=buyer).status == BookingStatus.CONFIRMED


def test_without_javascript_the_plain_form_still_books(pages, demo_hall):
    buyer = factories.UserFactory(username="plain")
    page = pages.new(java_script=False)
    pages.login(page, buyer.username)
    page.goto(reverse("web:seat-picker", args=[demo_hall.pk]))
    for label in ("E6", "E7"):
        page.locator(f'label[for="{seat(page, label).get_attribute("id")}"]').click()
    page.get_by_role("button", name="Hold these seats").click()
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]+/$"))
    page.fill("#card-number", "4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    expect(page.get_by_role("heading", name="Your 2 tickets")).to_be_visible()


def _watch_seats_turn_taken(pages, showtime, within: float) -> None:
    ids = seat_ids(showtime)
    watcher = pages.new()
    watcher.goto(reverse("web:seat-picker", args=[showtime.pk]))
    buyer = pages.new()
    pages.login(buyer, factories.UserFactory(username="holder").username)
    buyer.goto(reverse("web:seat-picker", args=[showtime.pk]))
    for label in ("F6", "F7"):
        seat_box(buyer, ids[label]).click()
    buyer.get_by_role("button", name="Hold these seats").click()
    buyer.wait_for_url(re.compile(r"/bookings/"))
    held_at = time.monotonic()
    for label in ("F6", "F7"):
        expect(seat_box(watcher, ids[label])).to_have_class(
            re.compile(r"\bis-held\b"), timeout=within * 1000 + 500
        )
    assert time.monotonic() - held_at <= within + 0.5
    expect(seat(watcher, "F6")).to_be_disabled()
    expect(seat(watcher, "F6")).to_have_accessible_name(re.compile(r", held$"))


def test_a_second_browser_sees_held_seats_turn_taken_within_a_second(
    asgi_pages, demo_hall, settings
):
    """On the ASGI server (`make run`, `make live`): the live seat map's events."""
    settings.SEAT_PICKER_POLL_SECONDS = 0  # the live channel alone
    _watch_seats_turn_taken(asgi_pages, demo_hall, within=1.0)


def test_without_the_live_channel_a_second_browser_sees_held_seats_by_polling(
    pages, demo_hall, settings
):
    """On a WSGI server the live channel refuses (421 `live_needs_asgi`): the page polls."""
    settings.SEAT_PICKER_POLL_SECONDS = 1
    _watch_seats_turn_taken(pages, demo_hall, within=2.5)


def test_a_409_race_marks_exactly_the_lost_seat_and_keeps_the_rest(pages, demo_hall):
    ids = seat_ids(demo_hall)
    first, second = pages.new(), pages.new()
    pages.login(first, factories.UserFactory(username="first").username)
    pages.login(second, factories.UserFactory(username="second").username)
    for page, mine in ((first, "G4"), (second, "G6")):
        page.goto(reverse("web:seat-picker", args=[demo_hall.pk]))
        seat_box(page, ids["G5"]).click()
        seat_box(page, ids[mine]).click()
    first.get_by_role("button", name="Hold these seats").click()
    first.wait_for_url(re.compile(r"/bookings/"))
    second.get_by_role("button", name="Hold these seats").click()

    alert = second.locator("#picker-alert")
    expect(alert).to_contain_text("Someone else took some of these seats")
    expect(alert).to_contain_text("Row G, seat 5")
    expect(seat_box(second, ids["G5"])).to_have_class(re.compile(r"\bis-held\b"))
    expect(seat(second, "G5")).not_to_be_checked()
    expect(seat(second, "G6")).to_be_checked()
    expect(second.locator("#picker-status")).to_contain_text("1 seat selected")
    assert_accessible(second)
    assert "/showtimes/" in second.url


def test_a_hold_that_expires_while_the_page_is_open_says_so(pages, demo_hall, settings):
    buyer = factories.UserFactory(username="slow")
    ids = seat_ids(demo_hall)
    page = pages.new()
    pages.login(page, buyer.username)
    hold_seconds = settings.BOOKING_HOLD_MINUTES * 60
    booking = booking_hold(  # a hold with 5 seconds left
        user=buyer,
        showtime_id=demo_hall.pk,
        seat_ids=[ids["D7"]],
        now=timezone.now() - timedelta(seconds=hold_seconds - 5),
    )
    page.goto(reverse("web:booking", args=[booking.public_id]))
    expect(page.locator("#countdown-timer")).to_have_text(re.compile(r"^0:0[0-5]$"))
    expect(page.locator("#expired-panel")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Your hold has expired.").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Pay "))).to_be_disabled()
    page.get_by_role("link", name="Pick seats again").click()
    expect(seat(page, "D7")).to_be_enabled()  # free again at once, no sweeper needed
    assert_accessible(page)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def test_password_reset_through_a_real_smtp_server(pages, settings):
    user = factories.UserFactory(username="forgetful", email="forgetful@example.com")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    try:
        page = pages.new()
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        assert_accessible(page)
        page.fill("#id_email", user.email)
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        deadline = time.monotonic() + 10
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        [message] = inbox.messages
    finally:
        controller.stop()
    assert message["To"] == user.email
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/accounts/password-reset/\S+/", body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page)
    page.fill("#id_new_password1", "A-brand-new-secret-9")
    page.fill("#id_new_password2", "A-brand-new-secret-9")
    page.get_by_role("button", name="Save the password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    pages.login(page, user.username, "A-brand-new-secret-9")
    expect(page.get_by_role("link", name="My bookings")).to_be_visible()


def test_signup_and_the_other_pages_pass_axe(pages, demo_hall):
    page = pages.new()
    for path in (
        "/accounts/signup/",
        "/accounts/verify/",
        "/accounts/password-reset/",
        "/accounts/password-reset/sent/",
        "/accounts/verify/MQ/not-a-token/",
        "/no-such-page/",
    ):
        page.goto(path)
        assert_accessible(page)
    page.goto("/accounts/signup/")
    page.fill("#id_username", "newcomer")
    page.fill("#id_email", "newcomer@example.com")
    page.fill("#id_password1", "password")
    page.fill("#id_password2", "password")
    page.get_by_role("button", name="Sign up").last.click()
    expect(page.get_by_text("too common")).to_be_visible()
    assert_accessible(page)  # with the errors shown


def test_in_german_the_picker_speaks_german_and_shows_euros_the_german_way(pages, demo_hall):
    page = pages.new(viewport=PHONE, locale="de-DE")
    page.goto(reverse("web:seat-picker", args=[demo_hall.pk]))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    box = page.get_by_role(
        "checkbox", name=re.compile(r"^Reihe H, Platz 7, Premium, 14,50\s€, frei$")
    )
    expect(box).to_have_count(1)
    page.locator(f'label[for="{box.get_attribute("id")}"]').click()
    expect(page.locator("#picker-status")).to_contain_text("14,50")
    assert_accessible(page)
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_screenshots_of_the_key_pages_at_phone_and_desktop_width(pages, tmp_path, settings):
    """`make screenshots` writes them to docs/screenshots/ (shown in the README)."""
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    out = SCREENSHOTS if os.environ.get("MARQUEE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    customer = factories.UserFactory(username="screens")
    from marquee.catalog.models import Showtime

    showtime = (
        Showtime.objects.filter(starts_at__gt=timezone.now(), screen__name="Screen 1")
        .order_by("starts_at")
        .last()
    )
    ids = seat_ids(showtime)
    others = [factories.UserFactory() for _ in range(3)]
    for other, labels in zip(
        others, (["E6", "E7", "E8"], ["F9", "F10"], ["H5", "H6", "H7", "H8"]), strict=True
    ):
        booking_hold(user=other, showtime_id=showtime.pk, seat_ids=[ids[x] for x in labels])
    for viewport, tag in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = pages.new(viewport=viewport)
        pages.login(page, customer.username)
        page.goto("/")
        page.screenshot(path=str(out / f"home-{tag}.png"))
        page.goto(reverse("web:movie", args=[showtime.movie_id]))
        page.screenshot(path=str(out / f"movie-{tag}.png"))
        page.goto(reverse("web:seat-picker", args=[showtime.pk]))
        for label in ("G7", "G8"):
            seat_box(page, ids[label]).click()
        page.locator(".hall").scroll_into_view_if_needed()
        page.screenshot(path=str(out / f"seat-picker-{tag}.png"))
        page.get_by_role("button", name="Hold these seats").click()
        page.wait_for_url(re.compile(r"/bookings/"))
        page.screenshot(path=str(out / f"checkout-{tag}.png"))
        page.fill("#card-number", "4242 4242 4242 4242")
        page.get_by_role("button", name=re.compile("^Pay ")).click()
        expect(page.locator(".ticket").first).to_be_visible()
        page.screenshot(path=str(out / f"tickets-{tag}.png"))
        Booking.objects.filter(user=customer).update(status=BookingStatus.CANCELLED)
        from marquee.booking.models import Ticket

        Ticket.objects.filter(booking__user=customer).update(status="cancelled")
    staff_screenshots(pages, out, showtime, ids)
    assert len(list(out.glob("*.png"))) == 18


# Scrolls the dashboard to its first chart, below the site's sticky header.
SCROLL_TO_CHARTS = """(() => {
  const header = document.querySelector(".site-header").offsetHeight;
  const title = document.getElementById("daily-title").getBoundingClientRect().top;
  window.scrollTo(0, title + window.scrollY - header - 12);
})()"""


def staff_screenshots(pages, out: Path, showtime, ids: dict[str, int]) -> None:
    """The staff's pages as an usher and a cashier see them: the door scanner having just
    admitted a ticket of the show starting soon, a box-office sale waiting for payment, and
    the dashboard's charts."""
    from marquee.catalog.models import Showtime
    from marquee.payments.models import Till
    from marquee.staff.boxoffice import box_office_sell
    from marquee.tickets.codes import ticket_code

    staff = factories.UserFactory(username="screens-staff", role="staff")
    till = Till.objects.get(name="Till 1")
    soon = (
        Showtime.objects.filter(
            starts_at__gt=timezone.now(), starts_at__lte=timezone.now() + timedelta(minutes=50)
        )
        .order_by("starts_at")
        .first()
    )
    soon_ids = seat_ids(soon)
    for viewport, tag, label in ((PHONE, "phone", "D5"), (DESKTOP, "desktop", "D6")):
        booking, _ = box_office_sell(
            staff=staff,
            showtime_id=soon.pk,
            seat_ids=[soon_ids[label]],
            method="cash",
            till_id=till.pk,
        )
        page = pages.new(viewport=viewport)
        pages.login(page, staff.username)
        page.goto(reverse("staff:door"))
        page.locator(f"#door-showtime-{soon.pk}").check()
        expect(page.locator("#door-net")).to_contain_text(re.compile(r"tickets? in the list"))
        page.get_by_label("Ticket code (typed or from a hand scanner)").fill(
            ticket_code(booking.tickets.get())
        )
        page.get_by_role("button", name="Check").click()
        expect(page.locator("#door-verdict")).to_have_class(re.compile("verdict-admitted"))
        page.screenshot(path=str(out / f"door-scanner-{tag}.png"))

        page.context.add_cookies(
            [{"name": "marquee_till", "value": str(till.pk), "url": pages.base_url}]
        )
        page.goto(reverse("staff:box-office-picker", args=[showtime.pk]))
        for seat_label in ("J7", "J8"):
            seat_box(page, ids[seat_label]).click()
        page.get_by_role("button", name="Hold and take payment").click()
        page.wait_for_url(re.compile(r"/staff/box-office/sales/"))
        page.screenshot(path=str(out / f"box-office-sale-{tag}.png"))
        page.get_by_role("button", name="Release the seats").click()
        page.wait_for_url(re.compile(r"/staff/box-office/showtimes/"))

        page.goto(reverse("staff:dashboard"))
        page.screenshot(path=str(out / f"dashboard-{tag}.png"))
        page.evaluate(SCROLL_TO_CHARTS)
        page.screenshot(path=str(out / f"dashboard-charts-{tag}.png"))


def test_the_picker_follows_the_live_channel_contract(pages, demo_hall, settings):
    """Against a stand-in built to the contract (tests/web/live_contract_urls.py): the page
    names the channel and its seat version, the client connects from that version, and a
    `seats` event turns exactly those seats taken, the buyer's own held seat staying theirs."""
    from tests.web import live_contract_urls

    settings.ROOT_URLCONF = "tests.web.live_contract_urls"
    settings.SEAT_PICKER_POLL_SECONDS = 0  # the live channel alone
    ids = seat_ids(demo_hall)
    buyer = factories.UserFactory(username="watcher")
    booking_hold(user=buyer, showtime_id=demo_hall.pk, seat_ids=[ids["B4"]])
    live_contract_urls.script.update(
        seats=[
            {"id": ids["C7"], "status": "held"},
            {"id": ids["C8"], "status": "sold"},
            {"id": ids["B4"], "status": "held"},
        ],
        version=41,
        since=[],
    )
    page = pages.new()
    pages.login(page, buyer.username)
    page.goto(reverse("web:seat-picker", args=[demo_hall.pk]))
    picker = page.locator("#picker")
    expect(picker).to_have_attribute("data-live-url", f"/live/showtimes/{demo_hall.pk}/seats/")
    version = picker.get_attribute("data-seat-version")
    assert version.isdigit()
    expect(seat_box(page, ids["C7"])).to_have_class(re.compile(r"\bis-held\b"), timeout=3000)
    expect(seat_box(page, ids["C8"])).to_have_class(re.compile(r"\bis-sold\b"))
    expect(seat(page, "C8")).to_have_accessible_name(re.compile(r", sold$"))
    expect(seat_box(page, ids["B4"])).to_have_class(re.compile(r"\bis-yours\b"))
    expect(seat_box(page, ids["C6"])).to_have_class(re.compile(r"\bis-available\b"))
    assert live_contract_urls.script["since"][0] == version
