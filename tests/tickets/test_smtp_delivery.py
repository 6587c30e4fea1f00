"""The confirmation email through a real SMTP conversation, parsed as a mail client would."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from marquee.tickets import emails
from marquee.tickets.codes import ticket_code
from marquee.tickets.qr import ticket_qr_png

pytestmark = pytest.mark.django_db


class Inbox:
    """An aiosmtpd handler keeping every envelope it is handed."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()


def test_confirmation_email_arrives_over_smtp_with_text_html_and_qr_images(
    smtp_inbox, book, berlin_showtime, customer
):
    booking = book(["A1", "E4"], showtime=berlin_showtime)
    tickets = list(booking.tickets.select_related("seat").order_by("seat__y"))

    assert emails.send_booking_confirmation(booking.pk) is True

    (envelope,) = smtp_inbox.envelopes
    assert envelope.rcpt_tos == [customer.email]
    message = message_from_bytes(envelope.content, policy=policy.default)
    when = emails.local_start_text(berlin_showtime)
    assert message["Subject"] == " ".join(f"Your tickets for Metropolis, {when}".split())
    assert message["To"] == customer.email

    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Metropolis" in text and when in text and "Kino Babylon" in text
    assert "Row A, seat 1 (Standard): €10.00" in text
    assert "Row E, seat 4 (VIP): €15.00" in text
    assert "Total: €25.00" in text

    html = message.get_body(preferencelist=("html",)).get_content()
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "<strong>Total: €25.00</strong>" in html

    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == len(tickets) == 2
    for ticket, image in zip(tickets, images, strict=True):
        content_id = image["Content-ID"].strip("<>")
        assert f'src="cid:{content_id}"' in html
        assert ticket_code(ticket) in text
        assert image.get_content() == ticket_qr_png(ticket)
        assert image.get_filename() == f"ticket-{ticket.pk}.png"
