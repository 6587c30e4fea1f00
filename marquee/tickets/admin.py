from django.contrib import admin, messages

from marquee.tickets.models import DeliveryStatus, DoorPolicy, DoorScan, EmailDelivery
from marquee.tickets.outbox import email_delivery_resend


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "booking",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "created_at",
    )
    list_filter = ("status", "kind", "created_at")
    search_fields = (
        "booking__public_id",
        "recipient",
        "booking__user__email",
        "booking__user__username",
    )
    list_select_related = ("booking",)
    date_hierarchy = "created_at"
    actions = ["send_again"]
    fields = (
        "kind",
        "booking",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "give_up_at",
        "claimed_at",
        "last_error",
        "sent_at",
        "amount",
        "currency",
        "dedupe_key",
        "requested_by",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        # Emails are queued by the booking changes that call for them, or by "send again".
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send again (a sent email as a new copy; others now)")
    def send_again(self, request, queryset):
        queued, busy = 0, 0
        for delivery in queryset.order_by("pk"):
            if delivery.status == DeliveryStatus.SENDING:
                busy += 1
                continue
            email_delivery_resend(delivery_id=delivery.pk, requested_by=request.user)
            queued += 1
        self.message_user(request, f"Queued {queued} email(s) to send now.")
        if busy:
            self.message_user(
                request, f"{busy} email(s) are being sent right now; left alone.", messages.WARNING
            )


@admin.register(DoorScan)
class DoorScanAdmin(admin.ModelAdmin):
    """The door's record, read-only: scans change only through the door (its undo included).
    Filter by result for the offline conflicts a supervisor should look into."""

    list_display = (
        "scanned_at",
        "ticket",
        "showtime",
        "direction",
        "result",
        "reason",
        "device",
        "staff",
        "offline",
        "undone_at",
    )
    list_filter = ("result", "direction", "offline", "scanned_at")
    search_fields = ("nonce", "device", "ticket__id", "ticket__booking__public_id")
    list_select_related = ("ticket", "showtime__movie", "staff")
    date_hierarchy = "scanned_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DoorPolicy)
class DoorPolicyAdmin(admin.ModelAdmin):
    list_display = ("showtime", "reentry_allowed", "updated_at", "updated_by")
    list_filter = ("reentry_allowed",)
    raw_id_fields = ("showtime",)
    readonly_fields = ("updated_at", "updated_by")

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
