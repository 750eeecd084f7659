"""Each service serves the AsyncAPI document of its topics (FastStream generates it)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import build_app

SETTINGS = {"database_url": "postgresql://unused/none", "http_port": 0}


@pytest.mark.parametrize(
    ("service", "publishes", "consumes"),
    [
        ("intake", "intake.events.v2", []),
        ("housing", "housing.events.v2", ["intake.events.v2"]),
        ("aid", "aid.events.v2", ["intake.events.v2", "housing.events.v2"]),
    ],
)
async def test_the_asyncapi_document_names_the_topics_and_the_published_events(
    service: str, publishes: str, consumes: list[str]
) -> None:
    app = build_app(service, SETTINGS)  # not started: the document needs no database
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{service}"
    ) as client:
        answer = await client.get("/asyncapi.json")

    assert answer.status_code == 200
    document = answer.json()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {publishes, *consumes} <= addresses
    text = json.dumps(document)
    first_event = {"intake": "ArrivalRegistered", "housing": "BedAssigned", "aid": "AidIssued"}
    assert first_event[service] in text  # the published union's schemas are in the document
