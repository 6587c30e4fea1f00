"""Account reads."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.db.models import QuerySet
from django.http import HttpRequest

from marquee.accounts.models import Role, User
from marquee.common.errors import CommonErrorCode, DomainError


def user_list() -> QuerySet[User]:
    """Every account, oldest first, so pages stay stable while accounts are added."""
    return User.objects.order_by("pk")


def user_get(*, user_id: int) -> User:
    try:
        return User.objects.get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        raise DomainError(
            "User not found.", code=CommonErrorCode.NOT_FOUND, details={"id": str(user_id)}
        ) from None


def user_is_last_active_admin(*, user: User) -> bool:
    """True when demoting `user` would leave no active administrator."""
    if user.pk is None or user.role != Role.ADMIN:
        return False
    return not User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists()


def lockout_seconds(*, request: HttpRequest | None = None) -> int:
    """How long django-axes keeps a locked account locked (its cool-off)."""
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0
