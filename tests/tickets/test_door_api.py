"""The door's API: public keys, the check-in list and its delta feed, scans in and out with
every refusal, undo, re-entry, and idempotent offline uploads with conflicts."""

import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marquee.booking.models import Ticket
from marquee.booking.services import booking_cancel
from marquee.catalog.models import Showtime
from marquee.tickets.codes import b64url_decode, code_digest, hmac_ticket_code, ticket_code
from marquee.tickets.models import DoorPolicy, DoorScan
from tests import factories
from tests.tickets.test_codes import seed

pytestmark = pytest.mark.django_db


def nonce() -> str:
    return uuid.uuid4().hex


def scan(client, code, **fields):
    body = {"code": code, "device": "Door 1"} | fields
    return client.post("/api/door/scans/", body, format="json")


def undo(client, scan_nonce):
    return client.post(f"/api/door/scans/{scan_nonce}/undo/", format="json")


def upload(client, device, *scans):
    return client.post(
        "/api/door/uploads/", {"device": device, "scans": list(scans)}, format="json"
    )


def listing(client, *showtimes, since=None):
    query = {"showtimes": ",".join(str(s) for s in showtimes)}
    if since:
        query["since"] = since
    return client.get("/api/door/checkin-list/", query)


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def offline(code, *, at, direction="entry", scan_nonce=None, **extra):
    return {
        "nonce": scan_nonce or nonce(),
        "code": code,
        "direction": direction,
        "scanned_at": at.isoformat(),
    } | extra


@pytest.fixture
def ticket(book):
    return book(["E5"]).tickets.select_related("seat").get()


@pytest.fixture
def reentry(showtime):
    DoorPolicy.objects.create(showtime=showtime, reentry_allowed=True)


# --- Public keys -------------------------------------------------------------------------------


def test_public_keys_verify_a_ticket_code(staff_client, ticket):
    body = staff_client.get("/api/door/keys/").json()
    signing = body["keys"][0]
    assert signing["signs"] and signing["algorithm"] == "Ed25519"
    assert body["hmac_codes_accepted"] is True

    code = ticket_code(ticket)
    message, _, signature = code.rpartition(".")
    assert message.split(".")[1] == signing["key_id"]
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(signing["public_key"]))
    public.verify(b64url_decode(signature), message.encode())


def test_a_rotated_out_key_is_still_published(settings, ticket):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    settings.TICKET_SIGNING_ED25519_KEYS = [f"new:{seed(new)}", f"old:{seed(old)}"]
    client = Client()
    client.force_login(factories.UserFactory(role="staff"))
    keys = client.get("/api/door/keys/").json()["keys"]
    assert [(k["key_id"], k["signs"]) for k in keys] == [("new", True), ("old", False)]


# --- Scans -------------------------------------------------------------------------------------


def test_a_scan_admits_and_says_seat_type_and_showtime(staff_client, staff_user, showtime, ticket):
    response = scan(staff_client, ticket_code(ticket), nonce="scan-0001", showtimes=[showtime.pk])

    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "admitted" and body["direction"] == "entry"
    assert body["replayed"] is False and body["device"] == "Door 1"
    assert body["ticket"]["seat"] == {"row": "E", "number": 5, "tier": "vip", "kind": "regular"}
    assert body["ticket"]["ticket_type"] == "adult"  # the default type, snapshot on the ticket
    assert body["showtime"]["id"] == showtime.pk
    assert body["showtime"]["movie"] == "The Night Usher"
    ticket.refresh_from_db()
    assert ticket.checked_in_by == staff_user
    assert parse_datetime(body["ticket"]["checked_in_at"]) == ticket.checked_in_at
    assert DoorScan.objects.get(nonce="scan-0001").device == "Door 1"


def test_a_second_scan_says_when_and_at_which_device(staff_client, ticket):
    first = scan(staff_client, ticket_code(ticket), device="Door 1").json()
    again = scan(staff_client, ticket_code(ticket), device="Door 2")
    assert error_of(again) == (409, "already_checked_in")
    details = again.json()["error"]["details"]
    assert details["device"] == "Door 1"
    assert parse_datetime(details["checked_in_at"]) == parse_datetime(first["scanned_at"])


