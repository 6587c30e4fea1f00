import re

import pytest
from django.core import signing

from marquee.booking.models import Ticket
from marquee.common.errors import http_status
from marquee.tickets.codes import SALT, SEPARATOR, parse_ticket_code, ticket_code
from marquee.tickets.errors import TicketError

pytestmark = pytest.mark.django_db


def genuine(ticket_id, secret, **signer_options) -> str:
    options = {"salt": SALT, "sep": SEPARATOR} | signer_options
    return signing.Signer(**options).sign(f"{ticket_id}{SEPARATOR}{secret}")


@pytest.fixture
def ticket():
    return Ticket(pk=4711, secret="q3Jx-9_kLmN0pQrS")


def test_code_round_trips_to_ticket_id_and_secret(ticket, django_assert_num_queries):
    code = ticket_code(ticket)
    with django_assert_num_queries(0):
        assert parse_ticket_code(code) == (4711, "q3Jx-9_kLmN0pQrS")


def test_code_is_compact_and_url_safe(ticket):
    code = ticket_code(ticket)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", code)
    assert len(code) <= 80
    assert "q3Jx-9_kLmN0pQrS" in code  # the secret is signed, not encrypted


def test_scanner_whitespace_around_a_code_is_ignored(ticket):
    assert parse_ticket_code(f"  {ticket_code(ticket)}\n") == (4711, "q3Jx-9_kLmN0pQrS")


def test_codes_of_different_tickets_differ():
    assert ticket_code(Ticket(pk=1, secret="a" * 16)) != ticket_code(Ticket(pk=2, secret="a" * 16))


def tampered_codes() -> dict[str, object]:
    code = genuine(4711, "q3Jx-9_kLmN0pQrS")
    ticket_id, secret, signature = code.split(SEPARATOR)
    return {
        "other id": SEPARATOR.join(["4712", secret, signature]),
        "other secret": SEPARATOR.join([ticket_id, "q3Jx-9_kLmN0pQrT", signature]),
        "truncated signature": code[:-1],
        "no signature": f"{ticket_id}{SEPARATOR}{secret}",
        "other key": genuine(4711, "q3Jx-9_kLmN0pQrS", key="not-the-site-key"),
        "other salt": genuine(4711, "q3Jx-9_kLmN0pQrS", salt="marquee.password-reset"),
        "signed but no secret": genuine(4711, ""),
        "signed but id zero": genuine(0, "abc"),
        "signed but id too big": genuine(2**63, "abc"),
        "signed but id not a number": genuine("abc", "def"),
        "signed but unicode digits": genuine("\u0664\u0667", "abc"),
        "empty": "",
        "blank": "   ",
        "garbage": "hello world",
        "oversized": "1." + "a" * 10_000,
        "non-ascii": "4711.\u00e9\u00e9.\u2603",
        "nul": "4711.\x00.x",
        "none": None,
        "number": 4711,
        "bytes": code.encode(),
        "list": [code],
    }


@pytest.mark.parametrize("name", list(tampered_codes()))
def test_forged_or_garbled_code_is_rejected_without_queries(name, django_assert_num_queries):
    code = tampered_codes()[name]
    with django_assert_num_queries(0), pytest.raises(TicketError) as refused:
        parse_ticket_code(code)
    assert (http_status(refused.value), refused.value.code) == (400, "invalid_ticket_code")


OLD_KEY = "the-ticket-key-before-the-rotation-" + "a" * 30
NEW_KEY = "the-ticket-key-after-the-rotation-" + "b" * 30


def test_codes_are_signed_with_the_ticket_key(settings, ticket):
    settings.TICKET_SIGNING_KEY = OLD_KEY
    code = ticket_code(ticket)

    assert code == genuine(4711, "q3Jx-9_kLmN0pQrS", key=OLD_KEY)
    settings.SECRET_KEY = "another-site-secret-key-" + "c" * 40  # the site key is not used
    assert parse_ticket_code(code) == (4711, "q3Jx-9_kLmN0pQrS")


def test_codes_issued_before_a_key_rotation_still_verify_after_it(settings, ticket):
    settings.TICKET_SIGNING_KEY = OLD_KEY
    old_code = ticket_code(ticket)

    settings.TICKET_SIGNING_KEY, settings.TICKET_SIGNING_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]

    assert parse_ticket_code(old_code) == (4711, "q3Jx-9_kLmN0pQrS")
    assert ticket_code(ticket) == genuine(4711, "q3Jx-9_kLmN0pQrS", key=NEW_KEY)


def test_codes_of_a_key_no_longer_listed_as_fallback_are_refused(settings, ticket):
    settings.TICKET_SIGNING_KEY = OLD_KEY
    old_code = ticket_code(ticket)

    settings.TICKET_SIGNING_KEY, settings.TICKET_SIGNING_KEY_FALLBACKS = NEW_KEY, []

    with pytest.raises(TicketError) as refused:
        parse_ticket_code(old_code)
    assert (http_status(refused.value), refused.value.code) == (400, "invalid_ticket_code")
