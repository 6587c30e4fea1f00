from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_box_office_schema_is_valid_free_of_warnings_and_documents_its_4xx():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(
        patterns=[path("api/staff/", include("marquee.staff.boxoffice_api_urls"))]
    )

    schema = generator.get_schema(request=None, public=True)

    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors for the box office"
    sale = schema["paths"]["/api/staff/box-office/sales/"]["post"]
    assert {"201", "400", "401", "403", "404", "409"} <= set(sale["responses"])
    assert "till_closed" in sale["responses"]["409"]["description"]
    pdf = schema["paths"]["/api/staff/box-office/sales/{public_id}/tickets.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    summary = schema["paths"]["/api/staff/tills/{till_id}/summary/"]["get"]
    assert {p["name"] for p in summary["parameters"]} >= {"till_id", "date"}
