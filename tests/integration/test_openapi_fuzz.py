"""Every operation of intake, housing and aid, fuzzed from its own OpenAPI document with
schemathesis, in this process, on the real Kafka and Postgres: no answer is a server error,
and every answer, errors included, keeps to the documented status code, content type
(problem details as ``application/problem+json``), headers and schema."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
import requests
import schemathesis
import urllib3
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.idempotency import MAX_KEY_LENGTH
from tests.conftest import OPERATOR_KEY, RunningServices

pytestmark = pytest.mark.integration

Case = schemathesis.Case[Any]

#: generated examples per operation; schemathesis adds the schema's own examples and a
#: coverage phase (boundary values, missing and invalid parameters, unexpected methods)
MAX_EXAMPLES = 30
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20220924,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    }
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


class InProcess(requests.adapters.HTTPAdapter):
    """Hands each request schemathesis prepared to a service's in-process ASGI client, on the
    event loop the services run on: the app's lifespan stays the fixture's (never started a
    second time), and its pool and Kafka clients stay on their own loop. An exception in the
    app propagates with its traceback, where a server would answer 500."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.client = client
        self.loop = loop

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert body is None or isinstance(body, bytes), type(body)
        # on the wire, header values are bytes (latin-1), whatever was generated
        headers = [
            (name.encode("latin-1"), value if isinstance(value, bytes) else value.encode("latin-1"))
            for name, value in request.headers.items()
        ]
        answer = self.loop.run_until_complete(
            self.client.request(
                request.method or "GET", request.url or "/", headers=headers, content=body
            )
        )
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=urllib3.HTTPHeaderDict(answer.headers.multi_items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
        )
        response: requests.Response = self.build_response(request, raw)
        return response


@dataclass
class Service:
    """One service under test: its schema, how to reach it, which key each operation needs."""

    name: str
    schema: schemathesis.BaseSchema
    session: requests.Session
    partner_key: str

    def headers_for(self, case: Case) -> dict[str, str]:
        # partners call intake's partner routes; everything else is the coordination centre's
        by_partner = self.name == "intake" and "operators" not in (case.operation.tags or [])
        headers = {"X-API-Key": self.partner_key if by_partner else OPERATOR_KEY}
        generated = case.headers.get("Idempotency-Key") if case.headers else None
        if isinstance(generated, str) and 0 < len(generated) <= MAX_KEY_LENGTH:
            # a valid key becomes one of this case's own, so that two cases never share one;
            # a missing or invalid key (a negative case) goes out as schemathesis made it
            headers["Idempotency-Key"] = f"fuzz-{uuid4().hex}"
        return headers


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """The fuzzer sends thousands of requests with one partner key as fast as it can: a rate
    limit would answer 429 instead of letting it reach the code under test (and so would
    the limit of failed authentications, for the keys a negative case invents)."""
    return {"rate_limit_burst": 1_000_000, "rate_limit_failed_auth_burst": 1_000_000}


@pytest.fixture
async def services_loop(services: RunningServices) -> asyncio.AbstractEventLoop:
    """The event loop the in-process services run on (the session's)."""
    return asyncio.get_running_loop()


@pytest.fixture(params=["intake", "housing", "aid"])
def service(
    request: pytest.FixtureRequest,
    services: RunningServices,
    services_loop: asyncio.AbstractEventLoop,
) -> Iterator[Service]:
    name: str = request.param
    document = json.loads(json.dumps(services.apps[name].openapi()))  # a copy of its own
    schema = schemathesis.openapi.from_dict(document, config=CONFIG)
    with requests.Session() as session:
        session.mount("http://", InProcess(getattr(services, name), services_loop))
        yield Service(name, schema, session, services.partner_key)


@pytest.fixture
def openapi(request: pytest.FixtureRequest, service: Service) -> schemathesis.BaseSchema:
    # schemathesis 4.32's from_fixture reads and rewrites Node._nodeid, which pytest 9.2 no
    # longer has (the id lives in Node._id); give it the attribute it expects
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    return service.schema


@pytest.fixture(scope="module")
def cases_tried(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    """Counts the cases sent to each service, and prints them when the module is done, so
    that CI logs show how much the bounded run really tried."""
    tried: Counter[str] = Counter()
    yield tried
    counts = ", ".join(f"{name} {count}" for name, count in sorted(tried.items()))
    # past pytest's output capture, as capsys.disabled() does, so that it shows on a pass too
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(f"\nschemathesis: {sum(tried.values())} cases tried: {counts}")


schema = schemathesis.pytest.from_fixture("openapi")


@schema.parametrize()
def test_every_operation_answers_as_documented(
    case: Case, service: Service, cases_tried: Counter[str]
) -> None:
    cases_tried[service.name] += 1
    case.call_and_validate(
        base_url=f"http://{service.name}",
        session=service.session,
        headers=service.headers_for(case),
        checks=CHECKS,
    )
