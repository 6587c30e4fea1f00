import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts_schema():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/auth/", include("marquee.accounts.urls"))])
    schema = generator.get_schema(request=None, public=True)
    yield schema
    GENERATOR_STATS.reset()


def test_accounts_schema_generates_without_warnings(accounts_schema):
    assert not GENERATOR_STATS._warn_cache
    assert not GENERATOR_STATS._error_cache
    assert {
        "/api/auth/signup/",
        "/api/auth/login/",
        "/api/auth/refresh/",
        "/api/auth/logout/",
        "/api/auth/me/",
        "/api/auth/users/",
        "/api/auth/users/{user_id}/role/",
    } <= set(accounts_schema["paths"])


def test_schema_documents_bearer_jwt_for_swagger_authorize(accounts_schema):
    assert accounts_schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": accounts_schema["components"]["securitySchemes"]["jwtAuth"]["description"],
    }
    assert accounts_schema["paths"]["/api/auth/me/"]["get"]["security"] == [{"jwtAuth": []}]


def test_login_is_documented_as_public(accounts_schema):
    assert accounts_schema["paths"]["/api/auth/login/"]["post"]["security"] == [{}]


def test_full_schema_endpoint_serves(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "jwtAuth" in response.json()["components"]["securitySchemes"]
