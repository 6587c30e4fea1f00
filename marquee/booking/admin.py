from django.contrib import admin, messages
from django.utils import timezone

from marquee.booking.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    IdempotencyKey,
    RefundTier,
    Ticket,
    TicketCancellation,
    TicketStatus,
)
from marquee.booking.selectors import (
    booking_display_status,
    booking_status_q,
    ticket_display_status,
    ticket_status_q,
)
from marquee.booking.services import booking_cancel
from marquee.common.errors import DomainError


class _StatusAsShownFilter(admin.SimpleListFilter):
    """Filters by the status as shown: a hold whose time ran out is `expired`, whether or not
    the sweeper has run (the API's `?status=` and the reports read it the same way)."""

    title = "status"
    parameter_name = "status"
    statuses: type[BookingStatus] | type[TicketStatus]

    def lookups(self, request, model_admin):
        return self.statuses.choices

    def queryset(self, request, queryset):
        if self.value() not in self.statuses.values:
            return None
        return queryset.filter(self.status_q(self.value(), now=timezone.now()))


class BookingStatusFilter(_StatusAsShownFilter):
    statuses = BookingStatus
    status_q = staticmethod(booking_status_q)


class TicketStatusFilter(_StatusAsShownFilter):
    statuses = TicketStatus
    status_q = staticmethod(ticket_status_q)


@admin.display(description="status")
def _ticket_status(ticket) -> str:
    return TicketStatus(ticket_display_status(ticket)).label


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    fields = ("seat", "price", _ticket_status, "held_until", "checked_in_at")
    readonly_fields = fields
    raw_id_fields = ("seat",)
    ordering = ("seat__y", "seat__x")


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "user",
        "showtime",
        "status_shown",
        "total",
        "currency",
        "created_at",
    )
    list_filter = (BookingStatusFilter, "showtime__screen__theater", "created_at")
    search_fields = ("public_id", "user__username", "user__email", "showtime__movie__title")
    list_select_related = ("user", "showtime__movie", "showtime__screen__theater")
    raw_id_fields = ("user", "showtime")
    readonly_fields = (
        "public_id",
        "status_shown",
        "expires_at",
        "total",
        "currency",
        "created_at",
    )
    inlines = [TicketInline, BookingEventInline]
    actions = ["cancel_bookings"]

    @admin.display(description="status", ordering="status")
    def status_shown(self, booking) -> str:
        return BookingStatus(booking_display_status(booking)).label

    def has_add_permission(self, request):
        # Bookings are made through the booking service (holds, prices, the seat guarantee).
        return False

    @admin.action(description="Cancel selected bookings (releases their seats)")
    def cancel_bookings(self, request, queryset):
        done = 0
        for booking in queryset:
            try:
                booking_cancel(booking=booking, actor=request.user, reason="cancelled in admin")
                done += 1
            except DomainError as error:
                self.message_user(request, f"{booking}: {error.message}", messages.WARNING)
        self.message_user(request, f"Cancelled {done} booking(s).")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "booking", "showtime", "seat", "price", _ticket_status, "checked_in_at")
    list_filter = (TicketStatusFilter,)
    search_fields = ("booking__public_id",)
    list_select_related = ("booking", "showtime__movie", "showtime__screen__theater", "seat")
    raw_id_fields = ("booking", "showtime", "seat")

    def has_add_permission(self, request):
        return False


@admin.register(BookingEvent)
class BookingEventAdmin(admin.ModelAdmin):
    list_display = ("booking", "from_status", "to_status", "actor", "reason", "created_at")
    list_filter = ("to_status",)
    search_fields = ("booking__public_id", "reason")
    raw_id_fields = ("booking", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("user", "key", "response_status", "created_at")
    search_fields = ("key", "user__username")
    raw_id_fields = ("user",)


@admin.register(RefundTier)
class RefundTierAdmin(admin.ModelAdmin):
    """A theater's refund policy, one step per row; a theater without rows follows
    BOOKING_REFUND_POLICY."""

    list_display = ("theater", "minutes_before", "percent")
    list_filter = ("theater",)
    ordering = ("theater", "-minutes_before")


@admin.register(TicketCancellation)
class TicketCancellationAdmin(admin.ModelAdmin):
    """Tickets given back: read only (the refund goes through the payments app)."""

    list_display = (
        "booking",
        "created_at",
        "percent",
        "refund_amount",
        "currency",
        "overridden",
        "reason",
    )
    list_filter = ("overridden",)
    search_fields = ("booking__public_id", "reason")
    raw_id_fields = ("booking", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
