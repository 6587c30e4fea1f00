"""Uploaded files (posters) served by Django itself: development only (`DEBUG`)."""

from django.conf import settings
from django.http import Http404
from django.views.static import serve


def media_file(request, path: str):
    """Django's static file view; a name the file system refuses (too long, NUL) is a 404."""
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except (OSError, ValueError):
        raise Http404("No such file.") from None
