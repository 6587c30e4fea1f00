"""The accounts app's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_LOCKED = "account_locked"
    TOKEN_NOT_VALID = "token_not_valid"
    LAST_ADMIN = "last_admin"
    ROLE_CHANGE_FORBIDDEN = "role_change_forbidden"
