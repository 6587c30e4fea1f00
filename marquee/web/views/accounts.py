"""Sign up (with email verification), log in and out, reset a password: Django's auth views
with the site's templates, the accounts service for the rules, sessions and CSRF."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.core.mail import EmailMultiAlternatives
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import (
    url_has_allowed_host_and_scheme,
    urlsafe_base64_decode,
    urlsafe_base64_encode,
)
from django.utils.translation import check_for_language, get_language, gettext, ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from marquee.accounts import services
from marquee.accounts.throttles import LoginIPThrottle, SignupThrottle
from marquee.accounts.verification import email_verification_token
from marquee.web.forms import LoginForm, ResendVerificationForm, SignupForm
from marquee.web.throttles import throttle_wait

User = get_user_model()


def _too_many(request, template: str, context: dict, wait: int) -> HttpResponse:
    context["error"] = ngettext(
        "Too many attempts. Please wait %(seconds)d second.",
        "Too many attempts. Please wait %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def send_verification_email(request, user) -> None:
    context = {
        "user": user,
        "url": request.build_absolute_uri(
            reverse(
                "web:verify-email",
                args=[
                    urlsafe_base64_encode(force_bytes(user.pk)),
                    email_verification_token.make_token(user),
                ],
            )
        ),
    }
    subject = " ".join(render_to_string("web/email/verify_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("web/email/verify.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("web/email/verify.html", context), "text/html")
    message.send()


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        wait = throttle_wait(request, SignupThrottle)
        if wait is not None:
            return _too_many(request, "web/accounts/signup.html", {"form": form}, wait)
        if form.is_valid():
            user = form.save()
            if user is not None:
                services.user_set_language(user=user, language=get_language())
                send_verification_email(request, user)
                request.session["verify_email"] = user.email
                return redirect("web:verify-sent")
    return render(request, "web/accounts/signup.html", {"form": form})


def verify_sent(request):
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST":
        wait = throttle_wait(request, SignupThrottle)
        if wait is not None:
            return _too_many(request, "web/accounts/verify_sent.html", {"form": form}, wait)
        if form.is_valid():
            # The same answer whether or not such an account waits: addresses are not probed.
            user = User.objects.filter(
                email__iexact=form.cleaned_data["email"], is_active=False, last_login__isnull=True
            ).first()
            if user is not None:
                services.user_set_language(user=user, language=get_language())
                send_verification_email(request, user)
            messages.info(
                request, gettext("If an account waits for that address, a new link is on its way.")
            )
            return redirect("web:verify-sent")
    return render(
        request,
        "web/accounts/verify_sent.html",
        {"form": form, "email": request.session.get("verify_email")},
    )


def verify_email(request, uidb64: str, token: str):
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist, UnicodeDecodeError):
        user = None
    if user is None or not services.user_verify_email(user=user, token=token):
        return render(request, "web/accounts/verify_failed.html", status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request, gettext("Thank you: your email address is confirmed. Welcome to Marquee!")
    )
    return redirect("web:home")


class LoginView(auth_views.LoginView):
    template_name = "web/accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = throttle_wait(request, LoginIPThrottle)
        if wait is not None:
            return _too_many(request, self.template_name, self.get_context_data(), wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_set_language(user=form.get_user(), language=get_language())
        return response


@require_http_methods(["GET", "POST"])
def language(request):
    """Django's set_language (a POST form for a logged-in person, whose emails follow the
    choice too); a visitor's page has links instead, which only set the language cookie."""
    if request.method == "POST":
        response = set_language(request)
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=request.POST.get("language", ""))
        return response
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    code = request.GET.get("language", "")
    if not request.user.is_authenticated and code and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/accounts/password_reset.html"
    email_template_name = "web/email/password_reset.txt"
    html_email_template_name = "web/email/password_reset.html"
    subject_template_name = "web/email/password_reset_subject.txt"
    success_url = reverse_lazy("web:password-reset-done")

    def post(self, request, *args, **kwargs):
        wait = throttle_wait(request, LoginIPThrottle)
        if wait is not None:
            return _too_many(request, self.template_name, self.get_context_data(), wait)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("web:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/accounts/password_reset_complete.html"
