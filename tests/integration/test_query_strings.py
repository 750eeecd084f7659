"""Query strings stay out of access logs and spans: a query may hold a date, a site, a search
term, or whatever a client put there by mistake. Spans from the three services in this process
(the in-memory exporter), and the access log of a real uvicorn in front of intake."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest

from shared.logs import configure_logging
from tests.conftest import OPERATOR_KEY, SPANS, RunningServices
from tests.integration.served import served_over_tcp

pytestmark = pytest.mark.integration
OPERATOR = {"X-API-Key": OPERATOR_KEY}
#: what a client may put in a query by mistake: it must reach no span and no log line
MARKER = "Смирнов-1994-03-02"


async def test_no_server_span_of_any_service_holds_a_query_string(
    services: RunningServices,
) -> None:
    SPANS.clear()
    partner = {"X-API-Key": services.partner_key}
    answers = [
        await services.intake.get("/v1/arrivals", params={"limit": 7, "note": MARKER},
                                  headers=partner),
        await services.housing.get("/v1/due-out", params={"on": "2022-09-24", "note": MARKER},
                                   headers=OPERATOR),
        await services.aid.get("/v1/stock", params={"site_id": "atameken-camp", "note": MARKER},
                               headers=OPERATOR),
    ]  # fmt: skip
    assert [answer.status_code for answer in answers] == [200, 200, 200]

    servers = [span for span in SPANS.get_finished_spans() if span.kind.name == "SERVER"]
    routes = {str((span.attributes or {}).get("http.route")) for span in servers}
    assert {"/v1/arrivals", "/v1/due-out", "/v1/stock"} <= routes
    for span in servers:
        attributes = json.dumps(dict(span.attributes or {}), ensure_ascii=False)
        assert "note=" not in attributes and "limit=7" not in attributes, attributes
        assert "2022-09-24" not in attributes and "1994-03-02" not in attributes, attributes
        assert "Смирнов" not in span.name


async def test_the_access_log_names_the_path_without_its_query(
    services: RunningServices,
) -> None:
    root, access = logging.getLogger(), logging.getLogger("uvicorn.access")
    kept_handlers, kept_level, kept_propagate = root.handlers[:], root.level, access.propagate
    # a uvicorn started with access_log=False (an earlier test) stops the logger propagating
    access.propagate = True
    configure_logging()
    written = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)  # the service's own handler and format, read back here
    try:
        async with (
            served_over_tcp(services.apps["intake"], access_log=True) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            answer = await client.get("/v1/arrivals", params={"limit": 7, "note": MARKER},
                                      headers={"X-API-Key": services.partner_key})  # fmt: skip
    finally:
        root.handlers[:] = kept_handlers
        root.setLevel(kept_level)
        access.propagate = kept_propagate

    assert answer.status_code == 200
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    logged = [line["message"] for line in lines if line["logger"] == "uvicorn.access"]
    assert any('"GET /v1/arrivals HTTP/1.1" 200' in message for message in logged), logged
    everything = json.dumps(lines, ensure_ascii=False)
    assert "limit=7" not in everything and "1994-03-02" not in everything
