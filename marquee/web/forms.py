"""The site's account forms. They parse and label; the accounts service decides."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marquee.accounts import services
from marquee.common.errors import DomainError, field_messages

User = get_user_model()


class SignupForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", gettext("The two passwords differ."))
        return data

    def save(self):
        """Create the account, inactive until its email link comes back."""
        try:
            return services.user_signup(
                username=self.cleaned_data["username"],
                email=self.cleaned_data["email"],
                password=self.cleaned_data["password1"],
                verified=False,
            )
        except DomainError as refused:
            details = refused.details or {}
            if "username" in details:
                self.add_error("username", gettext("This username is taken."))
            if "email" in details:
                self.add_error(
                    "email", gettext("An account with this email address exists already.")
                )
            for message in field_messages(details, "password"):
                self.add_error("password1", message)
            if not self.errors:
                self.add_error(None, gettext("That did not work. Please try again."))
            return None


class LoginForm(AuthenticationForm):
    """Django's login form; an account that has not confirmed its email is told so."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "unverified": _(
            "Please confirm your email address first: follow the link we sent you, "
            "or ask for a new one below."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            username, password = (
                self.cleaned_data.get("username"),
                self.cleaned_data.get("password"),
            )
            user = User.objects.filter(username=username, is_active=False).first()
            if user is not None and user.last_login is None and user.check_password(password):
                raise forms.ValidationError(
                    self.error_messages["unverified"], code="unverified"
                ) from None
            raise


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class CardForm(forms.Form):
    card_number = forms.CharField(label=_("Card number"), max_length=40)
