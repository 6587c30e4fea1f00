"""The ASGI application: the whole site, and the live seat map's event streams (marquee/live).

`make run` serves it with uvicorn (reloading on code changes); in production gunicorn serves
the site (config.wsgi) and `make live` this application for /live/ (docs/operations.md).
The streams' one path, `/live/showtimes/<id>/seats/`, is served by a plain ASGI handler
(marquee/live/asgi.py) and never enters Django's request path; everything else does.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# No guard as config/wsgi.py has: Django's ASGI request does not decode the query string with
# the Content-Type's charset (tests/common/test_hostile_bodies.py shows it).
site = get_asgi_application()

from django.conf import settings  # noqa: E402  (after the settings are configured)

from marquee.live.asgi import live_routed  # noqa: E402

if settings.DEBUG and "django.contrib.staticfiles" in settings.INSTALLED_APPS:
    # As `runserver` does while developing: the apps' static files, without collectstatic.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    site = ASGIStaticFilesHandler(site)

application = site if settings.LIVE_THROUGH_DJANGO else live_routed(site)