def test_a_ticket_of_another_showtime_is_refused_with_its_showtime(
    staff_client, book, screen, showtime
):
    other = factories.ShowtimeFactory(
        screen=factories.screen_with_seats(rows=1, per_row=4, theater=screen.theater),
        starts_at=showtime.starts_at,
    )
    ticket = book(["A1"], showtime=other).tickets.get()
    response = scan(staff_client, ticket_code(ticket), showtimes=[showtime.pk])
    assert error_of(response) == (409, "wrong_showtime")
    assert response.json()["error"]["details"]["showtime"] == other.pk
    assert error_of(scan(staff_client, ticket_code(ticket), screens=[screen.pk])) == (
        409,
        "wrong_screen",
    )
    assert scan(staff_client, ticket_code(ticket), screens=[other.screen_id]).status_code == 200


def test_a_ticket_for_another_day_is_refused(staff_client, book, screen):
    later = factories.ShowtimeFactory(screen=screen, starts_at=timezone.now() + timedelta(days=2))
    ticket = book(["B2"], showtime=later).tickets.get()
    assert error_of(scan(staff_client, ticket_code(ticket))) == (409, "wrong_day")


def test_a_cancelled_ticket_is_refused(staff_client, staff_user, ticket):
    booking_cancel(booking=ticket.booking, actor=staff_user)
    response = scan(staff_client, ticket_code(ticket))
    assert error_of(response) == (409, "ticket_not_valid")
    assert response.json()["error"]["details"] == {"status": "cancelled"}


def test_a_ticket_of_a_cancelled_showtime_is_refused(staff_client, showtime, ticket):
    Showtime.objects.filter(pk=showtime.pk).update(status="cancelled")
    assert error_of(scan(staff_client, ticket_code(ticket))) == (409, "showtime_cancelled")


def test_a_forged_code_is_refused(staff_client, ticket):
    code = ticket_code(ticket)
    forged = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
    assert error_of(scan(staff_client, forged)) == (400, "invalid_ticket_code")
    assert not DoorScan.objects.exists()


def test_an_hmac_code_is_admitted_during_the_transition(staff_client, ticket):
    assert scan(staff_client, hmac_ticket_code(ticket)).json()["result"] == "admitted"


def test_a_retried_nonce_gets_the_first_answer_not_a_refusal(staff_client, ticket):
    first = scan(staff_client, ticket_code(ticket), nonce="retry-0001").json()
    again = scan(staff_client, ticket_code(ticket), nonce="retry-0001")
    assert again.status_code == 200
    assert again.json() | {"replayed": False} == first
    assert again.json()["replayed"] is True
    assert DoorScan.objects.count() == 1


def test_a_nonce_of_another_ticket_is_refused(staff_client, book, ticket):
    other = book(["A2"]).tickets.get()
    scan(staff_client, ticket_code(ticket), nonce="reused-0001")
    assert error_of(scan(staff_client, ticket_code(other), nonce="reused-0001")) == (
        409,
        "nonce_reused",
    )


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"code": ""},
        {"code": "x" * 201},
        {"code": 12345},
        {"code": ["a"]},
        {"code": "T1.x", "nonce": "short"},
        {"code": "T1.x", "nonce": "bad nonce with spaces"},
        {"code": "T1.x", "nonce": 12345678},
        {"code": "T1.x", "direction": "sideways"},
        {"code": "T1.x", "showtimes": "3"},
        {"code": "T1.x", "showtimes": [0]},
        {"code": "T1.x", "showtimes": list(range(1, 30))},
        {"code": "T1.x", "screens": ["x"]},
        {"code": "T1.x", "device": "d" * 65},
    ],
)
def test_malformed_scan_input_is_400(staff_client, payload):
    response = staff_client.post("/api/door/scans/", payload, format="json")
    assert error_of(response) == (400, "invalid")


def test_a_garbage_or_oversized_body_is_4xx_not_500(staff_client):
    assert staff_client.post("/api/door/scans/", ["code"], format="json").status_code == 400
    big = {"code": "T1." + "a" * 5_000_000}
    assert staff_client.post("/api/door/scans/", big, format="json").status_code in (400, 413)


