"""Account writes: sign up, edit a profile, change a role, and open, rotate or close a session."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from marquee.accounts.error_codes import AccountsErrorCode
from marquee.accounts.models import Role, User
from marquee.accounts.selectors import lockout_seconds
from marquee.accounts.tokens import RefreshToken, TokenRefreshSerializer
from marquee.common.errors import CommonErrorCode, DomainError, FieldError, field_error
from marquee.common.permissions import is_admin

logger = logging.getLogger(__name__)

USERNAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "A user with that email address already exists."
# The codes DRF's own validators give the same refusals.
UNIQUE = "unique"
INVALID_CHOICE = "invalid_choice"


class InvalidCredentials(exceptions.AuthenticationFailed):
    default_code = AccountsErrorCode.INVALID_CREDENTIALS.value
    default_detail = "Invalid username or password."


class AccountLocked(exceptions.Throttled):
    """A Throttled, so the error handler adds Retry-After as it does for every 429."""

    default_code = AccountsErrorCode.ACCOUNT_LOCKED.value
    default_detail = (
        "Too many failed logins for this account from your address: try again later, "
        "or from another network."
    )


def _invalid(details: dict[str, list[FieldError]]) -> DomainError:
    return DomainError(
        "The request is invalid; see details.", code=CommonErrorCode.INVALID, details=details
    )


def _identity_conflicts(
    *, username: str | None, email: str | None, exclude_pk: int | None = None
) -> dict[str, list[FieldError]]:
    """Usernames and emails are unique ignoring case, so "Alice" cannot pose as "alice"."""
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    errors: dict[str, list[FieldError]] = {}
    if username is not None and others.filter(username__iexact=username).exists():
        errors["username"] = [field_error(USERNAME_TAKEN, code=UNIQUE)]
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = [field_error(EMAIL_TAKEN, code=UNIQUE)]
    return errors


def _save_unique(user: User, *, username: str | None, email: str | None, **save_kwargs) -> None:
    """Save; a concurrent request that took the same name meanwhile is a 400, not a 500."""
    try:
        with transaction.atomic():
            user.save(**save_kwargs)
    except IntegrityError:
        errors = _identity_conflicts(username=username, email=email, exclude_pk=user.pk)
        raise _invalid(errors or {"username": [field_error(USERNAME_TAKEN, code=UNIQUE)]}) from None


def user_signup(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    verified: bool = True,
) -> User:
    """A new customer account; the password must pass Django's validators. Never sets a role.

    `verified=False` (the site's sign-up): the account stays inactive, so it cannot log in,
    until the link sent to its email address comes back (`user_verify_email`)."""
    username = User.normalize_username(username)
    email = User.objects.normalize_email(email)
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=Role.CUSTOMER,
        is_active=verified,
    )
    errors = _identity_conflicts(username=username, email=email)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        # Django's validators give each message a code (`password_too_short`, ...).
        errors["password"] = [
            field_error(message, code=error.code or CommonErrorCode.INVALID)
            for error in exc.error_list
            for message in error.messages
        ]
    if errors:
        raise _invalid(errors)
    user.set_password(password)
    _save_unique(user, username=username, email=email)
    return user


def user_verify_email(*, user: User, token: str) -> bool:
    """Activate an account whose verification link came back; False for a bad or used link."""
    from marquee.accounts.verification import email_verification_token

    if not email_verification_token.check_token(user, token):
        return False
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        logger.info("email verified for user %s", user.pk)
    return True


def user_set_language(*, user: User, language: str) -> None:
    """Remember the language a person reads the site in; their emails follow it."""
    if language not in {code for code, _ in settings.LANGUAGES} or user.language == language:
        return
    user.language = language
    user.save(update_fields=["language"])


def user_update_profile(
    *,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
) -> User:
    """Change one's own names or email; the role is deliberately not among them."""
    update_fields: list[str] = []
    if email is not None:
        email = User.objects.normalize_email(email)
        errors = _identity_conflicts(username=None, email=email, exclude_pk=user.pk)
        if errors:
            raise _invalid(errors)
        user.email = email
        update_fields.append("email")
    if first_name is not None:
        user.first_name = first_name
        update_fields.append("first_name")
    if last_name is not None:
        user.last_name = last_name
        update_fields.append("last_name")
    if update_fields:
        _save_unique(user, username=None, email=email, update_fields=update_fields)
    return user


def _role_change_forbidden() -> DomainError:
    return DomainError(
        "Only administrators may change roles.",
        code=AccountsErrorCode.ROLE_CHANGE_FORBIDDEN,
    )


def user_set_role(*, user: User, role: str, actor: User) -> User:
    """Only admins change roles, and the last active admin can never be demoted."""
    if not is_admin(actor):
        raise _role_change_forbidden()
    if role not in Role.values:
        message = f'"{role}" is not a valid role.'
        raise _invalid({"role": [field_error(message, code=INVALID_CHOICE)]})
    with transaction.atomic():
        # Lock every admin row (in primary-key order) so two admins demoting each other at
        # once are serialized and cannot both succeed.
        active_admin_ids = [
            pk
            for pk, active in User.objects.select_for_update()
            .filter(role=Role.ADMIN)
            .order_by("pk")
            .values_list("pk", "is_active")
            if active
        ]
        if actor.pk not in active_admin_ids:
            # Checked again under the lock: an admin demoted a moment ago acts no more.
            raise _role_change_forbidden()
        user.refresh_from_db()
        if user.role == role:
            return user
        if user.role == Role.ADMIN and not any(pk != user.pk for pk in active_admin_ids):
            raise DomainError(
                "This is the last active administrator; promote another one first.",
                code=AccountsErrorCode.LAST_ADMIN,
                details={"user": user.pk},
            )
        previous = user.role
        user.role = role
        user.save(update_fields=["role"])
    logger.info(
        "role of user %s changed from %s to %s by user %s", user.pk, previous, role, actor.pk
    )
    return user


@dataclass(frozen=True)
class IssuedTokens:
    access: str
    refresh: str


def _issue_tokens(user: User) -> IssuedTokens:
    refresh = RefreshToken.for_user(user)
    return IssuedTokens(access=str(refresh.access_token), refresh=str(refresh))


def session_login(
    *, request: HttpRequest, username: str, password: str
) -> tuple[User, IssuedTokens]:
    """Check the password through django-axes, which locks a username at one address after
    repeated failures there (the owner elsewhere still gets in).

    `request` is Django's HttpRequest: axes records the attempt (IP, user agent) from it.
    """
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            # We answer the lockout ourselves, in the common error shape; clearing the flag
            # stops AxesMiddleware from replacing that answer with its plain-text page.
            setattr(request, "axes_locked_out", False)  # noqa: B010 (set by django-axes)
            raise AccountLocked(wait=lockout_seconds(request=request))
        # Wrong password, unknown or inactive user: one answer, so accounts cannot be probed.
        raise InvalidCredentials()
    # The signal resets axes' failure count and records last_login, as a session login would.
    with _without_session(request):
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user, _issue_tokens(user)


@contextmanager
def _without_session(request: HttpRequest) -> Iterator[None]:
    """An API login opens no Django session (the tokens are the session). django-axes would
    create one just to hash its key into the access log, writing a session row and setting a
    `sessionid` cookie; without `request.session` it logs an empty hash instead."""
    session = request.__dict__.pop("session", None)
    try:
        yield
    finally:
        if session is not None:
            request.session = session


def session_refresh(*, refresh: str) -> IssuedTokens:
    """Trade a refresh token for a new pair; the old one is blacklisted and redeemable once."""
    try:
        with transaction.atomic():
            token = RefreshToken(refresh)  # type: ignore[arg-type]  # simplejwt takes the text
            # Serialize redemptions of one token: the second waits here, then sees the
            # blacklist entry the first one committed.
            list(
                OutstandingToken.objects.select_for_update()
                .filter(jti=token[jwt_settings.JTI_CLAIM])
                .values_list("pk", flat=True)
            )
            serializer = TokenRefreshSerializer(data={"refresh": refresh})
            serializer.is_valid(raise_exception=True)
    except TokenError as exc:
        raise _token_not_valid(exc) from None
    except User.DoesNotExist:
        raise _token_not_valid(TokenError("The token's user no longer exists.")) from None
    return IssuedTokens(
        access=serializer.validated_data["access"], refresh=serializer.validated_data["refresh"]
    )


def session_logout(*, refresh: str) -> None:
    """Blacklist the refresh token, so no new access token can be minted from it."""
    try:
        RefreshToken(refresh).blacklist()  # type: ignore[arg-type]  # as above
    except TokenError as exc:
        raise _token_not_valid(exc) from None


def _token_not_valid(exc: TokenError) -> InvalidToken:
    return InvalidToken(str(exc.args[0]) if exc.args else None)


def auth_records_prune(*, login_log_days: int) -> dict[str, int]:
    """Delete what logins leave behind once it has no use: expired sessions (the admin's),
    records of successful logins older than `login_log_days`, and refresh tokens past their
    expiry with their blacklist entries (an expired token is refused on its own)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    login_logs = AxesProxyHandler.reset_logs(age_days=login_log_days)
    _, deleted = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return {
        "login_logs": login_logs,
        "outstanding_tokens": deleted.get(OutstandingToken._meta.label, 0),
    }
