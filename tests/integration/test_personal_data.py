"""No personal field of an arrival reaches a Kafka topic; an erased person is found nowhere: in no
database (as pg_dump writes it), on no topic, in no log record and no span; stored requests keep
only keyed fingerprints."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import shutil
import subprocess
import time
from glob import glob
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from services.intake.requests import ArrivalRequest
from shared.rebuild import rebuild_read_models
from tests.conftest import OPERATOR_KEY, SPANS, RunningServices, eventually
from tests.e2e.canary import scan
from tests.factories import arrival, person
from tests.integration.helpers import entitlements_of, open_shelter, placement_of, read_topic

pytestmark = pytest.mark.integration
OPERATOR = {"X-API-Key": OPERATOR_KEY}

CANARIES = {
    "given_name": "Канарейкин",
    "family_name": "Zzyzxcanary",
    "birth_date": "1987-11-23",
    "document": "CANARY-7731-0042",
    "phone": "+7 912 555 01 77",
}


async def test_no_name_birth_date_or_document_number_appears_on_any_topic(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=3)
    body = arrival(
        person(
            given=CANARIES["given_name"],
            family=CANARIES["family_name"],
            birth_date=CANARIES["birth_date"],
            contact_phone=CANARIES["phone"],
            documents=[
                {
                    "type": "foreign_passport",
                    "number": CANARIES["document"],
                    "issuing_country": "RU",
                }
            ],
        )
    )
    answer = await services.intake.post(
        "/v1/arrivals",
        json=body,
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": "canary"},
    )
    person_id = answer.json()["person_ids"][0]
    await entitlements_of(services, person_id)  # the whole journey has run

    bootstrap = services.apps["intake"].state.runtime.settings.kafka_bootstrap_servers
    seen = []
    for topic in ("intake.events.v2", "housing.events.v2", "aid.events.v2"):
        seen.extend(await read_topic(bootstrap, f"{services.namespace}.{topic}"))
    assert len(seen) >= 4  # arrival, bed, resident, entitlement

    wire = b"\n".join(
        b"".join([record.value or b"", record.key or b"", *(v for _, v in record.headers)])
        for record in seen
    )
    for field, canary in CANARIES.items():
        assert canary.encode() not in wire, f"{field} leaked onto a topic"
    found = await services.intake.get(
        f"/v1/persons/{person_id}", headers={"X-API-Key": services.partner_key}
    )
    # it is kept, in intake's database only, sealed, for the partner who registered it
    assert found.json()["personal"]["documents"][0]["number"] == CANARIES["document"]


# --- erasure reaches every copy ------------------------------------------------------------

#: distinctive personal data of one person, in every form a copy could keep it
ERASED = {
    "given name": "Канареечкина",
    "family name": "Zzyzxerasova",
    "corrected family name": "Стёртова",
    "duplicate's given name": "Дублёрка",
    "birth date": "1986-07-19",
    "birth date, dotted": "19.07.1986",
    "document number": "ERASE-5521-0077",
    "document number, bare": "ERASE55210077",
    "document number, lower case": "erase-5521-0077",
    "phone": "+7 912 555 66 19",
    "partner reference": "canary-ref-3312",
    "correction reason": "canary-correction-reason-4410",
    "erasure reason": "canary-erasure-reason-9930",
    "merge reason": "canary-merge-reason-2207",
    "move reason": "canary-move-reason: sleeps badly near the door",
    "support note": "canary-support-note: travels with her grandmother",
    "destination city": "Zzyzx-Kutaisi",
    "destination city, case folded": "zzyzx-kutaisi",  # the key matching looks requests up by
}


def _dump_of(url: str) -> str:
    """The database as ``pg_dump`` writes it, with the server's own client."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_dump")) or [shutil.which("pg_dump") or ""]
    done = subprocess.run([found[-1], "--no-owner", url], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _copies(services: RunningServices, records: list[logging.LogRecord], into: Path) -> Path:
    """Every copy outside the topics, one file each: the three databases, the log records and
    the spans of this test (the topics are read by the scan itself)."""
    into.mkdir(exist_ok=True)
    for service, url in services.databases.items():
        (into / f"{service}.sql").write_text(await asyncio.to_thread(_dump_of, url))
    lines = [f"{r.name} {r.levelname} {r.getMessage()} {vars(r)}" for r in records]
    (into / "log-records.txt").write_text("\n".join(lines))
    spans = [json.dumps(json.loads(span.to_json())) for span in SPANS.get_finished_spans()]
    (into / "spans.jsonl").write_text("\n".join(spans))
    return into


async def _post(client: httpx.AsyncClient, path: str, body: Any, headers: Any, key: str) -> Any:
    answer = await client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def _register_the_canary(services: RunningServices) -> tuple[str, str]:
    """The canary arrives, is corrected, has a duplicate merged into them: their id and the
    duplicate's."""
    partner = {"X-API-Key": services.partner_key}
    document = {"type": "foreign_passport", "number": ERASED["document number"]}
    body = arrival(person(
        given=ERASED["given name"], family=ERASED["family name"], sex="female",
        birth_date=ERASED["birth date"], contact_phone=ERASED["phone"], documents=[document],
    ))  # fmt: skip
    arrived = await _post(services.intake, "/v1/arrivals",
                          {**body, "partner_reference": ERASED["partner reference"]},
                          partner, "erasure-canary")  # fmt: skip
    [canary] = arrived["person_ids"]
    await _post(services.intake, f"/v1/persons/{canary}/corrections", {
        "field": "family_name", "value": ERASED["corrected family name"],
        "reason": ERASED["correction reason"],
    }, partner, "erasure-correction")  # fmt: skip
    again = arrival(
        person(
            given=ERASED["duplicate's given name"],
            family=ERASED["family name"],
            birth_date=ERASED["birth date"],
            sex="female",
            documents=[document],
        )
    )
    [duplicate] = (await _post(services.intake, "/v1/arrivals", again, partner,
                               "erasure-duplicate"))["person_ids"]  # fmt: skip
    merge = {"duplicate_person_id": duplicate, "kept_person_id": canary,
             "reason": ERASED["merge reason"]}  # fmt: skip
    await _post(services.intake, "/v1/merges", merge, OPERATOR, "erasure-merge")
    return canary, duplicate


async def _house_and_help_the_canary(services: RunningServices, canary: str) -> str:
    """Housing moves the canary with a reason; aid records a support request with a note:
    the support request's id."""
    shelters = [await open_shelter(services, beds=4, name=name) for name in ("Camp", "Hostel")]
    placed = await placement_of(services, canary)
    [elsewhere] = [shelter for shelter in shelters if shelter != placed["shelter_id"]]
    await entitlements_of(services, canary)  # aid knows the canary
    await _post(services.housing, f"/v1/persons/{canary}/move",
                {"to_shelter_id": elsewhere, "reason": ERASED["move reason"]}, OPERATOR,
                "erasure-move")  # fmt: skip
    request = await _post(services.aid, "/v1/support-requests", {
        "kind": "onward_travel", "person_id": canary, "destination_country": "GE",
        "destination_city": ERASED["destination city"], "documents_held": ["foreign_passport"],
        "wanted_on": "2022-10-01", "note": ERASED["support note"],
    }, OPERATOR, "erasure-support")  # fmt: skip
    return str(request["request_id"])


async def _erasures_delivered(services: RunningServices) -> bool:
    """Whether housing and aid have handled every erasure intake recorded (their inboxes say)."""
    async with services.pool("intake").acquire() as conn:
        erasures = [row[0] for row in await conn.fetch(
            "SELECT event_id FROM events WHERE event_type = 'PersonErased'")]  # fmt: skip
    for service in ("housing", "aid"):
        async with services.pool(service).acquire() as conn:
            handled = await conn.fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = ANY($1)", erasures
            )
        if handled < len(erasures):
            return False
    return bool(erasures)