# --- Undo --------------------------------------------------------------------------------------


def test_undo_within_the_window_lets_the_ticket_in_again(staff_client, ticket):
    scan(staff_client, ticket_code(ticket), nonce="undo-0001")
    response = undo(staff_client, "undo-0001")
    assert response.status_code == 200
    assert response.json()["undone_at"] is not None
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None and ticket.checked_in_by is None
    assert scan(staff_client, ticket_code(ticket)).json()["result"] == "admitted"


def test_undo_twice_answers_the_same(staff_client, ticket):
    scan(staff_client, ticket_code(ticket), nonce="undo-0002")
    first = undo(staff_client, "undo-0002").json()
    assert undo(staff_client, "undo-0002").json() == first


def test_undo_after_the_window_is_refused(settings, staff_client, ticket):
    settings.DOOR_UNDO_SECONDS = 120
    scan(staff_client, ticket_code(ticket), nonce="undo-0003")
    DoorScan.objects.filter(nonce="undo-0003").update(
        recorded_at=timezone.now() - timedelta(seconds=121)
    )
    assert error_of(undo(staff_client, "undo-0003")) == (409, "undo_window_passed")
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None


def test_only_the_latest_scan_of_a_ticket_can_be_undone(staff_client, reentry, ticket):
    scan(staff_client, ticket_code(ticket), nonce="undo-in-01")
    scan(staff_client, ticket_code(ticket), nonce="undo-out-01", direction="exit")
    assert error_of(undo(staff_client, "undo-in-01")) == (409, "undo_not_latest")
    assert undo(staff_client, "undo-out-01").status_code == 200
    # The exit is taken back: the guest is inside again, so another entry is refused.
    assert error_of(scan(staff_client, ticket_code(ticket))) == (409, "already_checked_in")


@pytest.mark.parametrize("bad", ["no-such-nonce", "x", "a" * 65, "bad%20nonce"])
def test_undo_of_an_unknown_or_malformed_nonce_is_404(staff_client, bad):
    assert error_of(undo(staff_client, bad)) == (404, "scan_not_found")


# --- Exit and re-entry ---------------------------------------------------------------------------


def test_exit_scans_need_a_showtime_that_allows_reentry(staff_client, ticket):
    scan(staff_client, ticket_code(ticket))
    assert error_of(scan(staff_client, ticket_code(ticket), direction="exit")) == (
        409,
        "reentry_not_allowed",
    )


def test_with_reentry_a_guest_goes_out_and_back_in(staff_client, reentry, ticket):
    first = scan(staff_client, ticket_code(ticket)).json()
    assert error_of(scan(staff_client, ticket_code(ticket))) == (409, "already_checked_in")
    assert scan(staff_client, ticket_code(ticket), direction="exit").json()["direction"] == "exit"
    assert error_of(scan(staff_client, ticket_code(ticket), direction="exit")) == (
        409,
        "not_checked_in",
    )
    back = scan(staff_client, ticket_code(ticket))
    assert back.json()["result"] == "admitted"
    ticket.refresh_from_db()  # the first admission stays the ticket's check-in
    assert ticket.checked_in_at == parse_datetime(first["scanned_at"])


def test_a_ticket_never_admitted_cannot_go_out(staff_client, reentry, ticket):
    assert error_of(scan(staff_client, ticket_code(ticket), direction="exit")) == (
        409,
        "not_checked_in",
    )


def test_staff_set_the_reentry_policy(staff_client, customer_client, showtime):
    url = f"/api/door/showtimes/{showtime.pk}/policy/"
    response = staff_client.put(url, {"reentry_allowed": True}, format="json")
    assert response.status_code == 200 and response.json()["reentry_allowed"] is True
    assert DoorPolicy.objects.get(showtime=showtime).reentry_allowed
    assert error_of(customer_client.put(url, {"reentry_allowed": False}, format="json")) == (
        403,
        "permission_denied",
    )
    assert error_of(
        staff_client.put(
            "/api/door/showtimes/999999/policy/", {"reentry_allowed": True}, format="json"
        )
    ) == (404, "showtime_not_found")
    assert error_of(staff_client.put(url, {}, format="json")) == (400, "invalid")


