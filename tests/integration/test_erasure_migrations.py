"""What was written before erasure reached every copy is moved out of reach by the migrations:
free text leaves the events for the tables an erasure deletes from, erasure reasons go, and
stored requests lose their unkeyed fingerprints and list the ids their answers carried."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from shared.migrations import upgrade

pytestmark = pytest.mark.integration
SERVICES = Path(__file__).parents[2] / "services"


async def _legacy(url: str, service: str, revision: str, *events: tuple[str, str, Any]) -> None:
    """A database at ``revision`` holding ``events`` (stream, type, data) and one stored request
    with a plain SHA-256 fingerprint whose answer names the first stream."""
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations", revision)
    conn = await asyncpg.connect(url)
    try:
        for version, (stream, kind, data) in enumerate(events, start=1):
            await conn.execute(
                "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, "
                "data, metadata) VALUES ($1, $2, $3, $4, 1, $5, '{}')",
                stream, version, uuid4(), kind, json.dumps(data),
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO idempotency_keys (client_id, idempotency_key, request_hash, status_code, "
            "response) VALUES ('operator', 'old', $1, 200, $2)",
            "ab" * 32, json.dumps({"person_id": events[0][0]}),
        )  # fmt: skip
    finally:
        await conn.close()


async def _upgraded(url: str, service: str, query: str) -> list[asyncpg.Record]:
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations")
    conn = await asyncpg.connect(url)
    try:
        stored = await conn.fetchrow("SELECT request_hash, carried_ids FROM idempotency_keys")
        assert stored["request_hash"] is None  # no unkeyed fingerprint survives
        assert [str(found) for found in stored["carried_ids"]] != []
        return list(await conn.fetch(query))
    finally:
        await conn.close()


STAMP = {"actor": "operator", "occurred_at": "2022-09-25T10:00:00+00:00", "schema_version": 1}


async def test_an_old_move_reason_leaves_housings_events_for_its_notes(
    databases: dict[str, str],
) -> None:
    person, shelter = str(uuid4()), str(uuid4())
    moved = {**STAMP, "type": "PersonMoved", "shelter_id": shelter, "person_id": person,
             "reason": "old-move-reason-canary"}  # fmt: skip
    await _legacy(databases["housing"], "housing", "0003", (person, "PersonMoved", moved))
    rows = await _upgraded(
        databases["housing"],
        "housing",
        """
        SELECT (SELECT reason FROM move_notes) AS note, data::text AS event FROM events""",
    )

    assert rows[0]["note"] == "old-move-reason-canary"
    assert "old-move-reason-canary" not in rows[0]["event"]


async def test_old_request_details_leave_aids_events_for_their_table(
    databases: dict[str, str],
) -> None:
    request, person = str(uuid4()), str(uuid4())
    asked = {**STAMP, "type": "SupportRequested", "request_id": request, "person_id": person,
             "kind": "onward_travel", "destination_country": "GE"}  # fmt: skip
    details = {**STAMP, "type": "SupportRequestDetailsRecorded", "request_id": request,
               "destination_city": "Old-City-Canary", "documents_held": ["visa"],
               "wanted_on": "2022-10-01", "profession": None, "skills": [], "languages": ["ru"],
               "work_countries": [], "remote_ok": False, "note": "old-note-canary"}  # fmt: skip
    await _legacy(databases["aid"], "aid", "0003", (request, "SupportRequested", asked),
                  (request, "SupportRequestDetailsRecorded", details))  # fmt: skip
    rows = await _upgraded(
        databases["aid"],
        "aid",
        """
        SELECT d.person_id, d.destination_city, d.documents_held, d.note,
               (SELECT string_agg(data::text, ' ') FROM events) AS events
        FROM support_request_details d""",
    )

    [kept] = rows
    assert (kept["person_id"], kept["destination_city"]) == (UUID(person), "Old-City-Canary")
    assert kept["documents_held"] == ["visa"] and kept["note"] == "old-note-canary"
    assert "old-note-canary" not in kept["events"] and "SupportRequested" in kept["events"]


async def test_an_old_erasure_reason_leaves_intakes_events(databases: dict[str, str]) -> None:
    person = str(uuid4())
    erased = {**STAMP, "type": "PersonErased", "person_id": person,
              "reason": "old-erasure-reason-canary"}  # fmt: skip
    await _legacy(databases["intake"], "intake", "0002", (person, "PersonErased", erased))
    [row] = await _upgraded(databases["intake"], "intake", "SELECT data FROM events")

    assert set(json.loads(row["data"])) == set(erased) - {"reason"}
