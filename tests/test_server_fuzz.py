"""Fuzzing the serving API from its own OpenAPI document: no input may cause a server error, and every
answer (status, content type, body) is one the document promises."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.server.app import create_app
from tests.server_models import CountingRunner, cooling, write_model

TOKEN = "fuzz-token"
REPO = Path(tempfile.mkdtemp(prefix="salver-fuzz-"))


def _app():  # noqa: ANN202
    # A fixed folder: the schema is built when the module is collected, before fixtures exist.
    write_model(REPO, "cooling", cooling(), "1", config={"limits": {"max_runs": 50, "max_steps": 2000}})
    return create_app(REPO, token=TOKEN, runner=CountingRunner())


schema = schemathesis.openapi.from_asgi("/openapi.json", _app(), headers={"Authorization": f"Bearer {TOKEN}"})


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_request_makes_a_server_error(case: schemathesis.Case) -> None:
    if case.path_parameters and "model_name" in case.path_parameters and case.operation.method.upper() == "POST":
        case.path_parameters["model_name"] = "cooling"  # reach the model's own checks, not only the 404
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                             content_type_conformance, response_schema_conformance])
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)


def test_the_document_promises_400_for_invalid_input_never_422() -> None:
    document = _app().openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
    infer = document["paths"]["/v2/models/{model_name}/infer"]["post"]
    assert "400" in infer["responses"] and "InferRequest" in str(infer["requestBody"])
