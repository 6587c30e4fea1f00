"""The door scanner in a real browser (Debian's Chromium, Playwright) on a 360-pixel phone: a QR
code from a fake camera to a verdict, the offline path with the page's network cut (valid
codes admitted, forged and duplicate ones refused, the scans uploaded when the network is
back), two devices in conflict, undo, and axe-core. Any JavaScript error or CSP violation
fails the test (tests/web/conftest.py)."""

from __future__ import annotations

import io
import os
import re

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect

from marquee.booking.models import Ticket
from marquee.catalog.models import TicketType
from marquee.tickets.codes import hmac_ticket_code, ticket_code
from marquee.tickets.models import DoorScan
from tests import factories
from tests.conftest import CHROMIUM
from tests.staff import door_fixtures
from tests.web import conftest as web
from tests.web.conftest import CHROMIUM_ARGS, PHONE, Pages, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Fixtures of tests/web (the browser) and of the door's data, used here too.
chromium, pages = web.chromium, web.pages
door_showtime, door_book = door_fixtures.door_showtime, door_fixtures.door_book


@pytest.fixture
def door_staff(db):
    return factories.UserFactory(role="staff", username="usher")


def open_door(pages: Pages, staff, showtime):
    """The scanner on a phone, logged in as staff, with today's show chosen and its list loaded."""
    page = pages.new(viewport=PHONE)
    pages.login(page, staff.username)
    page.goto("/staff/door/")
    page.get_by_label(re.compile(r"^\d\d:\d\d · The Night Usher")).check()
    expect(page.locator("#door-net")).to_contain_text(re.compile(r"[1-9]\d* tickets? in the list"))
    return page


def verdict(page):
    return page.locator("#door-verdict")


def enter(page, code: str) -> None:
    page.get_by_label("Ticket code (typed or from a hand scanner)").fill(code)
    page.get_by_role("button", name="Check").click()


def forged(code: str) -> str:
    return code[:-2] + ("AA" if not code.endswith("AA") else "BB")


