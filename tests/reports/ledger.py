"""An independent tally of the sale: plain Python over the ticket, payment and refund rows."""

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from marquee.booking.models import Ticket
from marquee.payments.models import Payment, Refund


def local_show_date(showtime):
    return showtime.starts_at.astimezone(ZoneInfo(showtime.screen.theater.timezone)).date()


def ledger(*, first_day, last_day, group):
    """{(group(showtime), currency): {tickets_sold, gross, refunds, net}} for shows in range."""
    tally = defaultdict(lambda: {"tickets_sold": 0, "gross": Decimal("0"), "refunds": Decimal("0")})

    def counts(showtime):
        return first_day <= local_show_date(showtime) <= last_day

    for ticket in Ticket.objects.select_related("booking", "showtime__screen__theater"):
        if ticket.status == "sold" and counts(ticket.showtime):
            tally[(group(ticket.showtime), ticket.booking.currency)]["tickets_sold"] += 1
    for payment in Payment.objects.select_related("booking__showtime__screen__theater"):
        captured = {"succeeded", "duplicate", "refunded"}
        if payment.status in captured and counts(payment.booking.showtime):
            tally[(group(payment.booking.showtime), payment.currency)]["gross"] += payment.amount
    for refund in Refund.objects.select_related("payment__booking__showtime__screen__theater"):
        showtime = refund.payment.booking.showtime
        if refund.status == "succeeded" and counts(showtime):
            tally[(group(showtime), refund.currency)]["refunds"] += refund.amount
    return {
        key: {**values, "net": values["gross"] - values["refunds"]} for key, values in tally.items()
    }


def as_tally(rows, identity):
    """The report's rows in the ledger's shape."""
    return {
        (row[identity], row["currency"]): {
            "tickets_sold": row["tickets_sold"],
            "gross": Decimal(row["gross"]),
            "refunds": Decimal(row["refunds"]),
            "net": Decimal(row["net"]),
        }
        for row in rows
    }
