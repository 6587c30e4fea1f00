from django.contrib import admin, messages

from marquee.booking.models import Booking, BookingEvent, IdempotencyKey, Ticket
from marquee.booking.services import booking_cancel
from marquee.common.errors import ApplicationError


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    fields = ("seat", "price", "status", "held_until", "checked_in_at")
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
    list_display = ("public_id", "user", "showtime", "status", "total", "currency", "created_at")
    list_filter = ("status", "showtime__screen__theater", "created_at")
    search_fields = ("public_id", "user__username", "user__email", "showtime__movie__title")
    list_select_related = ("user", "showtime__movie", "showtime__screen__theater")
    raw_id_fields = ("user", "showtime")
    readonly_fields = ("public_id", "status", "expires_at", "total", "currency", "created_at")
    inlines = [TicketInline, BookingEventInline]
    actions = ["cancel_bookings"]

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
            except ApplicationError as error:
                self.message_user(request, f"{booking}: {error.message}", messages.WARNING)
        self.message_user(request, f"Cancelled {done} booking(s).")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "booking", "showtime", "seat", "price", "status", "checked_in_at")
    list_filter = ("status",)
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
