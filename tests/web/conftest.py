"""Fixtures for the site's tests: a logged-in Django client, and for `browser` tests headless
Chromium (Debian's, never a downloaded one) driven by Playwright against the live server.

Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM calls
from a thread with a running loop unless told the caller knows it is synchronous: the tests
set up data through the ORM between browser steps, so DJANGO_ALLOW_ASYNC_UNSAFE is set while
a module's browser runs (only then: a process another test starts must not inherit it).
"""

from __future__ import annotations

import os
import re
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from marquee.catalog.models import Seat
from tests import factories
from tests.conftest import CHROMIUM
from tests.servers import free_port

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "Sup3r-secret-pass"  # tests/factories.py


@pytest.fixture
def site_client(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client


@pytest.fixture
def other_site_client(other_customer) -> Client:
    client = Client()
    client.force_login(other_customer)
    return client


@pytest.fixture
def seat_ids(showtime) -> dict[str, int]:
    """Seat ids of the showtime's hall by label, e.g. seat_ids["C5"]."""
    return {
        f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)
    }


@pytest.fixture
def demo_hall(db):
    """A hall like the demo's Screen 1: 10 rows of 14 with two aisles, premium, VIP,
    wheelchair and companion seats, and an evening show two days ahead."""
    from marquee.catalog.services import seats_generate

    # The demo theater's surcharges: premium 2 EUR more, VIP 5 EUR.
    theater = factories.TheaterFactory(
        surcharge_kind="amount",
        surcharge_currency="EUR",
        premium_surcharge=Decimal("2.00"),
        vip_surcharge=Decimal("5.00"),
    )
    screen = factories.ScreenFactory(name="Screen 1", theater=theater)
    seats_generate(
        screen=screen,
        rows=10,
        per_row=14,
        aisles_after=[3, 11],
        premium_rows="H-I",
        vip_rows="J",
        wheelchair=["A1", "A2"],
        companion=["A3"],
    )
    movie = factories.MovieFactory(title="Orbit of Ashes", duration_minutes=142)
    return factories.ShowtimeFactory(
        screen=screen,
        movie=movie,
        starts_at=factories.evening_in(2, screen.theater.timezone, hour=20),
        base_price="12.50",
    )


# --- Browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium per test module (tests marked `browser` only)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():  # pragma: no cover - the marker's skip normally comes first
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Pages:
    """Opens pages in fresh browser contexts (separate cookies: separate people) and fails
    the test on a JavaScript error or a Content-Security-Policy violation."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.contexts, self.problems = [], []

    def new(self, *, viewport=DESKTOP, locale="en-US", java_script=True):
        context = self.browser.new_context(
            viewport=viewport,
            locale=locale,
            java_script_enabled=java_script,
            base_url=self.base_url,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)
        return page

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP: {text}")
        elif message.type == "error" and "Failed to load resource" not in text:
            self.problems.append(f"console error: {text}")

    def login(self, page, username: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.get_by_role("button", name="Log in").last.click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(chromium, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    opened = Pages(chromium, live_server.url)
    yield opened
    opened.close()
    assert not opened.problems, opened.problems


class AsgiLiveServer:
    """The project's ASGI application (what `make run` and `make live` serve) under uvicorn, in
    a thread of the test process, on a free port, with the static files as the live server
    has them. Django's `live_server` is WSGI: the live seat map refuses it (421)."""

    def __init__(self) -> None:
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.core.asgi import get_asgi_application

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from marquee.live.asgi import live_routed

        config = uvicorn.Config(
            # As config/asgi.py: the streams to the plain handler, the rest to Django.
            live_routed(ASGIStaticFilesHandler(get_asgi_application())),
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi-live-server")
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.stop()
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def asgi_live_server(transactional_db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    server = AsgiLiveServer()
    yield server
    server.stop()


@pytest.fixture
def asgi_pages(chromium, asgi_live_server):
    """`pages` against the ASGI server: the site with its live seat map."""
    opened = Pages(chromium, asgi_live_server.url)
    yield opened
    opened.close()
    assert not opened.problems, opened.problems


def axe_check(page) -> list[dict]:
    """Run axe-core on the page; the serious and critical violations (empty: none)."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def assert_accessible(page) -> None:
    violations = axe_check(page)
    assert not violations, f"axe on {page.url}: {violations}"