async def _rebuild_every_read_model(services: RunningServices) -> None:
    from services.aid.projections import READ_MODEL_TABLES as AID_TABLES
    from services.housing.projections import READ_MODEL_TABLES as HOUSING_TABLES
    from services.intake.projections import READ_MODEL_TABLES as INTAKE_TABLES

    tables = {"intake": INTAKE_TABLES, "housing": HOUSING_TABLES, "aid": AID_TABLES}
    for service, app in services.apps.items():
        await rebuild_read_models(services.pool(service), app.state.store, tables[service])


async def test_an_erased_person_is_in_no_database_topic_log_record_or_span_and_models_rebuild(
    services: RunningServices, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    SPANS.clear()
    canary, duplicate = await _register_the_canary(services)
    request_id = await _house_and_help_the_canary(services, canary)
    bootstrap = services.apps["intake"].state.runtime.settings.kafka_bootstrap_servers
    before = await scan(ERASED, bootstrap, services.namespace,
                        await _copies(services, caplog.records, tmp_path / "before"))  # fmt: skip

    started = time.perf_counter()
    await _post(services.intake, f"/v1/persons/{canary}/erasure",
                {"reason": ERASED["erasure reason"]}, OPERATOR, "erasure")  # fmt: skip
    took = time.perf_counter() - started

    await eventually(lambda: _erasures_delivered(services), what="housing and aid to get it")
    await _rebuild_every_read_model(services)
    after = await scan(ERASED, bootstrap, services.namespace,
                       await _copies(services, caplog.records, tmp_path / "after"))  # fmt: skip
    logging.getLogger(__name__).info("an erasure took %.3f s through the API", took)

    # the search works: before the erasure it finds the free text in housing's and aid's stores
    where = {(finding.what, finding.where.split(" ")[0]) for finding in before.findings}
    assert {("move reason", "housing.sql"), ("support note", "aid.sql"),
            ("destination city", "aid.sql"), ("destination city, case folded", "aid.sql"),
           } <= where, before.report()  # fmt: skip
    assert after.records > before.records and "log-records.txt" in after.logs
    assert after.findings == [], after.report()
    erased = await services.intake.get(f"/v1/persons/{duplicate}", headers=OPERATOR)
    assert erased.json()["status"] == "erased"  # the merged-away record went with it
    seen = (await services.aid.get(f"/v1/support-requests/{request_id}", headers=OPERATOR)).json()
    assert seen["status"] == "withdrawn" and seen["destination_city"] is None  # rebuilt, empty
    assert await _coarse_facts_kept(services, canary) == {
        "placement": ("forgotten", None, None, False), "history": 0,
        "beneficiary": ("no_consent", None, None, False), "entitlements": 0,
    }  # fmt: skip


async def _coarse_facts_kept(services: RunningServices, person: str) -> dict[str, Any]:
    """What housing's and aid's read models still say of a person: beyond the tombstones,
    an erased person's needs, group, age band and history are gone as on a withdrawal."""
    housing, aid, person_id = services.pool("housing"), services.pool("aid"), UUID(person)
    placement = await housing.fetchrow(
        "SELECT status, arrival_id, shelter_id, needs_accessible OR needs_family OR priority "
        "FROM placements WHERE person_id = $1",
        person_id,
    )
    beneficiary = await aid.fetchrow(
        "SELECT status, arrival_id, age_band, vulnerable FROM beneficiaries WHERE person_id = $1",
        person_id,
    )
    count = "SELECT count(*) FROM {} WHERE person_id = $1"
    return {
        "placement": tuple(placement) if placement else None,
        "history": await housing.fetchval(count.format("placement_history"), person_id),
        "beneficiary": tuple(beneficiary) if beneficiary else None,
        "entitlements": await aid.fetchval(count.format("entitlements"), person_id),
    }


async def test_a_retry_of_an_erased_persons_request_gets_no_answer_of_it_back(
    services: RunningServices,
) -> None:
    partner = {"X-API-Key": services.partner_key, "Idempotency-Key": "erased-retry"}
    body = arrival(person(given=ERASED["given name"], birth_date=ERASED["birth date"]))
    [person_id] = (await services.intake.post("/v1/arrivals", json=body,
                                              headers=partner)).json()["person_ids"]  # fmt: skip
    await _post(services.intake, f"/v1/persons/{person_id}/erasure", {}, OPERATOR, "erase")

    retried = await services.intake.post("/v1/arrivals", json=body, headers=partner)
    async with services.pool("intake").acquire() as conn:
        stored = await conn.fetchrow(
            "SELECT request_hash, response::text, carried_ids FROM idempotency_keys "
            "WHERE idempotency_key = 'erased-retry'"
        )

    assert retried.status_code == 410 and person_id not in retried.text
    assert stored["request_hash"] is None and person_id not in stored["response"]
    assert stored["carried_ids"] == []


async def test_a_stored_fingerprint_is_keyed_and_differs_between_services(
    services: RunningServices,
) -> None:
    body = arrival(person(given=ERASED["given name"], birth_date=ERASED["birth date"]))
    partner = {"X-API-Key": services.partner_key, "Idempotency-Key": "fingerprinted"}
    answer = await services.intake.post("/v1/arrivals", json=body, headers=partner)
    async with services.pool("intake").acquire() as conn:
        stored = await conn.fetchval(
            "SELECT request_hash FROM idempotency_keys WHERE idempotency_key = 'fingerprinted'"
        )
    sent = ArrivalRequest.model_validate(body).model_dump(mode="json")

    def sha256(value: Any, **form: Any) -> str:
        return hashlib.sha256(json.dumps(value, **form).encode()).hexdigest()

    plain = {
        sha256(value, **form)
        for value in (body, sent, ["POST", "/v1/arrivals", body], ["POST", "/v1/arrivals", sent])
        for form in ({}, {"sort_keys": True}, {"sort_keys": True, "separators": (",", ":")},
                     {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")})
    }  # fmt: skip
    of = {name: app.state.runtime.fingerprints.of for name, app in services.apps.items()}
    assert answer.status_code == 201 and stored is not None and len(stored) == 64
    assert stored not in plain  # a dictionary of names and birth dates cannot be tested on it
    assert stored == of["intake"]("wp-test", "POST", "/v1/arrivals", sent)
    assert of["housing"]("wp-test", "POST", "/v1/arrivals", sent) != stored
    assert of["intake"]("wp-other", "POST", "/v1/arrivals", sent) != stored
