"""The API docs work offline: Swagger UI and ReDoc load nothing from another origin (the
sidecar serves their assets; ReDoc's web fonts and Swagger's validator badge are left out)."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db
OTHER_ORIGINS = ("fonts.googleapis.com", "fonts.gstatic.com", "validator.swagger.io", "cdn.")


@pytest.mark.parametrize("page", ["/api/redoc/", "/api/docs/"])
def test_the_docs_page_loads_only_this_servers_assets(page):
    response = Client().get(page)

    assert response.status_code == 200
    html = response.content.decode()
    for origin in OTHER_ORIGINS:
        assert origin not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/"), asset  # same origin
        if asset.startswith("/static/"):
            found = finders.find(asset.removeprefix("/static/"))
            assert found, asset
            if found.endswith((".js", ".css")):
                text = Path(found).read_text(encoding="utf-8", errors="replace")
                assert "fonts.googleapis.com" not in text, asset


def test_swagger_ui_asks_no_outside_validator():
    html = Client().get("/api/docs/").content.decode()
    assert '"validatorUrl": null' in html
