"""Uploaded posters are served in every profile: by the app from its filesystem, or by
S3-compatible object storage (here a real local S3 server, moto's)."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.catalog.conftest import image_upload
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
MOVIES = "/api/movies/"


def upload_poster(admin_client_api, image_format="PNG") -> tuple[dict, bytes]:
    poster = image_upload(image_format=image_format)
    content = poster.read()
    poster.seek(0)
    response = admin_client_api.post(
        MOVIES,
        {"title": "Heat", "duration_minutes": 170, "poster": poster},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json(), content


@pytest.mark.django_db
def test_an_uploaded_poster_is_served_with_debug_off(admin_client_api, settings):
    assert settings.DEBUG is False
    movie, content = upload_poster(admin_client_api)

    response = Client().get(urlsplit(movie["poster"]).path)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.django_db
def test_the_media_folder_is_never_listed_nor_left(admin_client_api, settings):
    upload_poster(admin_client_api)
    (Path(settings.MEDIA_ROOT).parent / "secret.txt").write_text("not media")

    assert Client().get("/media/posters/").status_code == 404
    assert Client().get("/media/").status_code == 404
    assert Client().get("/media/posters/../../secret.txt").status_code in {400, 404}
    assert Client().get("/media/%2e%2e/secret.txt").status_code in {400, 404}


def settings_under(**env: str) -> str:
    """What `config.settings` makes of these environment variables (a process of its own)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIA_"))}
    code = (
        "import django, json; django.setup(); "
        "from django.conf import settings; from django.core.files.storage import storages; "
        "print(json.dumps(settings.STORAGES['default'], sort_keys=True)); "
        "print(type(storages['default']).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


def test_filesystem_storage_is_the_default():
    output = settings_under()
    assert '{"BACKEND": "django.core.files.storage.FileSystemStorage"}' in output
    assert "FileSystemStorage" in output.splitlines()[-1]


def test_s3_storage_takes_the_usual_variables():
    output = settings_under(
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="posters",
        AWS_S3_ENDPOINT_URL="http://minio:9000",
        AWS_S3_REGION_NAME="eu-central-1",
        AWS_ACCESS_KEY_ID="key-id",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_S3_CUSTOM_DOMAIN="posters.example.com",
        AWS_QUERYSTRING_AUTH="false",
    )
    assert (
        '{"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"access_key": "key-id", '
        '"addressing_style": "path", "bucket_name": "posters", "custom_domain": '
        '"posters.example.com", "endpoint_url": "http://minio:9000", "file_overwrite": false, '
        '"object_parameters": {"CacheControl": "public, max-age=31536000, immutable"}, '
        '"querystring_auth": false, "querystring_expire": 3600, "region_name": "eu-central-1", '
        '"secret_key": "secret"}}'
    ) in output, output
    assert output.splitlines()[-1] == "S3Storage"


def test_s3_storage_without_a_bucket_or_an_unknown_storage_is_refused():
    assert "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in settings_under(MEDIA_STORAGE="s3")
    assert "MEDIA_STORAGE must be filesystem or s3" in settings_under(MEDIA_STORAGE="ftp")


@pytest.fixture
def s3_server():
    """moto's S3 server on a free loopback port, with a bucket for posters."""
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials).create_bucket(
        Bucket="marquee-posters"
    )
    yield endpoint
    server.stop()


@pytest.mark.django_db
def test_with_s3_storage_a_poster_is_stored_in_the_bucket_and_fetched_from_it(
    s3_server, admin_client_api, settings, django_capture_on_commit_callbacks
):
    from storages.backends.s3 import S3Storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "marquee-posters",
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "file_overwrite": False,
                "object_parameters": {"CacheControl": settings.MEDIA_CACHE_CONTROL},
            },
        },
    }
    movie, content = upload_poster(admin_client_api, image_format="JPEG")

    # A signed URL of the bucket itself, fetched as a browser would.
    assert movie["poster"].startswith(f"{s3_server}/marquee-posters/posters/")
    with urllib.request.urlopen(movie["poster"], timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.read() == content
    bucket = S3Storage(**settings.STORAGES["default"]["OPTIONS"])
    name = urlsplit(movie["poster"]).path.removeprefix("/marquee-posters/")
    assert bucket.exists(name)
    # A removed poster leaves the bucket once the change is committed.
    with django_capture_on_commit_callbacks(execute=True):
        removed = admin_client_api.patch(f"{MOVIES}{movie['id']}/", {"poster": None})
    assert removed.status_code == 200
    assert not bucket.exists(name)
