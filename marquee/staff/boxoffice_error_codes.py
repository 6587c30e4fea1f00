"""The box office's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class BoxOfficeErrorCode(StrEnum):
    SALE_NOT_FOUND = "sale_not_found"
    SALE_NOT_CONFIRMED = "sale_not_confirmed"
    NOT_A_BOX_OFFICE_SALE = "not_a_box_office_sale"
    INVALID_EMAIL = "invalid_email"
