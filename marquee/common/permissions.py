"""Role checks: customers browse and book, staff work the door, admins run the catalog."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.role == "admin" or user.is_superuser))


def is_staff_member(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.role in {"staff", "admin"} or user.is_superuser)
    )


class IsAdminRole(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class IsStaffRole(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)


class IsAdminOrReadOnly(BasePermission):
    """Public reads; writes need an admin (anonymous callers get 401, customers 403)."""

    message = "Only administrators may change the catalog."
    anonymous_methods = SAFE_METHODS  # read by the OpenAPI schema (marquee/common/openapi.py)

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_admin(request.user)


class IsStaffOrReadOnly(BasePermission):
    """Public reads; writes need staff (anonymous callers get 401, customers 403)."""

    message = "Only staff may change this."
    anonymous_methods = SAFE_METHODS  # read by the OpenAPI schema (marquee/common/openapi.py)

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_staff_member(request.user)


class IsStaffReadAdminWrite(BasePermission):
    """Staff read (a cashier checks a code); only admins write (minting a discount is a manager's
    decision, not the till's)."""

    message = "Staff may read this; only administrators may change it."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return is_staff_member(request.user)
        return is_admin(request.user)
