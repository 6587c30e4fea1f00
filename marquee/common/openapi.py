"""The OpenAPI schema's shared parts: the one error component, and the answers every operation
may give whatever its own documentation says.

`AutoSchema` (settings `DEFAULT_SCHEMA_CLASS`) adds to each operation, unless the view already
documents them with its own codes: 400 (malformed input), 401 (a bad token, wherever tokens
are read), 403 (a role or CSRF check), 404 (a path id or page that does not exist), 413 and 415
(a body too large, or of an unknown type), 429 (throttled) and 503 (database unavailable).
They point at `#/components/responses/...`, which `add_error_responses` (a postprocessing
hook) defines once, all with the `Error` schema. Operations anyone may call list `{}` in their
`security`, beside the token.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import permissions, serializers


class FieldErrorSerializer(serializers.Serializer):
    """One field-level message in `details` (marquee.common.errors.field_error)."""

    code = serializers.CharField(
        help_text="Stable, e.g. `required`, `null`, `max_length`, `does_not_exist`, "
        "`invalid_choice`, or the refusal's own code."
    )
    message = serializers.CharField(help_text="For people; may change.")


FIELD_ERROR_REF = {"$ref": "#/components/schemas/FieldError"}
FIELD_ERRORS_DESCRIPTION = (
    "For `invalid` (and a service's refusal of one field): each field names a list of "
    "`FieldError`s. A nested object's errors are an object of the same shape; a list's item "
    'errors are an object keyed by the item\'s index (`"2"`), naming only the items with '
    "errors; errors of no one field are under `non_field_errors`."
)
# Permissive on purpose: other codes put their own values in `details` (`seat_ids`, ...).
DETAILS_SCHEMA = {
    "anyOf": [
        {
            "type": "object",
            "title": "FieldErrors",
            "description": FIELD_ERRORS_DESCRIPTION,
            "additionalProperties": {
                "anyOf": [
                    {"type": "array", "items": {"anyOf": [FIELD_ERROR_REF, {"type": "object"}]}},
                    {"type": "object"},
                ]
            },
        },
        {
            "type": "object",
            "title": "Code-specific details",
            "description": "Other codes: values of the code's own, e.g. `seat_ids`.",
            "additionalProperties": {},
        },
    ],
    "example": {"showtime": [{"code": "required", "message": "This field is required."}]},
}


@extend_schema_field(DETAILS_SCHEMA)
class ErrorDetailsField(serializers.DictField):
    pass


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `seats_unavailable`.")
    message = serializers.CharField(help_text="For people; may change.")
    details = ErrorDetailsField(
        help_text="Field errors (`FieldError`s) for `invalid`; else code-specific."
    )


class ErrorSerializer(serializers.Serializer):
    """Every 4xx and 5xx answer of the API (marquee/common/errors.py)."""

    error = ErrorBodySerializer()


def error_response(description: str, *codes: str) -> OpenApiResponse:
    """A documented error answer: `description`, then the codes it may carry."""
    if codes:
        description = f"{description} Codes: {', '.join(f'`{code}`' for code in codes)}."
    return OpenApiResponse(ErrorSerializer, description=description)


RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
# status -> (component name, description, headers)
SHARED_ERRORS = {
    "400": (
        "BadRequest",
        "Malformed or invalid input: `invalid` (field errors in `details`), `parse_error`, "
        "`json_too_deep`, `null_character`, or a code of this operation.",
        None,
    ),
    "401": (
        "Unauthenticated",
        "No valid credentials: `not_authenticated`, `authentication_failed`, `token_not_valid`.",
        None,
    ),
    "403": ("Forbidden", "`permission_denied` (role) or `csrf_failed` (cookie).", None),
    "404": ("NotFound", "`not_found`, or this operation's own not-found code.", None),
    "413": ("PayloadTooLarge", "`payload_too_large`: the body exceeds the upload limit.", None),
    "415": ("UnsupportedMediaType", "`unsupported_media_type`.", None),
    "429": ("Throttled", "`throttled`: too many requests; see Retry-After.", RETRY_AFTER),
    "503": (
        "Unavailable",
        "`database_unavailable` or another outage; try again after Retry-After.",
        RETRY_AFTER,
    ),
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        # Resolving the components here registers them even if no view names them itself.
        self.resolve_serializer(ErrorSerializer, "response")
        self.resolve_serializer(FieldErrorSerializer, "response")
        responses = operation["responses"]
        for status in self._shared_error_statuses(path, operation):
            name = SHARED_ERRORS[status][0]
            responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _shared_error_statuses(self, path: str, operation: dict) -> list[str]:
        statuses = ["400", "503"]
        reads_tokens = bool(self.view.get_authenticators())
        if reads_tokens:
            statuses.append("401")
        if reads_tokens and not (self._anyone_may_call() and self.method not in BODY_METHODS):
            statuses.append("403")
        if "{" in path or self._paginates():
            statuses.append("404")
        if self.method in BODY_METHODS:
            statuses.append("413")
            if "requestBody" in operation:
                statuses.append("415")
        if self.view.get_throttles():
            statuses.append("429")
        return statuses

    def _paginates(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None

    def _anyone_may_call(self) -> bool:
        """Every permission lets an anonymous caller use this method."""
        return all(
            isinstance(permission, permissions.AllowAny)
            or self.method in getattr(permission, "anonymous_methods", ())
            for permission in self.view.get_permissions()
        )

    def get_auth(self):
        auths = super().get_auth()
        if {} not in auths and self._anyone_may_call():
            auths.append({})
        return auths


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: the shared responses the operations point at."""
    responses = result.setdefault("components", {}).setdefault("responses", {})
    for name, description, headers in SHARED_ERRORS.values():
        responses[name] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            **({"headers": headers} if headers else {}),
        }
    return result
