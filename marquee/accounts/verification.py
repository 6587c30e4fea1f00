"""The email-verification link's token: Django's password-reset token machinery, salted apart
and bound to the account's activity, so a link works until the account is activated, once."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "marquee.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        # Activation changes `is_active`, so the link is spent; a new email address, too.
        return f"{user.pk}{user.is_active}{user.email}{user.password}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()
