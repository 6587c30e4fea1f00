"""The dashboard (staff and admins): tonight and this week, sales over time, occupancy per
movie and per screen, a seat heatmap per screen and revenue per seat-hour. Every figure comes
from `marquee.reports` (the same selectors as the reports API); each chart is SVG drawn here
(`dashboard_charts`), with its numbers in a table beside it and as a CSV download."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from marquee.catalog.models import Screen, Theater
from marquee.common.errors import DomainError
from marquee.common.formats import money
from marquee.reports import dashboard
from marquee.reports import selectors as report_selectors
from marquee.reports.renderers import CSVRenderer
from marquee.staff.boxoffice_views import staff_page
from marquee.staff.dashboard_charts import (
    Bar,
    bar_chart,
    column_chart,
    seat_heatmap_chart,
)


class BadParameters(Exception):
    pass


def _date(request, name: str) -> date | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameters(name) from None


def _int(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 12):
        raise BadParameters(name)
    return int(raw)


def dashboard_zone() -> str:
    """The clock the sales-over-time charts count days and hours by: the theater's when there
    is one theater (or all share a zone), else UTC."""
    zones = set(Theater.objects.values_list("timezone", flat=True).distinct()[:2])
    return zones.pop() if len(zones) == 1 else "UTC"


def dashboard_figures(request, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the page and its CSV files show, from the request's parameters:
    `from`, `to` (the report period), `day` (the hourly chart's day), `screen` (the heatmap's),
    `theater` (the refunds table's, optional)."""
    now = now or timezone.now()
    period = report_selectors.report_period(start=_date(request, "from"), end=_date(request, "to"))
    zone = dashboard_zone()
    daily = dashboard.sales_over_time(period=period, bucket="day", zone_name=zone)
    day = _date(request, "day") or dashboard.busiest_sale_day(period=period, zone_name=zone)
    day = day or now.astimezone(report_selectors._zone(zone)).date()
    since, until = dashboard.day_window(day, zone)
    hourly = dashboard.sales_over_time(
        period=period, bucket="hour", zone_name=zone, since=since, until=until
    )
    occupancy = report_selectors.occupancy_report(period=period, now=now)
    screens = list(Screen.objects.select_related("theater").order_by("theater__name", "name"))
    screen_id = _int(request, "screen")
    if screen_id is None:
        busiest = max(occupancy["showtimes"], key=lambda row: row["sold"], default=None)
        screen_id = next(
            (
                s.pk
                for s in screens
                if busiest and (s.theater_id, s.name) == (busiest["theater_id"], busiest["screen"])
            ),
            None,
        ) or (screens[0].pk if screens else None)
    heatmap = None
    if screen_id is not None:
        try:
            heatmap = dashboard.seat_heatmap(screen_id=screen_id, period=period)
        except DomainError:
            raise BadParameters("screen") from None
    return {
        "now": now,
        "period": period,
        "zone": zone,
        "shows": dashboard.showtimes_on_sale(now=now, days=7),
        "daily": daily,
        "day": day,
        "hourly": hourly,
        "occupancy": occupancy,
        "by_screen": dashboard.occupancy_by_screen(occupancy=occupancy),
        "screens": screens,
        "heatmap": heatmap,
        "seat_hours": dashboard.revenue_per_seat_hour(period=period),
        "refunds": report_selectors.refunds_by_reason(
            period=period, theater_id=_int(request, "theater")
        ),
    }


def _tickets_by_bucket(rows: list[dict]) -> dict[datetime, int]:
    totals: dict[datetime, int] = {}
    for row in rows:
        totals[row["bucket"]] = totals.get(row["bucket"], 0) + row["tickets_sold"]
    return totals


