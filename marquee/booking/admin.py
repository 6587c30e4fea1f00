from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
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
    Voucher,
    VoucherRedemption,
)
from marquee.booking.selectors import (
    booking_display_status,
    booking_status_q,
    ticket_display_status,
    ticket_status_q,
)
from marquee.booking.services import booking_cancel
from marquee.booking.vouchers import (
    MAX_BULK,
    normalize_code,
    voucher_terms_check,
    vouchers_create_bulk,
    vouchers_csv,
)
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
        "channel",
        "total",
        "currency",
        "created_at",
    )
    list_filter = (BookingStatusFilter, "channel", "showtime__screen__theater", "created_at")
    search_fields = (
        "public_id",
        "user__username",
        "user__email",
        "customer_email",
        "showtime__movie__title",
    )
    list_select_related = ("user", "showtime__movie", "showtime__screen__theater")
    raw_id_fields = ("user", "showtime")
    readonly_fields = (
        "public_id",
        "status_shown",
        "channel",
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


TERMS = [
    "kind",
    "value",
    "currency",
    "valid_from",
    "valid_until",
    "movie",
    "theater",
    "ticket_type",
    "max_redemptions",
    "max_per_user",
    "min_seats",
]


class VoucherActionForm(admin.helpers.ActionForm):
    count = forms.IntegerField(
        min_value=1,
        max_value=MAX_BULK,
        required=False,
        initial=10,
        help_text="For “create codes like these”: how many per selected voucher.",
    )


class VoucherAdminForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = ["code", *TERMS, "batch", "is_active"]

    def clean(self):
        cleaned = super().clean()
        try:
            voucher_terms_check(
                kind=cleaned.get("kind", ""),
                value=cleaned.get("value") or Decimal(0),
                currency=cleaned.get("currency", ""),
                valid_from=cleaned.get("valid_from"),
                valid_until=cleaned.get("valid_until"),
            )
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        if cleaned.get("code"):
            cleaned["code"] = normalize_code(cleaned["code"])
        return cleaned


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    """Codes are upper case; `redeemed` is the services' (read-only here)."""

    form = VoucherAdminForm
    action_form = VoucherActionForm
    list_display = [
        "code",
        "kind",
        "value",
        "currency",
        "redeemed",
        "max_redemptions",
        "batch",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "batch", "theater"]
    search_fields = ["code", "batch"]
    readonly_fields = ["redeemed", "created_at"]
    actions = ["create_codes_like_these", "export_csv"]

    @admin.action(description="Create codes like these (the count below, per voucher)")
    def create_codes_like_these(self, request, queryset):
        count = int(request.POST.get("count") or 10)
        made = 0
        for voucher in queryset:
            terms = {name: getattr(voucher, name) for name in TERMS}
            try:
                made += len(
                    vouchers_create_bulk(
                        count=count, prefix="", batch=voucher.batch or voucher.code, **terms
                    )
                )
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        self.message_user(request, f"Created {made} voucher codes.", messages.SUCCESS)

    @admin.action(description="Export the selected vouchers as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(vouchers_csv(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="vouchers.csv"'
        return response


@admin.register(VoucherRedemption)
class VoucherRedemptionAdmin(admin.ModelAdmin):
    list_display = ["voucher", "booking", "user", "discount", "created_at", "released_at"]
    list_select_related = ["voucher", "booking", "user"]
    search_fields = ["voucher__code"]


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
