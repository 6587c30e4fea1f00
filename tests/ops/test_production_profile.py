"""The production profile as a cinema runs it: gunicorn with config.production, DEBUG off, a
real ALLOWED_HOSTS, behind a TLS proxy. Probes answer on any host, an unmigrated database is
not ready, and an uploaded poster is served."""

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests import factories
from tests.catalog.conftest import image_upload
from tests.servers import free_port, subprocess_database_url

ROOT = Path(__file__).resolve().parents[2]
HOST = "tickets.example.com"
PASSWORD = "a-production-admin-password"


class Server:
    def __init__(self, port: int, process: subprocess.Popen):
        self.port, self.process = port, process

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def request(self, path, *, data=None, headers=None, host=HOST, method=None):
        """Status, headers and body, sent as the TLS-terminating proxy would (or not)."""
        headers = {"Host": host, "X-Forwarded-Proto": "https", **(headers or {})}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def start_server(database_url: str, folder: Path) -> Server:
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(folder / "media"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    server = Server(port, process)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(log.read_text()[-3000:])
        try:
            # Docker's health check: the container's own address, not a public host name.
            if server.request("/healthz", host=f"127.0.0.1:{port}")[0] == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail("gunicorn did not answer /healthz")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def unmigrated_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unmigrated")
    server = start_server(f"sqlite:///{folder / 'db.sqlite3'}", folder)
    yield server
    server.stop()


@pytest.fixture
def migrated_server(tmp_path):
    """gunicorn on the test database (tests using it commit what it should see)."""
    server = start_server(subprocess_database_url(), tmp_path)
    yield server
    server.stop()


def test_probes_answer_any_host_and_everything_else_only_the_allowed_one(unmigrated_server):
    assert unmigrated_server.request("/healthz", host="10.0.3.7:8000")[0] == 200
    assert unmigrated_server.request("/readyz", host="10.0.3.7:8000")[0] in {200, 503}
    assert unmigrated_server.request("/api/movies/", host="10.0.3.7:8000")[0] == 400


def test_an_unmigrated_database_is_not_ready(unmigrated_server):
    status, _, body = unmigrated_server.request("/readyz", host="127.0.0.1")

    assert status == 503
    assert json.loads(body)["failed"] == ["migrations"]


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db(transaction=True)
def test_a_poster_uploaded_in_production_is_served(migrated_server):
    admin = factories.UserFactory(role="admin")
    admin.password = PBKDF2PasswordHasher().encode(PASSWORD, secrets.token_hex(8))
    admin.save()
    server = migrated_server

    status, headers, body = server.request(
        "/api/auth/login/",
        data=json.dumps({"username": admin.username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body
    access = json.loads(body)["access"]
    poster = image_upload().read()
    data, content_type = multipart(
        {"title": "Heat", "duration_minutes": "170"}, {"poster": ("heat.png", poster, "image/png")}
    )
    status, _, body = server.request(
        "/api/movies/",
        data=data,
        headers={"Authorization": f"Bearer {access}", "Content-Type": content_type},
    )
    assert status == 201, body
    url = json.loads(body)["poster"]
    assert url.startswith(f"https://{HOST}/media/posters/")

    status, headers, body = server.request(urlsplit(url).path)

    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert body == poster
    assert server.request("/readyz", host="127.0.0.1")[0] == 200
