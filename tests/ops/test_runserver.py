"""`manage.py runserver` takes a rush of connections without dropping them (Django's own listens
with a backlog of 10); `make run` serves the ASGI application with uvicorn (the live seat map
needs ASGI), on the port it prints."""

import os
import socket
import subprocess
from pathlib import Path

from django.contrib.staticfiles.management.commands import runserver as staticfiles_runserver
from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

from marquee.common.management.commands.runserver import RushReadyWSGIServer

BUYERS = 200


def connections_accepted_by_the_kernel(server_cls, count: int) -> int:
    """Connections that complete while the server accepts none: what its backlog holds."""
    server = server_cls(("127.0.0.1", 0), WSGIRequestHandler)
    opened = []
    try:
        for _ in range(count):
            try:
                opened.append(socket.create_connection(server.server_address, timeout=0.5))
            except OSError:  # a connection attempt the kernel dropped
                break
        return len(opened)
    finally:
        for connection in opened:
            connection.close()
        server.server_close()


def test_the_development_server_holds_a_rush_of_connections():
    assert connections_accepted_by_the_kernel(RushReadyWSGIServer, BUYERS) == BUYERS


def test_django_s_own_would_drop_them():
    # What the command fixes: beyond its backlog the kernel drops the connection attempts.
    assert connections_accepted_by_the_kernel(WSGIServer, BUYERS) < 20


def test_make_run_s_runserver_is_this_one_and_still_serves_static_files():
    assert get_commands()["runserver"] == "marquee.common"
    command = load_command_class("marquee.common", "runserver")
    assert command.server_cls is RushReadyWSGIServer
    assert isinstance(command, staticfiles_runserver.Command)


def make_run_commands(*args: str, **env: str) -> str:
    """What `make run` would execute (make -n: printed, not run)."""
    root = Path(__file__).resolve().parents[2]
    clean = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    result = subprocess.run(
        ["make", "-s", "-n", "run", *args],
        cwd=root,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_make_run_prints_and_links_the_port_it_really_serves_on():
    commands = make_run_commands("PORT=8765")

    assert "seed_demo --base-url http://127.0.0.1:8765" in commands
    assert "SITE_URL=http://127.0.0.1:8765 " in commands
    assert "uvicorn config.asgi:application --host 127.0.0.1 --port 8765" in commands


def test_make_run_on_every_interface_prints_a_url_a_browser_opens():
    commands = make_run_commands("HOST=0.0.0.0")

    assert "seed_demo --base-url http://127.0.0.1:8000" in commands
    assert "uvicorn config.asgi:application --host 0.0.0.0 --port 8000" in commands


def test_make_run_leaves_a_site_url_of_the_environment_alone():
    commands = make_run_commands(SITE_URL="https://tickets.example.com")

    assert "SITE_URL=" not in commands