# --- The check-in list and its delta feed --------------------------------------------------------


def test_the_list_has_every_sold_ticket_with_digest_seat_and_state(
    staff_client, book, showtime, ticket
):
    cancelled = book(["A1"])
    booking_cancel(booking=cancelled, actor=None)
    book(["A2"], confirm=False)  # held: not the door's business
    scan(staff_client, ticket_code(ticket), device="Door 3")

    body = listing(staff_client, showtime.pk).json()

    assert body["full"] is True and body["cursor"].startswith("c1-")
    assert [s["id"] for s in body["showtimes"]] == [showtime.pk]
    assert body["showtimes"][0]["reentry_allowed"] is False
    rows = {row["id"]: row for row in body["tickets"]}
    assert set(rows) == {ticket.pk, cancelled.tickets.get().pk}
    row = rows[ticket.pk]
    assert row["digest"] == code_digest(ticket.pk, ticket.secret)
    assert ticket.secret not in str(body)
    assert row["seat"] == {"row": "E", "number": 5, "tier": "vip", "kind": "regular"}
    assert (row["status"], row["inside"], row["last_device"]) == ("sold", True, "Door 3")
    assert rows[cancelled.tickets.get().pk]["status"] == "cancelled"


def test_the_delta_feed_sends_only_what_changed(settings, staff_client, book, showtime, ticket):
    settings.DOOR_FEED_OVERLAP_SECONDS = 0
    quiet = book(["A3"]).tickets.get()
    cursor = listing(staff_client, showtime.pk).json()["cursor"]

    nothing = listing(staff_client, showtime.pk, since=cursor).json()
    assert nothing["full"] is False and nothing["tickets"] == []

    scan(staff_client, ticket_code(ticket))
    sold_later = book(["B1"]).tickets.get()
    delta = listing(staff_client, showtime.pk, since=nothing["cursor"]).json()
    assert {row["id"] for row in delta["tickets"]} == {ticket.pk, sold_later.pk}
    assert quiet.pk not in {row["id"] for row in delta["tickets"]}

    booking_cancel(booking=quiet.booking, actor=None)
    delta = listing(staff_client, showtime.pk, since=delta["cursor"]).json()
    assert [(row["id"], row["status"]) for row in delta["tickets"]] == [(quiet.pk, "cancelled")]


def test_the_delta_feed_repeats_a_recent_window_for_late_commits(
    settings, staff_client, showtime, ticket
):
    settings.DOOR_FEED_OVERLAP_SECONDS = 60
    cursor = listing(staff_client, showtime.pk).json()["cursor"]
    # Confirmed a moment before the cursor, by a transaction that committed after it.
    assert [
        row["id"] for row in listing(staff_client, showtime.pk, since=cursor).json()["tickets"]
    ] == [ticket.pk]


def test_an_undo_shows_in_the_delta_feed(settings, staff_client, showtime, ticket):
    settings.DOOR_FEED_OVERLAP_SECONDS = 0
    scan(staff_client, ticket_code(ticket), nonce="feed-undo-1")
    cursor = listing(staff_client, showtime.pk).json()["cursor"]
    undo(staff_client, "feed-undo-1")
    (row,) = listing(staff_client, showtime.pk, since=cursor).json()["tickets"]
    assert (row["id"], row["inside"], row["checked_in_at"]) == (ticket.pk, False, None)


def test_an_old_cursor_gets_the_full_list(staff_client, showtime, ticket):
    old = f"c1-{int((timezone.now() - timedelta(days=1)).timestamp() * 1_000_000)}"
    body = listing(staff_client, showtime.pk, since=old).json()
    assert body["full"] is True and [row["id"] for row in body["tickets"]] == [ticket.pk]


