from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_catalog_api_schema_is_valid_and_free_of_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("marquee.catalog.urls"))])

    schema = generator.get_schema(request=None, public=True)

    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors for the catalog"
    assert {
        "/api/movies/",
        "/api/movies/{id}/showtimes/",
        "/api/screens/{id}/seats/generate/",
        "/api/showtimes/{id}/cancel/",
    } <= set(schema["paths"])
