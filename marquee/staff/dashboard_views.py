"""The dashboard (staff and admins): placeholder until its charts land."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from marquee.staff.boxoffice_views import staff_page


@require_GET
@staff_page
def dashboard(request):
    return render(request, "staff/dashboard/dashboard.html", {"section": "dashboard"})
