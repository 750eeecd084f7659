"""The operators' console (``resettle``) against the real stack, run as its own process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from shared.eventstore import PUBLIC_EVENT_TYPES
from shared.schemas.intake import AgeBand, ArrivalRegistered, ArrivingMember, Relation, Sex
from tests.conftest import OPERATOR_KEY, RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import entitlements_of, open_shelter, placement_of, produce

pytestmark = pytest.mark.integration

NAME_PARTS = ("Алексей", "Смирнов", "Aleksei", "Alexei", "Smirnov", "1994-03-02")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def console_env(services: RunningServices) -> dict[str, str]:
    bootstrap = services.apps["intake"].state.runtime.settings.kafka_bootstrap_servers
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_TOPIC_NAMESPACE": services.namespace,
        "TRACE_UI_URL": "http://zipkin.test/zipkin/traces/",
        "COLUMNS": "250",
    }
    for service, url in services.databases.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"{service.upper()}_HTTP_PORT"] = "1"  # nothing listens: the apps run in-process
    return env


async def resettle(services: RunningServices, *args: str) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "console", *args,
        env=console_env(services),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


async def register_and_place(services: RunningServices) -> str:
    await open_shelter(services, beds=4)
    answer = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person()),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": f"console-{uuid4()}"},
    )
    assert answer.status_code == 201, answer.text
    [person_id] = answer.json()["person_ids"]
    await placement_of(services, person_id)
    await entitlements_of(services, person_id)
    return str(person_id)


def arrival_event() -> tuple[str, bytes]:
    person_id = uuid4()
    event = ArrivalRegistered(
        actor="partner:tt", occurred_at=datetime.now(UTC), arrival_id=uuid4(), partner_id="tt",
        members=(ArrivingMember(person_id=person_id, age_band=AgeBand.ADULT, sex=Sex.MALE,
                                relation=Relation.SELF),),
        keep_together=False, arrival_date=date(2022, 9, 24), crossing_point="syrym",
    )  # fmt: skip
    return str(person_id), event.model_dump_json().encode()


async def test_status_shows_backlog_lag_and_dead_letters_of_the_three_services(
    services: RunningServices,
) -> None:
    await register_and_place(services)
    bootstrap = services.apps["intake"].state.runtime.settings.kafka_bootstrap_servers
    await produce(bootstrap, f"{services.namespace}.intake.events.v2", b"{}", {})

    async def settled() -> dict[str, Any] | None:
        run = await resettle(services, "status", "--json")
        assert run.code == 0, run.stderr
        report = {entry["service"]: entry for entry in run.json()["services"]}
        done = (
            all(entry["outbox_backlog"] == 0 for entry in report.values())
            and all(
                report[name]["total_lag"] == 0 and report[name]["dead_letters"] == 1
                for name in ("housing", "aid")
            )
            and report["intake"]["total_lag"] == 0
        )
        return report if done else None

    report = await eventually(settled, what="no backlog, no lag, one dead letter each")

    assert set(report) == {"intake", "housing", "aid"}
    assert {entry["http"] for entry in report.values()} == {"down"}
    # intake follows housing's topic for the partners' placement answers
    intake_topics = {(lag["topic"], lag["group"]) for lag in report["intake"]["lag"]}
    assert intake_topics == {
        (f"{services.namespace}.housing.events.v2", f"{services.namespace}.intake")
    }
    housing_topics = {(lag["topic"], lag["group"]) for lag in report["housing"]["lag"]}
    assert housing_topics == {
        (f"{services.namespace}.intake.events.v2", f"{services.namespace}.housing")
    }
    aid_topics = {lag["topic"] for lag in report["aid"]["lag"]}
    assert aid_topics == {
        f"{services.namespace}.intake.events.v2",
        f"{services.namespace}.housing.events.v2",
    }
    # committed offsets reach the end: intake's published events and the poison message
    async with services.pool("intake").acquire() as conn:
        published = await conn.fetchval("SELECT count(*) FROM events WHERE topic IS NOT NULL")
    assert sum(lag["end"] for lag in report["housing"]["lag"]) == published + 1
    assert all(lag["committed"] == lag["end"] for lag in report["housing"]["lag"])
    table = await resettle(services, "status")
    assert table.code == 0, table.stderr
    for text in ("intake", "housing", "aid", "down", f"{services.namespace}.housing"):
        assert text in table.stdout


async def test_journey_lists_the_persons_events_in_order_with_one_trace_and_no_name(
    services: RunningServices,
) -> None:
    person_id = await register_and_place(services)

    run = await resettle(services, "journey", person_id, "--json")
    table = await resettle(services, "journey", person_id)

    assert run.code == 0 and table.code == 0, run.stderr + table.stderr
    events = run.json()["events"]
    types = [event["type"] for event in events]
    services_seen = [event["service"] for event in events]
    assert "ArrivalRegistered" in types and "BedAssigned" in types, types
    assert "aid" in services_seen, events
    assert types.index("ArrivalRegistered") < types.index("BedAssigned")
    first_aid = services_seen.index("aid")
    assert types.index("ArrivalRegistered") < first_aid
    assert [event["time"] for event in events] == sorted(event["time"] for event in events)
    traced = [event for event in events if event["trace_id"]]
    assert {event["trace_id"] for event in traced} == {traced[0]["trace_id"]}
    assert {"ArrivalRegistered", "BedAssigned"} <= {event["type"] for event in traced}
    assert any(event["service"] == "aid" for event in traced)
    assert traced[0]["trace"] == f"http://zipkin.test/zipkin/traces/{traced[0]['trace_id']}"
    internal = [
        event
        for event in events
        if event["service"] == "intake" and event["type"] not in PUBLIC_EVENT_TYPES
    ]
    assert internal, "intake's sealed personal details are part of the journey"
    for event in internal:  # intake's internal events: type and time only
        assert event["stream"] is None and event["trace"] is None
    for part in NAME_PARTS:
        assert part not in run.stdout and part not in table.stdout
    assert "BedAssigned" in table.stdout and traced[0]["trace_id"] in table.stdout


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
async def test_rebuild_of_each_service_comes_out_equal(
    services: RunningServices, service: str
) -> None:
    await register_and_place(services)

    run = await resettle(services, "rebuild", service, "--json")

    assert run.code == 0, run.stdout + run.stderr
    report = run.json()
    assert report["equal"] is True and report["differences"] == {}
    assert report["replayed"] > 0


async def test_rebuild_restores_a_damaged_read_model_row_and_names_the_table(
    services: RunningServices,
) -> None:
    person_id = await register_and_place(services)
    async with services.pool("housing").acquire() as conn:
        bed = await conn.fetchval(
            "SELECT bed_number FROM placements WHERE person_id = $1::uuid", person_id
        )
        await conn.execute(
            "UPDATE placements SET bed_number = 99 WHERE person_id = $1::uuid", person_id
        )

    damaged = await resettle(services, "rebuild", "housing")
    again = await resettle(services, "rebuild", "housing", "--json")

    assert damaged.code == 1, damaged.stdout + damaged.stderr
    assert "placements" in damaged.stdout and "equal" not in damaged.stdout
    async with services.pool("housing").acquire() as conn:
        restored = await conn.fetchval(
            "SELECT bed_number FROM placements WHERE person_id = $1::uuid", person_id
        )
    assert restored == bed != 99
    assert again.code == 0 and again.json()["equal"] is True


async def test_a_dead_letter_replayed_with_a_fixed_header_is_handled_exactly_once(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=4)
    bootstrap = services.apps["intake"].state.runtime.settings.kafka_bootstrap_servers
    person_id, body = arrival_event()
    event_id = str(uuid4())
    headers = {  # no ce_source: housing (and aid) dead-letter it
        "ce_specversion": "1.0",
        "ce_id": event_id,
        "ce_type": "ArrivalRegistered.v2",
        "content-type": "application/json",
    }
    await produce(bootstrap, f"{services.namespace}.intake.events.v2", body, headers)

    async def listed() -> list[dict[str, Any]] | None:
        run = await resettle(services, "dead-letters", "list", "housing", "--json")
        assert run.code == 0, run.stderr
        return list(run.json()["dead_letters"]) or None

    [letter] = await eventually(listed, what="housing's dead letter")
    assert letter["ce_id"] == event_id
    assert "ce_source" in letter["reason"]
    assert letter["original_topic"] == f"{services.namespace}.intake.events.v2"
    ref = f"{letter['partition']}:{letter['offset']}"
    shown = await resettle(services, "dead-letters", "show", "housing", ref, "--json")
    assert shown.code == 0, shown.stderr
    assert shown.json()["headers"]["dlq_consumer"] == "housing"
    assert json.loads(shown.json()["body"])["members"][0]["person_id"] == person_id
    table = await resettle(services, "dead-letters", "list", "housing")
    assert ref in table.stdout and "ce_source" in table.stdout

    housing = services.apps["housing"].state.runtime.consumer
    skipped_before = housing.skipped_duplicates
    for _ in range(2):
        replayed = await resettle(
            services, "dead-letters", "replay", "housing", ref, "--fix-header", "ce_source=/tests"
        )
        assert replayed.code == 0, replayed.stderr
    await placement_of(services, person_id)

    async def second_skipped() -> bool:
        return bool(housing.skipped_duplicates >= skipped_before + 1)

    await eventually(second_skipped, what="housing to skip the second replay")
    async with services.pool("housing").acquire() as conn:
        inbox = await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id)
        placed = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'BedAssigned' AND data::text LIKE $1",
            f"%{person_id}%",
        )
    assert inbox == 1 and placed == 1
    after = await resettle(services, "dead-letters", "list", "housing", "--json")
    assert len(after.json()["dead_letters"]) == 1  # the replays were not dead-lettered again


async def test_partners_are_added_rotated_and_revoked_from_the_console(
    services: RunningServices,
) -> None:
    added = await resettle(services, "partners", "add", "wp-console", "--name", "Console WP")
    first_key = added.stdout.strip().splitlines()[-1]
    works = await services.intake.get("/v1/arrivals", headers={"X-API-Key": first_key})
    # adding a partner that exists gives it a new key (the README's first call runs twice)
    again = await resettle(services, "partners", "add", "wp-console", "--name", "Again")
    again_key = again.stdout.strip().splitlines()[-1]
    rotated = await resettle(services, "partners", "rotate", "wp-console")
    second_key = rotated.stdout.strip().splitlines()[-1]
    old = await services.intake.get("/v1/arrivals", headers={"X-API-Key": first_key})
    between = await services.intake.get("/v1/arrivals", headers={"X-API-Key": again_key})
    new = await services.intake.get("/v1/arrivals", headers={"X-API-Key": second_key})
    revoked = await resettle(services, "partners", "revoke", "wp-console")
    after = await services.intake.get("/v1/arrivals", headers={"X-API-Key": second_key})

    assert added.code == 0 and first_key.startswith("rk_")
    assert again.code == 0 and again_key.startswith("rk_") and again_key != first_key
    assert "exists" in again.stderr
    assert (works.status_code, old.status_code, between.status_code) == (200, 401, 401)
    assert new.status_code == 200
    assert revoked.code == 0 and after.status_code == 401


async def test_erase_from_the_console_makes_the_person_unreadable(
    services: RunningServices,
) -> None:
    person_id = await register_and_place(services)
    erased = await resettle(services, "erase", person_id, "--reason", "asked at the desk")
    again = await resettle(services, "erase", person_id, "--reason", "asked at the desk")
    view = await services.intake.get(
        f"/v1/persons/{person_id}", headers={"X-API-Key": OPERATOR_KEY}
    )

    assert erased.code == 0 and f"erased {person_id}" in erased.stdout
    assert again.code == 0 and "erased already" in again.stdout
    assert view.json()["status"] == "erased" and view.json()["personal"] is None
