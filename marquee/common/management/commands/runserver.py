"""`manage.py runserver` (what `make run` serves) with a listen backlog that holds a rush.

Django's development server listens with a backlog of 10 connections. When a few hundred
buyers connect at once, as they do when a show goes on sale, the kernel drops the
connection attempts beyond it and each client tries again 1, 3, 7, 15... seconds later. A
400-buyer rush against `make run` took 107 s that way and 167 of its seat-map reads never
connected. Everything else is Django's command (and staticfiles', which serves the admin's
and Swagger UI's files).
"""

from django.contrib.staticfiles.management.commands.runserver import Command as BaseCommand
from django.core.servers.basehttp import WSGIServer


class RushReadyWSGIServer(WSGIServer):
    request_queue_size = 1024  # the kernel caps it at net.core.somaxconn


class Command(BaseCommand):
    server_cls = RushReadyWSGIServer
