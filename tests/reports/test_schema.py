from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_reports_schema_is_valid_and_free_of_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("marquee.reports.urls"))])

    schema = generator.get_schema(request=None, public=True)

    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors for the reports"
    sales = schema["paths"]["/api/reports/sales/"]["get"]
    assert {p["name"] for p in sales["parameters"]} == {
        "from",
        "to",
        "group_by",
        "by_channel",
        "format",
    }
    assert set(sales["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    # 429 and 503 are every throttled operation's (marquee/common/openapi.py).
    assert set(sales["responses"]) == {"200", "400", "401", "403", "429", "503"}
    assert "/api/reports/occupancy/" in schema["paths"]
