"""Error pages: the API keeps its JSON errors (marquee.common.errors); everything else is the
site, and a person gets a page."""

from __future__ import annotations

from django.shortcuts import render

from marquee.common import errors as api_errors


def _is_api(request) -> bool:
    return request.path_info.startswith(("/api/", "/healthz", "/readyz"))


def not_found(request, exception=None):
    if _is_api(request):
        return api_errors.json_not_found(request, exception)
    return render(request, "web/404.html", status=404)


def server_error(request):
    if _is_api(request):
        return api_errors.json_server_error(request)
    # No template engine, no context processors: the failure may be theirs.
    from django.http import HttpResponseServerError

    return HttpResponseServerError(
        b"<!DOCTYPE html><title>Marquee</title><h1>Something went wrong</h1>"
        b"<p>Please try again in a moment.</p>",
        content_type="text/html",
    )


def bad_request(request, exception=None):
    if _is_api(request):
        return api_errors.json_bad_request(request, exception)
    return render(request, "web/404.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return api_errors.json_permission_denied(request, exception)
    return render(request, "web/404.html", status=403)
