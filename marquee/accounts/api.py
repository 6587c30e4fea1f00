"""The auth API: sign up, log in and out, rotate tokens, the current user, admin role changes."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from rest_framework import filters, generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken

from marquee.accounts import selectors, services
from marquee.accounts.authentication import JWTCookieAuthentication
from marquee.accounts.cookies import clear_auth_cookies, set_auth_cookies
from marquee.accounts.models import Role, User
from marquee.accounts.throttles import LoginIPThrottle, LoginUsernameThrottle, SignupThrottle
from marquee.common.openapi import error_response
from marquee.common.permissions import IsAdminRole

PASSWORD_MAX_LENGTH = 256  # hashing cost grows with length; nobody needs more
TOKEN_MAX_LENGTH = 4096


# --- Serializers ----------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of quietly turning them to text."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "role"]
        read_only_fields = fields


class AdminUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "role",
            "is_active",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class SignupInputSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField(max_length=254)
    password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, write_only=True
    )
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")


class LoginInputSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginOutputSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField(
        max_length=TOKEN_MAX_LENGTH,
        required=False,
        help_text="The refresh token; when absent, the refresh cookie is used.",
    )


class ProfileUpdateSerializer(serializers.Serializer):
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False)


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


_error = error_response


INVALID = _error("Invalid input (`invalid`, `parse_error`); field errors in `details`.")
UNAUTHENTICATED = _error("Not authenticated or token not valid.")
FORBIDDEN = _error("Wrong role, or `csrf_failed` for a cookie-authenticated request.")
THROTTLED = _error("Throttled; see the Retry-After header.")


# --- Views ----------------------------------------------------------------------------------


class _PublicAuthView(APIView):
    """No authentication: a stale or expired cookie must never block logging in again."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request):
        # Keeps token errors a 401 (DRF turns 401 into 403 when no header is offered).
        return JWTCookieAuthentication().authenticate_header(request)


def _refresh_token_from(request: Request) -> str:
    """The refresh token from the body, else from the cookie (which then needs CSRF proof)."""
    serializer = RefreshInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    if "refresh" in serializer.validated_data:
        return serializer.validated_data["refresh"]
    from_cookie = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH)
    if not from_cookie:
        raise serializers.ValidationError(
            {"refresh": ["This field is required (in the body or the refresh cookie)."]},
            code="required",
        )
    # The browser attaches the cookie to cross-site requests too.
    JWTCookieAuthentication().enforce_csrf(request)
    return from_cookie


class SignupView(_PublicAuthView):
    throttle_classes = (SignupThrottle,)

    @extend_schema(
        tags=["auth"],
        summary="Create a customer account",
        description="Every new account is a customer; the password must pass the validators.",
        request=SignupInputSerializer,
        responses={201: UserSerializer, 400: INVALID, 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        serializer = SignupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_signup(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(_PublicAuthView):
    throttle_classes = (LoginIPThrottle, LoginUsernameThrottle)

    @extend_schema(
        tags=["auth"],
        summary="Log in",
        description=(
            "Returns the tokens in the body and sets them as HttpOnly cookies, along with the "
            "`csrftoken` cookie that cookie-authenticated unsafe requests echo in X-CSRFToken. "
            "Repeated failures lock the username from the caller's address "
            "(`account_locked`, 429 with Retry-After); guesses at one username from any "
            "number of addresses are throttled (`throttled`)."
        ),
        request=LoginInputSerializer,
        responses={
            200: LoginOutputSerializer,
            400: INVALID,
            401: _error("`invalid_credentials`"),
            429: _error("`throttled` or `account_locked`; see the Retry-After header."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = services.session_login(request=request._request, **serializer.validated_data)
        response = Response(
            {"access": tokens.access, "refresh": tokens.refresh, "user": UserSerializer(user).data}
        )
        set_auth_cookies(response, access=tokens.access, refresh=tokens.refresh)
        get_token(request._request)  # sets the csrftoken cookie on the way out
        return response


class RefreshView(_PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Rotate the tokens",
        description=(
            "Trades a refresh token (body, else cookie) for a new pair, in the body and the "
            "cookies. The old refresh token is blacklisted; reusing it is a 401."
        ),
        request=RefreshInputSerializer,
        responses={
            200: TokenPairSerializer,
            400: INVALID,
            401: _error("`token_not_valid`"),
            403: _error("`csrf_failed` (token from the cookie without a CSRF token)."),
        },
    )
    def post(self, request: Request) -> Response:
        tokens = services.session_refresh(refresh=_refresh_token_from(request))
        response = Response({"access": tokens.access, "refresh": tokens.refresh})
        set_auth_cookies(response, access=tokens.access, refresh=tokens.refresh)
        return response


class LogoutView(_PublicAuthView):
    """Needs only the refresh token, not an access token: a client whose access token has
    expired must still be able to end its session. The cookies are cleared in every case."""

    @extend_schema(
        tags=["auth"],
        summary="Log out",
        description=(
            "Blacklists the refresh token (body, else cookie) and clears both cookies. "
            "No access token needed."
        ),
        request=RefreshInputSerializer,
        responses={
            204: None,
            400: INVALID,
            401: _error("`token_not_valid`"),
            403: _error("`csrf_failed`"),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            services.session_logout(refresh=_refresh_token_from(request))
            response = Response(status=status.HTTP_204_NO_CONTENT)
        except InvalidToken as exc:
            response = self.handle_exception(exc)
        clear_auth_cookies(response)
        return response


class MeView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        tags=["auth"],
        summary="The current user",
        responses={200: UserSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        tags=["auth"],
        summary="Edit the current user's names or email",
        request=ProfileUpdateSerializer,
        responses={200: UserSerializer, 400: INVALID, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def patch(self, request: Request) -> Response:
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = User
        fields = ["role"]


@extend_schema(
    tags=["users"],
    summary="List accounts (admin)",
    responses={
        200: AdminUserSerializer(many=True),
        400: INVALID,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
    },
)
class UserListView(generics.ListAPIView):
    permission_classes = (IsAdminRole,)
    serializer_class = AdminUserSerializer
    filter_backends = (django_filters.rest_framework.DjangoFilterBackend, filters.SearchFilter)
    filterset_class = UserFilter
    search_fields = ("username", "email", "first_name", "last_name")

    def get_queryset(self):
        return selectors.user_list()


class UserRoleView(APIView):
    permission_classes = (IsAdminRole,)

    @extend_schema(
        tags=["users"],
        summary="Change an account's role (admin)",
        request=RoleInputSerializer,
        responses={
            200: AdminUserSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: _error("`not_found`"),
            409: _error("`last_admin`: the last active administrator cannot be demoted."),
        },
    )
    def patch(self, request: Request, user_id: int) -> Response:
        user = selectors.user_get(user_id=user_id)
        serializer = RoleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_role(
            user=user, role=serializer.validated_data["role"], actor=request.user
        )
        return Response(AdminUserSerializer(user).data)
