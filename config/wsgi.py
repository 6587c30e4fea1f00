import os

from django.core.wsgi import get_wsgi_application

from marquee.common.wsgi import EnvironGuard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = EnvironGuard(get_wsgi_application())
