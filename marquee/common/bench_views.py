"""Framework ceilings for `make bench`: the cheapest possible answers of this very stack.

Routed only when settings.BENCH_ENDPOINTS is on (never in a normal deployment). The plain view
goes through every middleware; the DRF view also through the project's default
authentication, permission, throttle and renderer classes: the floor cost of any endpoint.
"""

from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView


def plain_json(request):
    return JsonResponse({"status": "ok"})


class DrfJson(APIView):
    @extend_schema(exclude=True)
    def get(self, request):
        return Response({"status": "ok"})
