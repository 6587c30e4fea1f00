"""Uploaded files (posters) served by the app itself while they live on its filesystem.

WhiteNoise serves the static files but not these: it indexes its files when the process
starts, and posters are uploaded while it runs."""

from django.conf import settings
from django.http import Http404
from django.views import static


def media_serve(request, path):
    """A file under MEDIA_ROOT: never a directory listing, never sniffed into a page that runs
    script, cached for a year (a new upload always gets a new name). A name the file system
    refuses (too long, a NUL) is a 404, not a 500."""
    try:
        response = static.serve(
            request, path, document_root=settings.MEDIA_ROOT, show_indexes=False
        )
    except (OSError, ValueError):
        raise Http404("No such file.") from None
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = settings.MEDIA_CACHE_CONTROL
    return response
