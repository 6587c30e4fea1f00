from django.contrib import admin

from marquee.payments.models import Payment, Refund, RefundStatus, Till, WebhookEvent
from marquee.payments.services import refund_process


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_reference",
        "booking",
        "provider",
        "amount",
        "currency",
        "status",
        "till",
        "taken_by",
        "created_at",
    )
    list_filter = ("provider", "status", "till")
    search_fields = ("provider_reference", "booking__public_id", "booking__user__username")
    list_select_related = ("booking",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "payment",
        "amount",
        "currency",
        "status",
        "reason_code",
        "attempts",
        "last_error",
        "updated_at",
    )
    list_filter = ("status", "reason_code")
    search_fields = ("payment__provider_reference", "payment__booking__public_id")
    list_select_related = ("payment",)
    actions = ["retry_now"]

    @admin.action(description="Retry selected refunds now")
    def retry_now(self, request, queryset):
        retried = 0
        for refund in queryset.exclude(status=RefundStatus.SUCCEEDED):
            refund_process(refund_id=refund.pk)
            retried += 1
        self.message_user(request, f"Retried {retried} refund(s).")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "provider", "type", "outcome", "received_at")
    list_filter = ("provider", "type", "outcome")
    search_fields = ("event_id",)


@admin.register(Till)
class TillAdmin(admin.ModelAdmin):
    list_display = ("name", "theater", "is_active", "created_at")
    list_filter = ("is_active", "theater")
    search_fields = ("name",)