def test_the_list_costs_the_same_queries_for_many_tickets(
    staff_client, book, showtime, django_assert_max_num_queries
):
    for row in "ABCD":
        book([f"{row}{n}" for n in range(1, 9)])
    with django_assert_max_num_queries(8):
        body = listing(staff_client, showtime.pk).json()
    assert len(body["tickets"]) == 32


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, (400, "invalid")),
        ({"showtimes": ""}, (400, "invalid")),
        ({"showtimes": "a,b"}, (400, "invalid")),
        ({"showtimes": "0"}, (400, "invalid")),
        ({"showtimes": ",".join(str(n) for n in range(1, 30))}, (400, "invalid")),
        ({"showtimes": "9" * 30}, (400, "invalid")),
        ({"showtimes": "999999"}, (404, "showtime_not_found")),
        ({"showtimes": "{showtime}", "since": "yesterday"}, (400, "invalid_cursor")),
        ({"showtimes": "{showtime}", "since": "c1-" + "9" * 30}, (400, "invalid_cursor")),
        ({"showtimes": "{showtime}", "since": "c1--5"}, (400, "invalid_cursor")),
    ],
)
def test_bad_list_queries_are_4xx(staff_client, showtime, query, expected):
    query = {key: value.format(showtime=showtime.pk) for key, value in query.items()}
    assert error_of(staff_client.get("/api/door/checkin-list/", query)) == expected


def test_todays_showtimes_for_the_door(staff_client, showtime, screen):
    factories.ShowtimeFactory(screen=screen, starts_at=timezone.now() + timedelta(days=3))
    body = staff_client.get("/api/door/showtimes/").json()
    assert [row["id"] for row in body] == [showtime.pk]


# --- Offline uploads -----------------------------------------------------------------------------


def test_an_offline_admission_uploads_once_however_often_it_is_sent(staff_client, ticket):
    at = timezone.now() - timedelta(minutes=5)
    item = offline(ticket_code(ticket), at=at, scan_nonce="offline-0001")

    first = upload(staff_client, "Door 2", item).json()["results"]
    again = upload(staff_client, "Door 2", item).json()["results"]

    assert [(r["nonce"], r["result"]) for r in first] == [("offline-0001", "admitted")]
    assert again[0]["result"] == "admitted" and again[0]["scan"]["replayed"] is True
    assert DoorScan.objects.count() == 1
    scan_row = DoorScan.objects.get()
    assert (scan_row.offline, scan_row.device, scan_row.scanned_at) == (True, "Door 2", at)
    ticket.refresh_from_db()
    assert ticket.checked_in_at == at


def test_two_devices_admitting_one_ticket_offline_is_a_conflict(staff_client, ticket):
    at = timezone.now() - timedelta(minutes=10)
    upload(staff_client, "Door 1", offline(ticket_code(ticket), at=at))
    response = upload(
        staff_client, "Door 2", offline(ticket_code(ticket), at=at + timedelta(minutes=2))
    )

    (result,) = response.json()["results"]
    assert (result["result"], result["code"]) == ("conflict", "already_checked_in")
    assert result["details"]["device"] == "Door 1"
    assert parse_datetime(result["details"]["checked_in_at"]) == at
    assert result["scan"]["device"] == "Door 2"
    # Both scans are kept; the ticket's check-in is still the first device's.
    assert sorted(DoorScan.objects.values_list("device", "result")) == [
        ("Door 1", "admitted"),
        ("Door 2", "conflict"),
    ]
    ticket.refresh_from_db()
    assert ticket.checked_in_at == at


def test_a_re_uploaded_conflict_is_not_counted_twice(staff_client, ticket):
    at = timezone.now() - timedelta(minutes=10)
    upload(staff_client, "Door 1", offline(ticket_code(ticket), at=at))
    item = offline(ticket_code(ticket), at=at, scan_nonce="conflict-01")
    upload(staff_client, "Door 2", item)
    (again,) = upload(staff_client, "Door 2", item).json()["results"]
    assert again["result"] == "conflict" and again["scan"]["replayed"] is True
    assert DoorScan.objects.filter(result="conflict").count() == 1


def test_a_ticket_cancelled_while_the_door_was_offline_is_a_conflict(
    staff_client, staff_user, ticket
):
    booking_cancel(booking=ticket.booking, actor=staff_user)
    (result,) = upload(
        staff_client, "Door 1", offline(ticket_code(ticket), at=timezone.now())
    ).json()["results"]
    assert (result["result"], result["code"]) == ("conflict", "ticket_not_valid")


