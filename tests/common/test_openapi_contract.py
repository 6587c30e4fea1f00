"""The API answers as its OpenAPI schema says: schemathesis drives every operation of the live
schema (`/api/schema/`, loaded through the production WSGI entry point) with data made from
the schema itself, valid and invalid, as an anonymous caller, a customer, staff and an admin.

Checks: no 5xx, every status documented, every body valid against its documented schema,
the documented content type, the documented headers. Bounded and repeatable: a fixed number
of derandomized examples per operation, each request in a savepoint that is rolled back.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.common.fuzzing import ROLES, isolated

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
OPERATIONS = sorted(
    (result.ok() for result in SCHEMA.get_all_operations()), key=lambda op: op.label
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Bounded for the suite's minute; FUZZ_EXAMPLES=200 make test ... for a deeper run.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "8"))
# Admins may call nearly everything: weighted so that success answers are common too.
CALLERS = [*ROLES, "admin", "admin"]

CONTRACT = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def through_the_wsgi_entry_point():
    """Requests go through `config.wsgi.application` as a server sends them; Django's end of
    request closes "old" connections, which would end the test's transaction (the test client
    disconnects the same signal for the same reason)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def real_values(world) -> dict[str, list]:
    """Ids of rows that exist, by the name a path parameter or a body field gives them."""
    ids = world.ids
    texts = {"public_id", "genre"}
    as_ints = {name: [int(v) for v in values] for name, values in ids.items() if name not in texts}
    free_seats = as_ints["seats"][5:]  # the first five are held or sold
    return {**as_ints, "seats": free_seats, "public_id": ids["public_id"], "genres": ids["genre"]}


def use_real_ids(case, world, data) -> None:
    """Now and then point a generated case at rows that exist, so the success answers (and
    their documented shapes) are exercised, not only the 404s of random ids."""
    values = real_values(world)
    for name in list(case.path_parameters or {}):
        if name in values and data.draw(st.booleans(), label=f"real {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(values[name]))
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in values and data.draw(st.booleans(), label=f"real {name}"):
                real = values[name]
                case.body[name] = real[:2] if isinstance(case.body[name], list) else real[0]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_every_operation_answers_as_its_schema_says(world, operation, through_the_wsgi_entry_point):
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | (
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    )

    @CONTRACT
    @given(case=strategy, data=st.data())
    def answers_as_documented(case, data):
        use_real_ids(case, world, data)
        role = data.draw(st.sampled_from(CALLERS), label="role")
        token = world.tokens[role]
        headers = {"Authorization": f"Bearer {token}"} if token else {}

        response = isolated(lambda: case.call(headers=headers))

        case.validate_response(response, checks=CHECKS, headers=headers)

    answers_as_documented()


def test_the_contract_covers_every_operation():
    labels = {op.label for op in OPERATIONS}
    assert len(labels) >= 48
    assert {
        "GET /api/bookings/",
        "POST /api/bookings/",
        "GET /api/screens/{id}/seats/",
        "POST /api/payments/stripe/webhook/",
        "GET /api/showtimes/{id}/seats/",
    } <= labels


@pytest.fixture(scope="module")
def full_schema():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    yield schema
    GENERATOR_STATS.reset()


def test_the_whole_schema_is_valid_and_free_of_warnings(full_schema):
    validate_schema(full_schema)
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"


def _ok_schema(schema, path):
    return schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def test_paginated_lists_are_documented_as_pages_and_plain_lists_as_arrays(full_schema):
    assert _ok_schema(full_schema, "/api/bookings/")["$ref"].endswith("PaginatedBookingOutputList")
    assert _ok_schema(full_schema, "/api/payments/refunds/")["$ref"].endswith(
        "PaginatedRefundOutputList"
    )
    assert _ok_schema(full_schema, "/api/screens/{id}/seats/")["type"] == "array"


def test_public_reads_may_be_called_without_a_token(full_schema):
    for path in ("/api/movies/", "/api/movies/{id}/", "/api/showtimes/{id}/seats/"):
        assert {} in full_schema["paths"][path]["get"]["security"], path
    assert {} not in full_schema["paths"]["/api/movies/"]["post"]["security"]


def test_every_error_answer_uses_the_one_error_component(full_schema):
    responses = full_schema["components"]["responses"]
    for path, operations in full_schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                if "$ref" in response:
                    response = responses[response["$ref"].rsplit("/", 1)[1]]
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    throttled = full_schema["paths"]["/api/bookings/"]["post"]["responses"]["429"]
    assert throttled == {"$ref": "#/components/responses/Throttled"}
    assert "Retry-After" in responses["Throttled"]["headers"]