def qr_png(code: str) -> bytes:
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def write_y4m(path, code: str, width: int = 640, height: int = 480) -> None:
    """A still video (YUV 4:2:0) of the code's QR image on white, for Chromium's fake camera."""
    qr = Image.open(io.BytesIO(qr_png(code))).convert("L")
    side = min(width, height) - 40
    qr = qr.resize((side, side), Image.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(qr, ((width - side) // 2, (height - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(2):
            out.write(b"FRAME\n" + luma + chroma + chroma)


# --- The camera ------------------------------------------------------------------------------


def test_a_qr_code_from_the_camera_is_admitted_then_refused_as_a_duplicate(
    door_staff, door_book, door_showtime, live_server, settings, tmp_path
):
    from playwright.sync_api import sync_playwright

    settings.ALLOWED_HOSTS = ["*"]
    ticket = door_book(["E5"]).tickets.get()
    video = tmp_path / "ticket.y4m"
    write_y4m(video, ticket_code(ticket))
    camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + camera
            )
            pages = Pages(browser, live_server.url)
            try:
                page = open_door(pages, door_staff, door_showtime)
                page.context.grant_permissions(["camera"])
                page.get_by_role("button", name="Start camera").click()

                expect(verdict(page)).to_contain_text("Admitted", timeout=15_000)
                expect(verdict(page)).to_contain_text("Row E · Seat 5 · VIP")
                expect(verdict(page)).to_contain_text("The Night Usher")
                # The camera still sees the code: once the same-code pause is over, it is a
                # second scan of a ticket already in.
                expect(verdict(page)).to_contain_text("Already checked in", timeout=15_000)
                page.get_by_role("button", name="Stop camera").click()
            finally:
                pages.close()
                browser.close()
            assert not pages.problems, pages.problems
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    ticket.refresh_from_db()
    assert ticket.checked_in_by == door_staff
    assert DoorScan.objects.get(ticket=ticket).result == "admitted"


def test_the_decoder_reads_a_frame_drawn_from_a_qr_image(
    pages, door_staff, door_book, door_showtime
):
    """The decoder's own way in: an ImageData from a canvas with the ticket's QR image."""
    ticket = door_book(["A2"]).tickets.get()
    page = open_door(pages, door_staff, door_showtime)
    png = qr_png(ticket_code(ticket))
    decoded = page.evaluate(
        """async (bytes) => {
            const blob = new Blob([new Uint8Array(bytes)], {type: "image/png"});
            const image = await createImageBitmap(blob);
            const canvas = document.createElement("canvas");
            canvas.width = image.width; canvas.height = image.height;
            const context = canvas.getContext("2d");
            context.drawImage(image, 0, 0);
            return window.MarqueeDoor.decodeFrame(
                context.getImageData(0, 0, canvas.width, canvas.height));
        }""",
        list(png),
    )
    assert decoded == ticket_code(ticket)
    expect(verdict(page)).to_contain_text("Admitted")
    expect(verdict(page)).to_contain_text("Row A · Seat 2")


# --- Online ----------------------------------------------------------------------------------


def test_online_refusals_are_red_with_the_reason_and_undo_takes_a_scan_back(
    pages, door_staff, door_book, door_showtime
):
    ticket = door_book(["C3"]).tickets.get()
    other_show = factories.ShowtimeFactory(
        screen=factories.screen_with_seats(rows=1, per_row=4, theater=door_showtime.screen.theater),
        starts_at=door_showtime.starts_at,
        movie=factories.MovieFactory(title="Elsewhere"),
    )
    elsewhere = door_book(["A1"], showtime=other_show).tickets.get()
    page = open_door(pages, door_staff, door_showtime)

    enter(page, forged(ticket_code(ticket)))
    expect(verdict(page)).to_have_class(re.compile("verdict-refused"))
    expect(verdict(page)).to_contain_text("Not a valid ticket")

    enter(page, ticket_code(elsewhere))
    expect(verdict(page)).to_contain_text("Wrong showtime: Elsewhere")

    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_have_class(re.compile("verdict-admitted"))
    assert_accessible(page)
    page.get_by_role("button", name="Undo this scan").click()
    expect(verdict(page)).to_contain_text("Scan undone")
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None

    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_contain_text("Admitted")
    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_contain_text("Already checked in")
    expect(verdict(page)).to_have_class(re.compile("verdict-refused"))
    assert_accessible(page)


def test_with_reentry_on_a_guest_is_let_out_and_back_in(
    pages, door_staff, door_book, door_showtime
):
    ticket = door_book(["D2"]).tickets.get()
    page = open_door(pages, door_staff, door_showtime)
    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_contain_text("Admitted")

    page.get_by_label("People going out (they may come back in)").check()
    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_contain_text("No re-entry at this showtime")

    page.get_by_label(re.compile("Guests may leave and come back in")).check()
    expect(page.get_by_label(re.compile("Guests may leave"))).to_be_checked()
    page.wait_for_function(
        "() => Object.values(window.MarqueeDoor.state().showtimes)[0].reentry_allowed"
    )
    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_contain_text("Out: may come back in")
    expect(verdict(page)).to_have_class(re.compile("verdict-exit"))
    assert_accessible(page)

    page.get_by_label("People coming in").check()
    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_contain_text("Admitted")
    assert list(ticket.door_scans.order_by("scanned_at").values_list("direction", flat=True)) == [
        "entry",
        "exit",
        "entry",
    ]


# --- Offline ---------------------------------------------------------------------------------


def test_offline_the_door_admits_valid_refuses_forged_and_duplicates_and_syncs_later(
    pages, door_staff, door_book, door_showtime
):
    listed, legacy = door_book(["B1", "B2"]).tickets.order_by("pk")
    page = open_door(pages, door_staff, door_showtime)
    sold_later = door_book(["D4"]).tickets.get()  # after the page's list was downloaded

    page.context.set_offline(True)
    enter(page, ticket_code(listed))
    expect(verdict(page)).to_contain_text("Admitted")
    expect(verdict(page)).to_contain_text("Row B · Seat 1")
    expect(verdict(page)).to_contain_text("Offline")

    enter(page, forged(ticket_code(listed)))
    expect(verdict(page)).to_contain_text("Not a valid ticket")

    enter(page, ticket_code(listed))
    expect(verdict(page)).to_contain_text("Already checked in")

    enter(page, hmac_ticket_code(legacy))  # an old code, matched by its digest in the list
    expect(verdict(page)).to_contain_text("Row B · Seat 2")

    enter(page, ticket_code(sold_later))  # unknown to the list: its signature is enough
    expect(verdict(page)).to_contain_text("Admitted")
    enter(page, ticket_code(sold_later))
    expect(verdict(page)).to_contain_text("Already checked in")

    expect(page.locator("#door-net")).to_have_attribute("data-queue", "3")
    assert_accessible(page)
    assert not Ticket.objects.filter(checked_in_at__isnull=False).exists()

    page.context.set_offline(False)
    page.evaluate("window.MarqueeDoor.sync()")
    expect(page.locator("#door-net")).to_have_attribute("data-queue", "0", timeout=15_000)
    checked_in = set(
        Ticket.objects.filter(checked_in_at__isnull=False).values_list("pk", flat=True)
    )
    assert checked_in == {listed.pk, legacy.pk, sold_later.pk}
    assert set(DoorScan.objects.values_list("offline", "result")) == {(True, "admitted")}
    expect(page.locator("#door-conflicts")).to_be_hidden()


def test_a_browser_without_ed25519_falls_back_to_the_lists_digests(
    pages, door_staff, door_book, door_showtime
):
    listed = door_book(["A5"]).tickets.get()
    page = pages.new(viewport=PHONE)
    page.add_init_script(
        """const importKey = crypto.subtle.importKey.bind(crypto.subtle);
        crypto.subtle.importKey = (format, data, algorithm, ...rest) =>
            (algorithm && algorithm.name === "Ed25519")
                ? Promise.reject(new DOMException("no Ed25519", "NotSupportedError"))
                : importKey(format, data, algorithm, ...rest);"""
    )
    pages.login(page, door_staff.username)
    page.goto("/staff/door/")
    page.get_by_label(re.compile(r"^\d\d:\d\d · The Night Usher")).check()
    expect(page.locator("#door-net")).to_contain_text("1 ticket in the list")
    sold_later = door_book(["A6"]).tickets.get()

    page.context.set_offline(True)
    enter(page, ticket_code(listed))
    expect(verdict(page)).to_contain_text("Admitted")
    enter(page, forged(ticket_code(listed)).replace(listed.secret, listed.secret[::-1]))
    expect(verdict(page)).to_contain_text("Not a valid ticket")
    enter(page, ticket_code(sold_later))
    expect(verdict(page)).to_contain_text("Unknown ticket (offline)")


def test_the_scanner_keeps_its_page_cached_and_its_list_and_queue_across_a_reload(
    pages, door_staff, door_book, door_showtime
):
    """The service worker keeps the page and its scripts for a reload without the network
    (Playwright's offline switch does not reach a service worker's own fetches, so the test
    reads its cache); the list and the queue of scans live through a reload offline."""
    ticket = door_book(["C6"]).tickets.get()
    page = open_door(pages, door_staff, door_showtime)
    page.evaluate("() => navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    cached = page.evaluate(
        """async () => {
            const scripts = [...document.querySelectorAll("script[src], link[rel=stylesheet]")]
                .map(element => new URL(element.src || element.href).pathname);
            const found = {};
            for (const path of ["/staff/door/", ...scripts]) {
                found[path] = Boolean(await caches.match(path));
            }
            return found;
        }"""
    )
    assert cached and all(cached.values()), cached
    assert any(path.endswith("jsQR.js") for path in cached)

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#door-net")).to_contain_text(re.compile("tickets? in the list"))
    enter(page, ticket_code(ticket))
    expect(verdict(page)).to_contain_text("Admitted")
    expect(verdict(page)).to_contain_text("Offline")
    expect(verdict(page)).to_contain_text("Row C · Seat 6")
    page.reload()
    expect(page.locator("#door-net")).to_have_attribute("data-queue", "1")

    page.context.set_offline(False)
    page.evaluate("window.MarqueeDoor.sync()")
    expect(page.locator("#door-net")).to_have_attribute("data-queue", "0", timeout=15_000)
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None


def test_two_devices_admitting_one_ticket_offline_show_a_conflict(
    pages, door_staff, door_book, door_showtime
):
    ticket = door_book(["E1"]).tickets.get()
    first = open_door(pages, door_staff, door_showtime)
    second = open_door(pages, door_staff, door_showtime)
    for page in (first, second):
        page.context.set_offline(True)
        enter(page, ticket_code(ticket))
        expect(verdict(page)).to_contain_text("Admitted")

    for page in (first, second):
        page.context.set_offline(False)
        page.evaluate("window.MarqueeDoor.sync()")
        expect(page.locator("#door-net")).to_have_attribute("data-queue", "0", timeout=15_000)

    expect(second.locator("#door-conflicts")).to_be_visible()
    expect(second.locator("#door-conflict-list")).to_contain_text(
        "Row E seat 1: Already checked in"
    )
    assert sorted(DoorScan.objects.values_list("result", flat=True)) == ["admitted", "conflict"]


# --- In German ---------------------------------------------------------------------------------


def test_in_german_the_scanner_refuses_a_ticket_in_german_online_and_offline(
    pages, door_staff, door_book, door_showtime
):
    ticket = door_book(["E5"]).tickets.get()
    # A German cinema names its ticket types in German (data, like the public picker's).
    TicketType.objects.create(
        code=ticket.ticket_type, name="Erwachsene", theater=door_showtime.screen.theater
    )
    page = pages.new(viewport=PHONE, locale="de-DE")
    page.goto("/accounts/login/")
    page.fill("#id_username", door_staff.username)
    page.fill("#id_password", web.PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    page.goto("/staff/door/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label(re.compile(r"^\d\d:\d\d · The Night Usher")).check()
    expect(page.locator("#door-net")).to_contain_text(
        re.compile(r"^Online · 1 Ticket in der Liste")
    )

    def check(code: str) -> None:
        page.get_by_label("Ticketcode (eingetippt oder vom Handscanner)").fill(code)
        page.get_by_role("button", name="Prüfen").click()

    check(ticket_code(ticket))
    expect(verdict(page)).to_have_class(re.compile("verdict-admitted"))
    expect(verdict(page)).to_contain_text("Einlass")
    expect(verdict(page)).to_contain_text("Reihe E · Platz 5 · VIP")
    expect(page.locator("#door-verdict-type")).to_have_text("Erwachsene")
    check(ticket_code(ticket))
    expect(verdict(page)).to_have_class(re.compile("verdict-refused"))
    expect(verdict(page)).to_contain_text("Abgelehnt")
    expect(verdict(page)).to_contain_text("Schon eingelassen um")
    expect(page.get_by_role("button", name="Diesen Scan zurücknehmen")).to_be_hidden()

    page.context.set_offline(True)
    check(forged(ticket_code(ticket)))
    expect(verdict(page)).to_contain_text(
        "Kein gültiges Ticket (gefälschter oder beschädigter Code)"
    )
    expect(verdict(page)).to_contain_text("Offline: auf diesem Gerät geprüft")
    expect(page.locator("#door-net")).to_contain_text("OFFLINE")
    assert_accessible(page)
