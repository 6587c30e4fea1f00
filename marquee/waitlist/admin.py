from django.contrib import admin

from marquee.waitlist.models import WaitlistEntry


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("showtime", "user", "seats", "status", "created_at", "offered_at", "booking")
    list_filter = ("status",)
    search_fields = ("user__username", "user__email", "showtime__movie__title")
    raw_id_fields = ("showtime", "user", "booking")
    ordering = ("showtime", "created_at", "id")
