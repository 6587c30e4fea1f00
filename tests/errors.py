"""Reading the one error shape in tests: field errors are `{"code", "message"}` objects."""

from typing import Any


def field_codes(response) -> dict[str, Any]:
    """`details` of an error answer with each field error reduced to its code."""
    return _codes(response.json()["error"]["details"])


def _codes(details: Any) -> Any:
    if isinstance(details, dict) and set(details) == {"code", "message"}:
        return details["code"]
    if isinstance(details, dict):
        return {key: _codes(value) for key, value in details.items()}
    if isinstance(details, list):
        return [_codes(value) for value in details]
    return details
