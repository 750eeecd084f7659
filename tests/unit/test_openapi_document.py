"""Each service's OpenAPI document: the API key is a security scheme on every protected
route (the Authorize button of /docs), and every error is declared as problem details."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

from shared.http import stored_answer
from shared.openapi import PROBLEM_JSON, PROBLEM_SCHEMA, REPLAYED, REPLAYED_HEADER
from tests.conftest import build_app

SERVICES = ("intake", "housing", "aid")
SETTINGS = {"database_url": "postgresql://unused/none", "http_port": 0}  # never started
#: routes anyone may call: probes and contracts
#: the arrivals template is an empty sheet: no key needed (README, For volunteers)
PUBLIC = {"/healthz", "/readyz", "/asyncapi.json", "/v1/arrival-imports/template"}


def document(service: str) -> dict[str, Any]:
    openapi: dict[str, Any] = build_app(service, SETTINGS).openapi()
    return openapi


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_every_protected_route_names_the_api_key_scheme_and_no_key_parameter(
    service: str,
) -> None:
    openapi = document(service)
    scheme = openapi["components"]["securitySchemes"]["ApiKey"]
    assert scheme == scheme | {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    for method, path, operation in operations(openapi):
        parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert "X-API-Key" not in parameters, f"{method} {path}"
        if path not in PUBLIC:
            assert operation.get("security") == [{"ApiKey": []}], f"{method} {path}"
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_response_is_problem_details_with_an_example_that_fits(
    service: str,
) -> None:
    openapi = document(service)
    validator = jsonschema_rs.validator_for(PROBLEM_SCHEMA)
    assert openapi["components"]["schemas"]["Problem"] == PROBLEM_SCHEMA
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    for method, path, operation in operations(openapi):
        errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
        assert "500" in errors, f"{method} {path}"
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in errors, f"{method} {path}"
        for code, response in errors.items():
            assert list(response["content"]) == [PROBLEM_JSON], f"{method} {path} {code}"
            example = response["content"][PROBLEM_JSON]["example"]
            validator.validate(example)
            assert example["status"] == int(code)


@pytest.mark.parametrize("service", SERVICES)
def test_a_route_taking_an_idempotency_key_declares_the_replay_header_on_what_a_retry_gets_again(
    service: str,
) -> None:
    keyed = 0
    for method, path, operation in operations(document(service)):
        parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
        takes_a_key = "Idempotency-Key" in parameters
        keyed += takes_a_key
        for code, response in operation["responses"].items():
            kept = code.startswith("2") or code in ("410", "422")
            declared = response.get("headers", {}).get(REPLAYED)
            assert declared == (REPLAYED_HEADER if takes_a_key and kept else None), (
                f"{method} {path} {code}"
            )
    assert keyed >= 5  # every service has its POSTs


async def test_the_docs_page_is_served_with_the_document_it_authorises_against() -> None:
    app = build_app("housing", SETTINGS)  # not started: the pages need no database
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://housing") as client:
        page = await client.get("/docs")
        served = (await client.get("/openapi.json")).json()
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert "ApiKey" in served["components"]["securitySchemes"]


def test_a_stored_refusal_replays_as_problem_details_and_a_success_as_json() -> None:
    refused = stored_answer(410, {"type": "urn:x", "title": "Erased", "status": 410, "detail": "."})
    created = stored_answer(201, {"arrival_id": "a"})
    assert refused.media_type == PROBLEM_JSON and refused.status_code == 410
    assert created.media_type == "application/json"
    idempotent = document("intake")["paths"]["/v1/arrivals"]["post"]["responses"]
    assert {"409", "410", "503"} <= set(idempotent)
