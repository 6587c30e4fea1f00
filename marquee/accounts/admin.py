from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm

from marquee.accounts import selectors, services
from marquee.accounts.models import User
from marquee.accounts.throttles import throttle_login_form
from marquee.common.errors import DomainError


class UserRoleChangeForm(UserChangeForm):
    def clean_role(self):
        role = self.cleaned_data["role"]
        if role != self.instance.role and selectors.user_is_last_active_admin(user=self.instance):
            raise forms.ValidationError(
                "This is the last active administrator; promote another one first.",
                code="last_admin",
            )
        return role


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin with the role in front; staff/superuser flags follow the role."""

    form = UserRoleChangeForm
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    readonly_fields = ("is_staff", "is_superuser", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Permissions",
            {
                "fields": (
                    "role",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
                "description": "Staff and superuser status follow the role.",
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        if not (change and "role" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        # A role change goes through the service, which re-checks the last-admin rule
        # under a lock (the form's check can race with another admin's change).
        new_role, obj.role = obj.role, form.initial["role"]
        super().save_model(request, obj, form, change)
        try:
            services.user_set_role(user=obj, role=new_role, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)


# The admin's login form meets the same per-address and per-username login limits as the API
# (django-axes already guards both through the authentication backend).
admin.site.login = throttle_login_form(admin.site.login)
