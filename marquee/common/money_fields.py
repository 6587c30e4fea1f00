"""The one serializer field for amounts: written with exactly its currency's decimals."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import fields, serializers

from marquee.common.money import money_text

MONEY_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^\d+(\.\d{1,3})?$",
    "example": "12.50",
    "description": "In the currency's ISO 4217 minor units: '1531' JPY, '12.50' EUR, '3.250' KWD.",
}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """A read-only amount ("1531" for JPY, "12.50" for EUR); its currency is read from
    `currency_source` (a dotted path) on the same object."""

    def __init__(self, *, currency_source: str = "currency", **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.currency_attrs = currency_source.split(".")

    def get_attribute(self, instance):
        amount = super().get_attribute(instance)
        return amount, fields.get_attribute(instance, self.currency_attrs)

    def to_representation(self, value) -> str | None:
        amount, currency = value
        if amount is None:
            return None
        return money_text(Decimal(amount), currency)