def _charts(figures: dict[str, Any]) -> dict[str, Any]:
    period = figures["period"]
    # Sales per day: every day of the sales' span, empty days included.
    per_day = {
        moment.date(): count
        for moment, count in _tickets_by_bucket(figures["daily"]["rows"]).items()
    }
    days = []
    if per_day:
        first, last = min(per_day), max(per_day)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    day_bars = [Bar(date_format(d, "j M"), per_day.get(d, 0), str(per_day.get(d, 0))) for d in days]
    busiest = max(per_day.items(), key=lambda item: item[1], default=None)
    per_hour = {m.hour: c for m, c in _tickets_by_bucket(figures["hourly"]["rows"]).items()}
    hour_bars = [Bar(f"{h:02d}", per_hour.get(h, 0), str(per_hour.get(h, 0))) for h in range(24)]
    peak = max(per_hour.items(), key=lambda item: item[1], default=None)
    movies = figures["occupancy"]["movies"]
    screens = figures["by_screen"]
    heatmap = figures["heatmap"]
    seat_hours = figures["seat_hours"]

    def percent(value) -> str:
        return f"{value} %"

    # A chart's label names the screen alone when every screen is in one theater (the demo,
    # most cinemas): "Cinema · " before each would leave no room to tell them apart.
    one_theater = len({row["theater"] for row in [*screens, *seat_hours]}) <= 1

    def screen_label(row) -> str:
        return row["screen"] if one_theater else f"{row['theater']} · {row['screen']}"

    charts = {
        "daily": column_chart(
            chart_id="chart-daily",
            title=_("Tickets sold per day"),
            desc=(
                _(
                    "Tickets of the shows from %(start)s to %(end)s, by the day they were sold: "
                    "%(total)d in all; the most, %(most)d, on %(day)s."
                )
                % {
                    "start": period.start,
                    "end": period.end,
                    "total": sum(per_day.values()),
                    "most": busiest[1],
                    "day": busiest[0],
                }
                if busiest
                else _("No ticket of these shows was sold.")
            ),
            bars=day_bars,
            every=max(1, len(day_bars) // 12),
        ),
        "hourly": column_chart(
            chart_id="chart-hourly",
            title=_("Tickets sold per hour on %(day)s") % {"day": figures["day"]},
            desc=(
                _(
                    "%(total)d tickets sold on %(day)s (%(zone)s); the busiest hour, "
                    "%(hour)02d:00, sold %(most)d."
                )
                % {
                    "total": sum(per_hour.values()),
                    "day": figures["day"],
                    "zone": figures["zone"],
                    "hour": peak[0],
                    "most": peak[1],
                }
                if peak
                else _("No ticket was sold on %(day)s.") % {"day": figures["day"]}
            ),
            bars=hour_bars,
            every=3,
        ),
        "movies": bar_chart(
            chart_id="chart-movies",
            title=_("Occupancy per movie"),
            desc=_describe_occupancy(
                [(m["movie"], m["average_occupancy_percent"]) for m in movies]
            ),
            bars=[
                Bar(
                    m["movie"],
                    float(m["average_occupancy_percent"]),
                    percent(m["average_occupancy_percent"]),
                )
                for m in movies
            ],
            scale=100,
        ),
        "screens": bar_chart(
            chart_id="chart-screens",
            title=_("Occupancy per screen"),
            desc=_describe_occupancy(
                [
                    (f"{s['theater']} · {s['screen']}", s["average_occupancy_percent"])
                    for s in screens
                ]
            ),
            bars=[
                Bar(
                    screen_label(s),
                    float(s["average_occupancy_percent"]),
                    percent(s["average_occupancy_percent"]),
                )
                for s in screens
            ],
            scale=100,
        ),
        "seat_hours": bar_chart(
            chart_id="chart-seat-hours",
            title=_("Revenue per seat-hour"),
            desc=(
                "; ".join(
                    _("%(screen)s: %(value)s per seat-hour over %(hours)s seat-hours")
                    % {
                        "screen": f"{r['theater']} · {r['screen']}",
                        "value": f"{r['revenue_per_seat_hour']} {r['currency']}".strip(),
                        "hours": r["seat_hours"],
                    }
                    for r in seat_hours
                )
                or _("No scheduled show in this period.")
            ),
            bars=[
                Bar(
                    screen_label(r),
                    float(r["revenue_per_seat_hour"]),
                    money(r["revenue_per_seat_hour"], r["currency"])
                    if r["currency"]
                    else str(r["revenue_per_seat_hour"]),
                )
                for r in seat_hours
            ],
        ),
    }
    if heatmap is not None:
        hottest = sorted(heatmap["seats"], key=lambda s: (-s.sold, s.y, s.x))[:5]
        never = sum(1 for seat in heatmap["seats"] if seat.sold == 0)
        charts["heatmap"] = seat_heatmap_chart(
            chart_id="chart-heatmap",
            title=_("How often each seat sold: %(screen)s") % {"screen": heatmap["screen"]},
            desc=_(
                "%(seats)d seats over %(shows)d shows. Sold most: %(hottest)s. "
                "%(never)d seats never sold."
            )
            % {
                "seats": len(heatmap["seats"]),
                "shows": heatmap["showtimes"],
                "hottest": ", ".join(f"{s.label} ({s.sold})" for s in hottest if s.sold) or "-",
                "never": never,
            },
            heatmap=heatmap,
        )
    return charts


def _describe_occupancy(items: list[tuple[str, Any]]) -> str:
    if not items:
        return _("No scheduled show in this period.")
    return "; ".join(f"{name}: {value} %" for name, value in items)


def _bad_request(request, name: str):
    return HttpResponseBadRequest(
        _("Bad parameter: %(name)s.") % {"name": name}, content_type="text/plain; charset=utf-8"
    )


@require_GET
@staff_page
def dashboard_page(request):
    try:
        figures = dashboard_figures(request)
    except BadParameters as bad:
        return _bad_request(request, str(bad))
    except DomainError as refused:
        return _bad_request(request, refused.code)
    query = {
        "from": figures["period"].start.isoformat(),
        "to": figures["period"].end.isoformat(),
        "day": figures["day"].isoformat(),
    }
    if figures["heatmap"] is not None:
        query["screen"] = figures["heatmap"]["screen"].pk
    if figures["refunds"]["theater"] is not None:
        query["theater"] = figures["refunds"]["theater"]

    def csv_url(name: str) -> str:
        return reverse("staff:dashboard-csv", args=[name]) + "?" + urlencode(query)

    return render(
        request,
        "staff/dashboard/dashboard.html",
        {
            "section": "dashboard",
            **figures,
            "charts": _charts(figures),
            "tonight": [s for s in figures["shows"] if s["tonight"]],
            "week": [s for s in figures["shows"] if not s["tonight"]],
            "csv": {name.replace("-", "_"): csv_url(name) for name in CSV_TABLES},
            "daily_rows": [
                {**row, "gross_text": money(row["gross"], row["currency"])}
                for row in figures["daily"]["rows"]
            ],
            "hourly_rows": [
                {**row, "gross_text": money(row["gross"], row["currency"])}
                for row in figures["hourly"]["rows"]
            ],
            "refund_rows": [
                {**row, "amount_text": money(row["amount"], row["currency"])}
                for row in figures["refunds"]["rows"]
            ],
            "refund_totals": [
                {**row, "amount_text": money(row["amount"], row["currency"])}
                for row in figures["refunds"]["totals"]
            ],
        },
    )


def _rows_showtimes(f):
    columns = (
        "showtime_id",
        "starts_at",
        "local_starts_at",
        "movie",
        "theater",
        "screen",
        "capacity",
        "sold",
        "sold_online",
        "sold_box_office",
        "held",
        "free",
        "minutes_left",
    )
    rows = [
        {**row, "minutes_left": int(row["time_left"].total_seconds() // 60)} for row in f["shows"]
    ]
    return columns, rows


def _rows_sales(key):
    def rows(f):
        columns = ("bucket", "currency", "tickets_sold", "gross")
        return columns, [{**row, "bucket": row["bucket"].isoformat()} for row in f[key]["rows"]]

    return rows


def _rows_movies(f):
    return (
        ("movie_id", "movie", "showtimes", "capacity", "sold", "average_occupancy_percent"),
        f["occupancy"]["movies"],
    )


def _rows_screens(f):
    return (
        (
            "theater_id",
            "theater",
            "screen",
            "showtimes",
            "capacity",
            "sold",
            "average_occupancy_percent",
        ),
        f["by_screen"],
    )


def _rows_heatmap(f):
    heatmap = f["heatmap"]
    seats = heatmap["seats"] if heatmap else []
    return (
        ("seat_id", "seat", "x", "y", "tier", "kind", "sold", "shows"),
        [
            {
                "seat_id": s.seat_id,
                "seat": s.label,
                "x": s.x,
                "y": s.y,
                "tier": s.tier,
                "kind": s.kind,
                "sold": s.sold,
                "shows": heatmap["showtimes"],
            }
            for s in seats
        ],
    )


def _rows_seat_hours(f):
    return (
        ("theater", "screen", "currency", "net", "seat_hours", "revenue_per_seat_hour"),
        f["seat_hours"],
    )


def _rows_refunds(f):
    return report_selectors.REFUND_REASON_COLUMNS, f["refunds"]["rows"]


CSV_TABLES = {
    "showtimes": _rows_showtimes,
    "sales-daily": _rows_sales("daily"),
    "sales-hourly": _rows_sales("hourly"),
    "occupancy-movies": _rows_movies,
    "occupancy-screens": _rows_screens,
    "heatmap": _rows_heatmap,
    "seat-hours": _rows_seat_hours,
    "refunds-reasons": _rows_refunds,
}


@require_GET
@staff_page
def dashboard_csv(request, name: str):
    table = CSV_TABLES.get(name)
    if table is None:
        raise Http404
    try:
        figures = dashboard_figures(request)
    except BadParameters as bad:
        return _bad_request(request, str(bad))
    except DomainError as refused:
        return _bad_request(request, refused.code)
    columns, rows = table(figures)
    body = CSVRenderer().render({"columns": list(columns), "rows": rows})
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{name}.csv"'
    return response