def test_a_forged_code_in_an_upload_is_refused_and_not_kept(staff_client, ticket):
    code = ticket_code(ticket)
    forged = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
    good = offline(code, at=timezone.now())
    results = upload(staff_client, "Door 1", offline(forged, at=timezone.now()), good).json()
    assert [(r["result"], r["code"]) for r in results["results"]] == [
        ("refused", "invalid_ticket_code"),
        ("admitted", ""),
    ]
    assert DoorScan.objects.count() == 1


def test_an_upload_is_applied_in_the_order_the_scans_happened(staff_client, reentry, ticket):
    now = timezone.now()
    code = ticket_code(ticket)
    results = upload(
        staff_client,
        "Door 1",
        offline(code, at=now - timedelta(minutes=1)),  # back in
        offline(code, at=now - timedelta(minutes=3)),  # in
        offline(code, at=now - timedelta(minutes=2), direction="exit"),  # out
    ).json()["results"]
    assert [r["result"] for r in results] == ["admitted"] * 3
    assert [r["scan"]["direction"] for r in results] == ["entry", "entry", "exit"]
    assert DoorScan.objects.filter(ticket=ticket).order_by("scanned_at").last().direction == "entry"


def test_a_device_clock_ahead_of_the_server_is_clamped(staff_client, ticket):
    ahead = timezone.now() + timedelta(hours=1)
    upload(staff_client, "Door 1", offline(ticket_code(ticket), at=ahead))
    ticket.refresh_from_db()
    assert ticket.checked_in_at <= timezone.now()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"device": "Door 1"},
        {"device": "Door 1", "scans": []},
        {
            "device": "",
            "scans": [{"nonce": "abcdefgh", "code": "x", "scanned_at": "2026-01-01T00:00Z"}],
        },
        {"device": "Door 1", "scans": [{"code": "x", "scanned_at": "2026-01-01T00:00Z"}]},
        {"device": "Door 1", "scans": [{"nonce": "abcdefgh", "code": "x"}]},
        {"device": "Door 1", "scans": [{"nonce": "abcdefgh", "code": "x", "scanned_at": "soon"}]},
        {"device": "Door 1", "scans": "not a list"},
        {
            "device": "Door 1",
            "scans": [
                {"nonce": f"nonce-{n:05}", "code": "x", "scanned_at": "2026-01-01T00:00Z"}
                for n in range(501)
            ],
        },
    ],
)
def test_malformed_uploads_are_400(staff_client, body):
    assert error_of(staff_client.post("/api/door/uploads/", body, format="json")) == (
        400,
        "invalid",
    )


# --- Who may use the door ------------------------------------------------------------------------

DOOR_CALLS = [
    ("get", "/api/door/keys/", None),
    ("get", "/api/door/showtimes/", None),
    ("get", "/api/door/checkin-list/?showtimes=1", None),
    ("post", "/api/door/scans/", {"code": "x"}),
    ("post", "/api/door/scans/abcdefgh/undo/", None),
    ("post", "/api/door/uploads/", {"device": "x", "scans": []}),
    ("put", "/api/door/showtimes/1/policy/", {"reentry_allowed": True}),
]


@pytest.mark.parametrize("method, url, body", DOOR_CALLS)
def test_customers_get_403_and_strangers_401(customer_client, api_client, method, url, body):
    assert error_of(getattr(customer_client, method)(url, body, format="json")) == (
        403,
        "permission_denied",
    )
    assert error_of(getattr(api_client, method)(url, body, format="json")) == (
        401,
        "not_authenticated",
    )


def test_the_scanner_page_session_works_with_its_csrf_token(staff_user, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    body = {"code": ticket_code(ticket), "device": "Door 1"}
    refused = client.post("/api/door/scans/", body, content_type="application/json")
    assert refused.status_code == 403

    client.get("/api/door/keys/")  # a safe request: allowed, and no state changed
    token = "a" * 32
    client.cookies["csrftoken"] = token
    admitted = client.post(
        "/api/door/scans/", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert admitted.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is not None
