"""Waiting list HTTP API: join, leave, and (staff) the list of a showtime."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from marquee.common.openapi import error_response
from marquee.common.permissions import is_staff_member
from marquee.waitlist import selectors, services


class JoinInput(serializers.Serializer):
    seats = serializers.IntegerField(min_value=1, max_value=settings.WAITLIST_MAX_SEATS)


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    showtime = serializers.IntegerField(source="showtime_id")
    seats = serializers.IntegerField()
    status = serializers.CharField(
        help_text="waiting, offered (seats held: see `booking`), booked, lapsed or left."
    )
    position = serializers.SerializerMethodField(help_text="1 is next; null when not waiting.")
    booking = serializers.UUIDField(source="booking.public_id", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    offered_at = serializers.DateTimeField(allow_null=True)

    def get_position(self, entry) -> int | None:
        positions = self.context.get("positions")
        if positions is not None:
            return positions.get(entry.pk)
        return services.waitlist_position(entry)


class StaffEntryOutput(EntryOutput):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")


SHOWTIME_ERRORS = {
    404: error_response("No such showtime.", "showtime_not_found"),
}


class WaitlistView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The waiting list of a showtime, in order (staff)",
        responses={
            200: StaffEntryOutput(many=True),
            403: error_response("Only staff see the waiting list.", "permission_denied"),
        },
    )
    def get(self, request, pk: int):
        if not is_staff_member(request.user):
            raise PermissionDenied("Only staff see the waiting list.")
        entries = selectors.waitlist_for_showtime(showtime_id=pk)
        positions = selectors.waiting_positions(entries)
        return Response(StaffEntryOutput(entries, many=True, context={"positions": positions}).data)

    @extend_schema(
        summary="Join the waiting list of a sold-out showtime",
        description="When seats come free (a cancellation, tickets given back, a hold that "
        "ran out) the first in line gets them held for `WAITLIST_OFFER_MINUTES` and an email "
        "with the link to pay; then the next. Once per customer and showtime.",
        request=JoinInput,
        responses={
            201: EntryOutput,
            400: error_response("Invalid request.", "invalid", "invalid_seat_count"),
            **SHOWTIME_ERRORS,
            409: error_response(
                "Not now.",
                "seats_available",
                "already_on_waitlist",
                "showtime_cancelled",
                "showtime_started",
            ),
        },
    )
    def post(self, request, pk: int):
        data = JoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.waitlist_join(
            user=request.user, showtime_id=pk, seats=data.validated_data["seats"]
        )
        return Response(EntryOutput(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Leave the waiting list (seats on offer to you are released)",
        request=None,
        responses={
            204: None,
            404: error_response("Not on this waiting list.", "not_on_waitlist"),
        },
    )
    def delete(self, request, pk: int):
        services.waitlist_leave(user=request.user, showtime_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
