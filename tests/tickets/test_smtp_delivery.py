"""The confirmation email through a real SMTP conversation, parsed as a mail client would."""

from email import message_from_bytes, policy

import pytest

from marquee.tickets import emails
from marquee.tickets.codes import ticket_code
from marquee.tickets.qr import ticket_qr_png
from tests.tickets.conftest import queued, send_queued

pytestmark = pytest.mark.django_db


def test_confirmation_email_arrives_over_smtp_with_text_html_and_qr_images(
    smtp_inbox, book, berlin_showtime, customer
):
    booking = book(["A1", "E4"], showtime=berlin_showtime)
    tickets = list(booking.tickets.select_related("seat").order_by("seat__y"))

    assert send_queued(booking) == "sent"

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
    delivery = queued(booking)
    assert (delivery.status, delivery.recipient, delivery.attempts) == ("sent", customer.email, 1)
