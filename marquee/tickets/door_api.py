"""The door's HTTP API (staff): public keys, today's showtimes, the check-in list with its delta
feed, scans in and out, undo, offline uploads, and the re-entry policy. Rules live in
services; the door scanner page (marquee/staff) calls these with its session."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from marquee.accounts.authentication import JWTCookieAuthentication
from marquee.common.openapi import error_response
from marquee.common.permissions import IsStaffRole
from marquee.common.time import local_iso
from marquee.tickets import errors, selectors, services
from marquee.tickets.api import StrictCharField
from marquee.tickets.codes import MAX_CODE_LENGTH, MAX_TICKET_ID
from marquee.tickets.models import ScanDirection, ScanResult

_error = error_response
NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_SHOWTIMES = 20
MAX_UPLOAD = 500
SCAN_REFUSALS = (
    "already_checked_in",
    "ticket_not_valid",
    "showtime_cancelled",
    "wrong_day",
    "wrong_showtime",
    "wrong_screen",
    "not_checked_in",
    "reentry_not_allowed",
    "nonce_reused",
)


class DoorView(APIView):
    """Staff only; the scanner page calls with its login session (CSRF-checked), apps with JWTs."""

    permission_classes = [IsStaffRole]
    authentication_classes = [JWTCookieAuthentication, SessionAuthentication]


class NonceField(StrictCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not NONCE.fullmatch(value):
            raise serializers.ValidationError("8-64 characters of A-Z a-z 0-9 _ -.", code="invalid")
        return value


def _ids(**kwargs):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_TICKET_ID),
        max_length=MAX_SHOWTIMES,
        required=False,
        **kwargs,
    )


class ScanInput(serializers.Serializer):
    code = StrictCharField(max_length=MAX_CODE_LENGTH)
    nonce = NonceField(
        required=False,
        help_text="Chosen by the device, one per scan: a retry "
        "with the same nonce gets the first answer back.",
    )
    device = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    direction = serializers.ChoiceField(choices=ScanDirection.choices, default=ScanDirection.ENTRY)
    showtimes = _ids(help_text="The door's showtimes: a ticket of another is `wrong_showtime`.")
    screens = _ids(help_text="The door's screens: a ticket of another is `wrong_screen`.")


class UploadItemInput(ScanInput):
    nonce = NonceField()
    device = None
    scanned_at = serializers.DateTimeField(help_text="When the device scanned (its clock).")


class UploadInput(serializers.Serializer):
    device = StrictCharField(max_length=64)
    scans = serializers.ListField(child=UploadItemInput(), min_length=1, max_length=MAX_UPLOAD)


class DoorSeatOutput(serializers.Serializer):
    row = serializers.CharField()
    number = serializers.IntegerField()
    tier = serializers.CharField()
    kind = serializers.CharField()


class ScanTicketOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    seat = serializers.SerializerMethodField()
    ticket_type = serializers.SerializerMethodField()
    status = serializers.CharField()
    checked_in_at = serializers.DateTimeField()
    holder = serializers.SerializerMethodField()

    @extend_schema_field(DoorSeatOutput)
    def get_seat(self, ticket) -> dict:
        seat = ticket.seat
        return {"row": seat.row_label, "number": seat.number, "tier": seat.tier, "kind": seat.kind}

    def get_ticket_type(self, ticket) -> str | None:
        return selectors.ticket_type_name(ticket)

    def get_holder(self, ticket) -> str:
        user = ticket.booking.user
        return user.get_full_name() or user.username


class ScanShowtimeOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    movie = serializers.CharField(source="movie.title")
    theater = serializers.CharField(source="screen.theater.name")
    screen = serializers.IntegerField(source="screen_id")
    screen_name = serializers.CharField(source="screen.name")
    starts_at = serializers.DateTimeField()
    local_starts_at = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_starts_at(self, showtime) -> str:
        return local_iso(showtime.starts_at, showtime.screen.theater.timezone)


class ScanOutput(serializers.Serializer):
    nonce = serializers.CharField()
    result = serializers.ChoiceField(choices=ScanResult.choices)
    reason = serializers.CharField(help_text="For a conflict: the code the server refused with.")
    details = serializers.DictField()
    direction = serializers.ChoiceField(choices=ScanDirection.choices)
    replayed = serializers.SerializerMethodField()
    offline = serializers.BooleanField()
    device = serializers.CharField()
    scanned_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    undone_at = serializers.DateTimeField()
    ticket = ScanTicketOutput()
    showtime = ScanShowtimeOutput()

    def get_replayed(self, scan) -> bool:
        """True when this nonce was answered before: the scan was not counted again."""
        return bool(getattr(scan, "replayed", False))


class UploadResultOutput(serializers.Serializer):
    nonce = serializers.CharField()
    result = serializers.ChoiceField(choices=["admitted", "conflict", "refused"])
    code = serializers.CharField()
    details = serializers.DictField()
    scan = ScanOutput(allow_null=True)


class UploadOutput(serializers.Serializer):
    results = UploadResultOutput(many=True)


class PublicKeyOutput(serializers.Serializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    public_key = serializers.CharField(help_text="The raw 32-byte key, base64url.")
    signs = serializers.BooleanField(help_text="New codes are signed with this key.")


class PublicKeysOutput(serializers.Serializer):
    keys = PublicKeyOutput(many=True)
    hmac_codes_accepted = serializers.BooleanField(
        help_text="Older HMAC codes are still admitted: offline, by their digest in the list."
    )
    code_format = serializers.CharField()


class DoorShowtimeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    movie = serializers.CharField()
    theater = serializers.CharField()
    screen = serializers.IntegerField()
    screen_name = serializers.CharField()
    starts_at = serializers.DateTimeField()
    local_starts_at = serializers.CharField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField()
    status = serializers.CharField()
    reentry_allowed = serializers.BooleanField()


class DoorTicketOutput(serializers.Serializer):
    id = serializers.IntegerField()
    showtime = serializers.IntegerField()
    digest = serializers.CharField(
        help_text="SHA-256 of `<ticket id>.<secret>`, base64url, first 22 characters."
    )
    seat = DoorSeatOutput()
    ticket_type = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    inside = serializers.BooleanField()
    last_scan_at = serializers.DateTimeField(allow_null=True)
    last_device = serializers.CharField()


class CheckInListOutput(serializers.Serializer):
    showtimes = DoorShowtimeOutput(many=True)
    tickets = DoorTicketOutput(many=True)
    full = serializers.BooleanField(help_text="False: only the tickets changed since `since`.")
    cursor = serializers.CharField(help_text="Pass as `since` to get what changes from now on.")


class CheckInListQuery(serializers.Serializer):
    showtimes = StrictCharField(max_length=400)
    since = StrictCharField(max_length=40, required=False)

    def validate_showtimes(self, value: str) -> list[int]:
        parts = [part.strip() for part in value.split(",")]
        if not all(part.isascii() and part.isdigit() and len(part) <= 18 for part in parts):
            raise serializers.ValidationError("Comma-separated showtime ids.", code="invalid")
        ids = sorted({int(part) for part in parts})
        if not 1 <= len(ids) <= MAX_SHOWTIMES or ids[0] < 1:
            raise serializers.ValidationError(
                f"1 to {MAX_SHOWTIMES} showtime ids.", code="out_of_range"
            )
        return ids


class PolicyInput(serializers.Serializer):
    reentry_allowed = serializers.BooleanField()


class PolicyOutput(serializers.Serializer):
    showtime = serializers.IntegerField(source="showtime_id")
    reentry_allowed = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


NOT_STAFF = {
    401: _error("Not authenticated.", "not_authenticated"),
    403: _error("Staff only (or a missing CSRF token).", "permission_denied"),
}


class DoorKeysView(DoorView):
    @extend_schema(
        operation_id="door_keys",
        summary="Public keys that verify ticket codes (staff)",
        description="Ed25519 public keys by key id, the signing key first. A device verifies "
        "`T1.<key id>.<ticket>.<showtime>.<secret>.<signature>` (the signature over everything "
        "before the last dot) without the server. Retired keys stay listed while their tickets "
        "may still be shown.",
        responses={200: PublicKeysOutput, **NOT_STAFF},
    )
    def get(self, request):
        return Response(
            PublicKeysOutput(
                {
                    "keys": selectors.door_public_keys(),
                    "hmac_codes_accepted": settings.TICKET_CODES_ACCEPT_HMAC,
                    "code_format": "T1.<key id>.<ticket id>.<showtime id>.<secret>.<signature>",
                }
            ).data
        )


class DoorShowtimesView(DoorView):
    @extend_schema(
        operation_id="door_showtimes",
        summary="Today's showtimes for the door (staff)",
        responses={200: DoorShowtimeOutput(many=True), **NOT_STAFF},
    )
    def get(self, request):
        showtimes = selectors.door_showtimes_today(now=timezone.now())
        rows = [selectors.door_showtime_row(showtime) for showtime in showtimes]
        return Response(DoorShowtimeOutput(rows, many=True).data)


class CheckInListView(DoorView):
    @extend_schema(
        operation_id="door_checkin_list",
        summary="Check-in list of the door's showtimes, with a delta feed (staff)",
        description="Every sold, cancelled or refunded ticket of the showtimes: seat, type, "
        "status, door state, and the digest of its code (never the code). With `since` (the "
        "`cursor` of an earlier answer) only the tickets changed since then; a cursor older "
        "than 12 hours gets the full list (`full: true`).",
        parameters=[
            OpenApiParameter("showtimes", str, required=True, description="Ids, e.g. `3,4`."),
            OpenApiParameter("since", str, description="The cursor of an earlier answer."),
        ],
        responses={
            200: CheckInListOutput,
            400: _error("Bad showtime ids or cursor.", "invalid", "invalid_cursor"),
            404: _error("A showtime does not exist.", "showtime_not_found"),
            **NOT_STAFF,
        },
    )
    def get(self, request):
        query = CheckInListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data.get("since")
        listing = selectors.door_checkin_list(
            showtime_ids=query.validated_data["showtimes"],
            since=selectors.door_cursor_parse(since) if since else None,
            now=timezone.now(),
        )
        return Response(CheckInListOutput(listing).data)


class ScanView(DoorView):
    @extend_schema(
        operation_id="door_scan",
        summary="Scan a ticket in (or out) at the door (staff)",
        description="Admits a sold ticket once, on its showtime's day, at the door's showtimes "
        "and screens if given; `direction: exit` lets a guest out where the showtime allows "
        "re-entry, and the next entry scan lets them back in. Each refusal has its own code; "
        "`already_checked_in` says when and at which device. A retry with the same `nonce` "
        "gets the first answer (`replayed: true`).",
        request=ScanInput,
        responses={
            200: ScanOutput,
            400: _error("Missing, malformed or forged code.", "invalid", "invalid_ticket_code"),
            404: _error("The code is genuine but its ticket is gone.", "ticket_not_found"),
            409: _error("Not admissible now.", *SCAN_REFUSALS),
            **NOT_STAFF,
        },
    )
    def post(self, request):
        data = ScanInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        scan = services.ticket_scan(
            code=values["code"],
            staff_user=request.user,
            direction=values["direction"],
            device=values["device"],
            nonce=values.get("nonce"),
            showtime_ids=values.get("showtimes") or (),
            screen_ids=values.get("screens") or (),
        )
        return Response(ScanOutput(scan).data)


class UndoView(DoorView):
    @extend_schema(
        operation_id="door_scan_undo",
        summary="Undo a mistaken scan (staff)",
        description="Takes back an admission or an exit within `DOOR_UNDO_SECONDS` (120) of it, "
        "if it is the ticket's latest; undoing the only admission clears the check-in. "
        "Undoing twice answers the same.",
        request=None,
        responses={
            200: ScanOutput,
            404: _error("No scan with this nonce.", "scan_not_found"),
            409: _error(
                "Not undoable.", "undo_window_passed", "undo_not_latest", "scan_not_undoable"
            ),
            **NOT_STAFF,
        },
    )
    def post(self, request, nonce: str):
        if not NONCE.fullmatch(nonce):
            raise errors.scan_not_found()
        scan = services.door_scan_undo(nonce=nonce, staff_user=request.user)
        return Response(ScanOutput(scan).data)


class UploadView(DoorView):
    @extend_schema(
        operation_id="door_upload",
        summary="Upload the scans a device made offline (staff)",
        description="Each scan once, by its nonce (an upload may be repeated). An admission the "
        "server would refuse now, for instance a ticket another device admitted first, is kept "
        "as a `conflict` with the refusal's code and details, never merged; a code that is no "
        "ticket is `refused` and not kept. Up to 500 scans an upload, in the order they "
        "happened.",
        request=UploadInput,
        responses={200: UploadOutput, **NOT_STAFF},
    )
    def post(self, request):
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcomes = services.door_scans_upload(
            staff_user=request.user,
            device=data.validated_data["device"],
            scans=data.validated_data["scans"],
        )
        rows = [
            {
                "nonce": outcome.nonce,
                "result": outcome.result,
                "code": outcome.code,
                "details": outcome.details,
                "scan": outcome.scan,
            }
            for outcome in outcomes
        ]
        return Response(UploadOutput({"results": rows}).data)


class PolicyView(DoorView):
    @extend_schema(
        operation_id="door_policy_set",
        summary="Allow or stop re-entry for a showtime (staff)",
        request=PolicyInput,
        responses={
            200: PolicyOutput,
            404: _error("No such showtime.", "showtime_not_found"),
            **NOT_STAFF,
        },
    )
    def put(self, request, pk: int):
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not 1 <= pk <= MAX_TICKET_ID:
            raise errors.showtimes_not_found([pk])
        policy = services.door_policy_set(
            showtime_id=pk,
            reentry_allowed=data.validated_data["reentry_allowed"],
            staff_user=request.user,
        )
        return Response(PolicyOutput(policy).data)
