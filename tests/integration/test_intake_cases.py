"""Intake's partner API beyond the first POST: groups, batches, consent, corrections,
departures, duplicates and merges, erasure, search and counts, and read models that rebuild to
the rows built live; on the real stack."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from services.intake.admission import CANDIDATES_PER_KEY
from services.intake.events import INTAKE_EVENT_TYPES
from services.intake.projections import READ_MODEL_TABLES
from shared.eventstore import RecordedEvent
from shared.rebuild import rebuild_read_models
from tests.conftest import OPERATOR_KEY, RunningServices, eventually
from tests.factories import arrival, group_of_friends, person
from tests.integration.helpers import (
    entitlements_of,
    event_types_of,
    open_shelter,
    placement_of,
    read_models,
)

pytestmark = pytest.mark.integration
OPERATOR = {"X-API-Key": OPERATOR_KEY}


def partner(services: RunningServices, key: str | None = None) -> dict[str, str]:
    headers = {"X-API-Key": services.partner_key}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def operator(key: str | None = None) -> dict[str, str]:
    return {**OPERATOR, "Idempotency-Key": key} if key else OPERATOR


async def register(services: RunningServices, body: dict[str, Any], key: str | None = None) -> Any:
    answer = await services.intake.post(
        "/v1/arrivals", json=body, headers=partner(services, key or str(uuid4()))
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def new_partner(services: RunningServices, partner_id: str) -> str:
    created = await services.intake.post(
        "/v1/partners",
        json={"partner_id": partner_id, "name": partner_id, "scopes": ["cases:read"]},
        headers=operator(f"create-{partner_id}"),
    )
    assert created.status_code == 201, created.text
    return str(created.json()["api_key"])


async def test_a_group_of_twelve_in_one_call_is_twelve_people_in_one_group(
    services: RunningServices,
) -> None:
    created = await register(services, group_of_friends(12))

    case = await services.intake.get(
        f"/v1/arrivals/{created['arrival_id']}", headers=partner(services)
    )

    assert len(created["person_ids"]) == 12
    assert case.json()["member_count"] == 12
    assert {m["person_id"] for m in case.json()["members"]} == set(created["person_ids"])
    assert [m["personal"]["given_name"] for m in case.json()["members"]] == [
        f"Друг{index}" for index in range(12)
    ]
    async with services.pool("intake").acquire() as conn:
        data = await conn.fetchval(
            "SELECT data::text FROM events WHERE event_type = 'ArrivalRegistered'"
        )
    event = json.loads(data)
    assert len(event["members"]) == 12 and event["keep_together"] is True


async def test_a_batch_rejects_only_its_invalid_item_and_a_retry_creates_nothing_new(
    services: RunningServices,
) -> None:
    items: list[dict[str, Any]] = [
        {"idempotency_key": f"offline-{index}", "arrival": arrival(person(given=f"Имя{index}"))}
        for index in range(100)
    ]
    items[37]["arrival"]["members"][0]["sex"] = "unknown-value"

    first = await services.intake.post(
        "/v1/arrival-batches", json={"items": items}, headers=partner(services)
    )
    again = await services.intake.post(
        "/v1/arrival-batches", json={"items": items}, headers=partner(services)
    )

    assert first.status_code == 200, first.text
    assert first.json()["counts"] == {"created": 99, "already_known": 0, "rejected": 1}
    rejected = first.json()["items"][37]
    assert rejected["status"] == "rejected"
    assert rejected["errors"][0]["pointer"] == "#/items/37/arrival/members/0/sex"
    assert again.json()["counts"] == {"created": 0, "already_known": 99, "rejected": 1}
    firsts = {item["index"]: item.get("arrival_id") for item in first.json()["items"]}
    agains = {item["index"]: item.get("arrival_id") for item in again.json()["items"]}
    assert firsts == agains
    async with services.pool("intake").acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'ArrivalRegistered'"
        )
    assert stored == 99


async def test_a_withdrawn_consent_stops_sharing_with_that_partner(
    services: RunningServices,
) -> None:
    shelter_key = await new_partner(services, "host-network")
    body = arrival(person())
    body["share_with_partners"] = ["host-network"]
    [person_id] = (await register(services, body))["person_ids"]

    shared = await services.intake.get(
        f"/v1/persons/{person_id}", headers={"X-API-Key": shelter_key}
    )
    withdrawn = await services.intake.post(
        f"/v1/persons/{person_id}/consents",
        json={"purpose": "sharing_with_partner", "partner_id": "host-network", "given": False},
        headers=partner(services, "withdraw-1"),
    )
    after = await services.intake.get(
        f"/v1/persons/{person_id}", headers={"X-API-Key": shelter_key}
    )

    assert shared.status_code == 200
    assert shared.json()["personal"]["family_name"] == "Смирнов"
    assert withdrawn.status_code == 200 and withdrawn.json()["changed"] is True
    assert after.status_code == 404
    owner_view = await services.intake.get(f"/v1/persons/{person_id}", headers=partner(services))
    purposes = {(c["purpose"], c["partner_id"]) for c in owner_view.json()["consents"]}
    assert purposes == {("housing", None), ("aid", None)}


async def test_a_correction_keeps_the_history_and_changes_what_search_finds(
    services: RunningServices,
) -> None:
    [person_id] = (await register(services, arrival(person(family="Смирнов"))))["person_ids"]

    corrected = await services.intake.post(
        f"/v1/persons/{person_id}/corrections",
        json={"field": "family_name", "value": "Смирнова", "reason": "typo at the border"},
        headers=partner(services, "fix-1"),
    )
    invalid = await services.intake.post(
        f"/v1/persons/{person_id}/corrections",
        json={"field": "birth_date", "value": "not a date", "reason": "typo at the border"},
        headers=partner(services, "fix-2"),
    )
    view = (await services.intake.get(f"/v1/persons/{person_id}", headers=partner(services))).json()
    by_new = await services.intake.post(
        "/v1/person-searches", json={"name": "Smirnova"}, headers=OPERATOR
    )
    by_old = await services.intake.post(
        "/v1/person-searches", json={"name": "Смирнов"}, headers=OPERATOR
    )

    assert corrected.status_code == 200, corrected.text
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["pointer"] == "#/value"
    assert view["personal"]["family_name"] == "Смирнова"
    [change] = view["corrections"]
    assert (change["field"], change["old"], change["new"], change["reason"]) == (
        "family_name",
        "Смирнов",
        "Смирнова",
        "typo at the border",
    )
    assert [found["person_id"] for found in by_new.json()] == [person_id]
    assert by_old.json() == []


async def test_a_correction_of_the_birth_date_publishes_the_new_age_band(
    services: RunningServices,
) -> None:
    [person_id] = (await register(services, arrival(person(birth_date="1994-03-02"))))["person_ids"]
    await services.intake.post(
        f"/v1/persons/{person_id}/corrections",
        json={"field": "birth_date", "value": "1960-03-02", "reason": "misread passport"},
        headers=partner(services, "dob-1"),
    )
    async with services.pool("intake").acquire() as conn:
        row = await conn.fetchrow(
            "SELECT data::text AS data, topic FROM events WHERE event_type = 'PersonFactsCorrected'"
        )
    assert row["topic"] == "intake.events.v2"
    assert json.loads(row["data"])["age_band"] == "50-64"
    assert "1960" not in row["data"]


async def test_search_finds_a_person_by_either_script_or_by_document_number(
    services: RunningServices,
) -> None:
    body = arrival(
        person(given="Юлия", family="Щукина", sex="female",
               documents=[{"type": "foreign_passport", "number": "75 1234567"}])
    )  # fmt: skip
    [person_id] = (await register(services, body))["person_ids"]
    await register(services, arrival(person(given="Иван", family="Щукин")))

    for query in ({"name": "ЮЛИЯ щукина"}, {"name": "Iuliia Shchukina"},
                  {"document": "751234567"}, {"document": "75-1234567"}):  # fmt: skip
        found = await services.intake.post("/v1/person-searches", json=query, headers=OPERATOR)
        assert [p["person_id"] for p in found.json()] == [person_id], query
    refused = await services.intake.post(
        "/v1/person-searches", json={"name": "Юлия"}, headers=partner(services)
    )
    assert refused.status_code == 403


async def test_a_likely_duplicate_is_flagged_when_it_is_registered(
    services: RunningServices,
) -> None:
    passport = [{"type": "foreign_passport", "number": "76 7654321", "issuing_country": "RU"}]
    [first] = (await register(services, arrival(person(documents=passport))))["person_ids"]
    second = await register(services, arrival(person(given="Алексей", documents=passport)))

    third = await register(services, arrival(person(given="Пётр", documents=passport)))
    listed = await services.intake.get("/v1/duplicates", headers=OPERATOR)

    flags = {(flag["candidate_person_id"], flag["rule"]) for flag in second["possible_duplicates"]}
    assert flags == {(first, "same_document"), (first, "same_name_and_birth_date")}
    assert {flag["rule"] for flag in third["possible_duplicates"]} == {"same_document"}
    assert len(listed.json()) == 2 + 2  # the third resembles both earlier records


async def test_a_person_resembling_many_is_flagged_against_at_most_twenty_of_them(
    services: RunningServices,
) -> None:
    """24 people share a name and a birth date: the 25th is one review per pair up to the
    bound, not one per earlier person (which a partner could grow on purpose)."""
    namesakes = [person(relation="friend") for _ in range(12)]
    for _ in range(2):
        await register(services, arrival(*namesakes, keep_together=False))

    answer = await register(services, arrival(person()))

    [person_id] = answer["person_ids"]
    flags = answer["possible_duplicates"]
    assert len(flags) == CANDIDATES_PER_KEY == 20
    assert {flag["rule"] for flag in flags} == {"same_name_and_birth_date"}
    async with services.pool("intake").acquire() as conn:
        recorded = await conn.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = $1 "
            "AND event_type = 'DuplicateSuspected'",
            person_id,
        )
    assert recorded == 20


async def test_a_merge_and_its_undo_leave_housing_and_aid_consistent(
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=10)
    [kept] = (await register(services, arrival(person())))["person_ids"]
    [duplicate] = (await register(services, arrival(person())))["person_ids"]
    for pid in (kept, duplicate):
        await entitlements_of(services, pid)

    merged = await services.intake.post(
        "/v1/merges",
        json={"duplicate_person_id": duplicate, "kept_person_id": kept, "reason": "same passport"},
        headers=operator("merge-1"),
    )
    assert merged.status_code == 200, merged.text

    async def released() -> dict[str, Any] | None:
        placement = (
            await services.housing.get(f"/v1/placements/{duplicate}", headers=OPERATOR)
        ).json()
        aid = (await services.aid.get(f"/v1/entitlements/{duplicate}", headers=OPERATOR)).json()
        return {"placement": placement, "aid": aid} if placement["status"] == "merged" and not aid[
            "entitlements"] else None  # fmt: skip

    after_merge = await eventually(released, what="housing and aid to apply the merge")
    shelter = (await services.housing.get(f"/v1/shelters/{shelter_id}", headers=OPERATOR)).json()
    assert shelter["held"] == 1
    assert after_merge["aid"]["resident"] is False

    undone = await services.intake.post(f"/v1/merges/{duplicate}/undo", headers=operator("undo-1"))
    assert undone.status_code == 200, undone.text

    async def restored() -> bool:
        placement = (
            await services.housing.get(f"/v1/placements/{duplicate}", headers=OPERATOR)
        ).json()
        aid = (await services.aid.get(f"/v1/entitlements/{duplicate}", headers=OPERATOR)).json()
        return placement["status"] == "held" and bool(aid["entitlements"])

    await eventually(restored, what="housing and aid to apply the undo")
    shelter = (await services.housing.get(f"/v1/shelters/{shelter_id}", headers=OPERATOR)).json()
    assert shelter["held"] == 2
    again = await services.intake.post(f"/v1/merges/{duplicate}/undo", headers=operator("undo-2"))
    assert again.status_code == 422  # nothing left to undo


async def test_a_departure_frees_the_bed_and_closes_the_entitlements(
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=2)
    [person_id] = (await register(services, arrival(person())))["person_ids"]
    await entitlements_of(services, person_id)

    left = await services.intake.post(
        f"/v1/persons/{person_id}/departure",
        json={"reason": "moved_on_to_another_country"},
        headers=partner(services, "left-1"),
    )
    assert left.status_code == 200

    async def freed() -> bool:
        shelter = (
            await services.housing.get(f"/v1/shelters/{shelter_id}", headers=OPERATOR)
        ).json()
        aid = (await services.aid.get(f"/v1/entitlements/{person_id}", headers=OPERATOR)).json()
        return bool(shelter["held"] == 0 and aid["entitlements"] == [])

    await eventually(freed, what="the bed to be freed and entitlements closed")
    placement = await placement_of(services, person_id)
    assert placement["status"] == "departed"


async def test_an_erased_name_is_unreadable_in_a_dump_and_the_read_models_rebuild(
    services: RunningServices,
) -> None:
    erased_name, kept_name = "Эрасмусов", "Оставленов"
    [erased] = (await register(services, arrival(person(family=erased_name))))["person_ids"]
    [kept] = (await register(services, arrival(person(family=kept_name))))["person_ids"]

    answer = await services.intake.post(
        f"/v1/persons/{erased}/erasure", json={"reason": "the person asked"},
        headers=operator("erase-1"),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    pool = services.pool("intake")
    store = services.apps["intake"].state.store
    replayed = await rebuild_read_models(pool, store, READ_MODEL_TABLES)

    async with pool.acquire() as conn:
        dump = await database_dump(conn)
    erased_view = await services.intake.get(f"/v1/persons/{erased}", headers=OPERATOR)
    kept_view = await services.intake.get(f"/v1/persons/{kept}", headers=OPERATOR)
    found = await services.intake.post(
        "/v1/person-searches", json={"name": erased_name}, headers=OPERATOR
    )

    assert replayed >= 6
    for written in (erased_name, kept_name, "Erasmusov"):
        assert written not in dump  # sealed at rest, even for people not erased
    assert erased_view.json()["status"] == "erased"
    assert erased_view.json()["personal"] is None
    assert kept_view.json()["personal"]["family_name"] == kept_name  # rebuilt and readable
    assert found.json() == []
    assert set(INTAKE_EVENT_TYPES) >= {"PersonErased", "PersonalDetailsRecorded"}


#: every event type intake's projection writes a read model from
PROJECTED = {
    "ArrivalRegistered", "PersonalDetailsRecorded", "PersonalDetailsCorrected",
    "PersonFactsCorrected", "ConsentGiven", "ConsentWithdrawn", "PersonDeparted",
    "PersonsMerged", "MergeUndone", "DuplicateSuspected", "PersonErased",
}  # fmt: skip


async def live_history(services: RunningServices) -> None:
    """A bit of everything intake's read models are built from: a family sharing with a
    partner, corrections of details and of facts, consents given and withdrawn, duplicates
    flagged, merged, and a merge undone, a departure, and an erasure of a flagged person."""
    passport = [{"type": "foreign_passport", "number": "76 7654321", "issuing_country": "RU"}]
    family = arrival(person(documents=passport), person(given="Мария", sex="female",
                                                        relation="spouse"))  # fmt: skip
    family["share_with_partners"] = ["host-network"]
    [kept, spouse] = (await register(services, family))["person_ids"]
    [undone] = (await register(services, arrival(person(documents=passport))))["person_ids"]
    [merged] = (await register(services, arrival(person(given="Пётр", documents=passport))))[
        "person_ids"
    ]
    other = [{"type": "foreign_passport", "number": "77 1111111", "issuing_country": "RU"}]
    [erased] = (await register(services, arrival(person(given="Эраст", documents=other))))[
        "person_ids"
    ]
    await register(services, arrival(person(given="Эрик", documents=other)))  # flags the erased
    [leaving] = (await register(services, arrival(person(given="Уезжающий"))))["person_ids"]

    steps: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        (f"/v1/persons/{spouse}/corrections",
         {"field": "family_name", "value": "Смирнова", "reason": "typo"}, partner(services)),
        (f"/v1/persons/{spouse}/corrections",
         {"field": "birth_date", "value": "1960-03-02", "reason": "misread"}, partner(services)),
        (f"/v1/persons/{kept}/consents",
         {"purpose": "sharing_with_partner", "partner_id": "host-network", "given": False},
         partner(services)),
        (f"/v1/persons/{spouse}/consents",
         {"purpose": "anonymous_statistics", "given": True}, partner(services)),
        (f"/v1/persons/{leaving}/departure",
         {"reason": "moved_on_to_another_country"}, partner(services)),
        ("/v1/merges", {"duplicate_person_id": merged, "kept_person_id": kept,
                        "reason": "same passport"}, OPERATOR),
        ("/v1/merges", {"duplicate_person_id": undone, "kept_person_id": kept,
                        "reason": "same passport"}, OPERATOR),
        (f"/v1/merges/{undone}/undo", {}, OPERATOR),
        (f"/v1/persons/{erased}/erasure", {"reason": "the person asked"}, OPERATOR),
    ]  # fmt: skip
    for path, body, headers in steps:
        answer = await services.intake.post(
            path, json=body or None, headers={**headers, "Idempotency-Key": str(uuid4())}
        )
        assert answer.status_code == 200, (path, answer.text)


async def test_the_read_models_rebuild_to_exactly_the_rows_built_live(
    services: RunningServices,
) -> None:
    await live_history(services)
    pool = services.pool("intake")
    store = services.apps["intake"].state.store
    live = await read_models(pool, READ_MODEL_TABLES)
    assert [table for table, rows in live.items() if not rows] == []  # every table is covered
    assert PROJECTED - await event_types_of(pool) == set()  # and every kind of change
    async with pool.acquire() as conn:  # the read models drift, or are lost
        await conn.execute("DELETE FROM person_index; UPDATE case_members SET status = 'active'")
        events = await conn.fetchval("SELECT count(*) FROM events")

    replayed = await rebuild_read_models(pool, store, READ_MODEL_TABLES)

    assert store.rebuilder is not None  # folded in memory and copied, not replayed one by one
    assert replayed == events
    assert await read_models(pool, READ_MODEL_TABLES) == live


class _FoldThatFails:
    """A rebuild's fold with a bug: it fails on the third event it is given."""

    def __init__(self) -> None:
        self.folded = 0

    def apply(self, recorded: RecordedEvent) -> None:
        self.folded += 1
        if self.folded == 3:
            raise RuntimeError("a bug in a fold")

    async def write(self, conn: asyncpg.Connection) -> None:
        raise AssertionError("a failed fold is never written")


async def test_a_rebuild_whose_fold_fails_raises_that_error_and_changes_nothing(
    services: RunningServices,
) -> None:
    await register(services, arrival(person(), person(given="Мария", relation="spouse")))
    pool = services.pool("intake")
    live = await read_models(pool, READ_MODEL_TABLES)
    store = replace(services.apps["intake"].state.store, rebuilder=_FoldThatFails)

    # pages of two: the next page is being read when the fold fails
    with pytest.raises(RuntimeError, match="a bug in a fold"):
        await rebuild_read_models(pool, store, READ_MODEL_TABLES, batch_size=2)

    assert await read_models(pool, READ_MODEL_TABLES) == live


async def database_dump(conn: asyncpg.Connection) -> str:
    """Every row of every table as text: what a pg_dump of the data would show."""
    tables = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    parts = []
    for table in tables:
        parts.append(
            await conn.fetchval(f"SELECT string_agg(t::text, E'\\n') FROM \"{table[0]}\" t") or ""
        )
    return "\n".join(parts)


async def test_counts_by_day_crossing_point_and_partner_count_only_consenting_people(
    services: RunningServices,
) -> None:
    counted = arrival(person(), person(given="Мария", relation="spouse"))
    counted["consents"] = ["housing", "anonymous_statistics"]
    await register(services, counted)
    await register(services, arrival(person(given="Без")))  # no statistics consent

    by_day = await services.intake.get(
        "/v1/statistics/arrivals", params={"by": "day"}, headers=OPERATOR
    )
    by_point = await services.intake.get(
        "/v1/statistics/arrivals", params={"by": "crossing_point"}, headers=OPERATOR
    )
    by_partner = await services.intake.get(
        "/v1/statistics/arrivals", params={"by": "partner"}, headers=OPERATOR
    )

    assert by_day.json() == [{"day": "2022-09-24", "people": 2, "arrivals": 1}]
    assert by_point.json() == [{"crossing_point": "syrym", "people": 2, "arrivals": 1}]
    assert by_partner.json() == [{"partner": "wp-test", "people": 2, "arrivals": 1}]


async def test_rotated_and_revoked_keys_are_refused_and_operator_actions_refuse_partners(
    services: RunningServices,
) -> None:
    old_key = await new_partner(services, "volunteers")
    rotated = await services.intake.post(
        "/v1/partners/volunteers/key-rotation", headers=operator("rotate-1")
    )
    new_key = rotated.json()["api_key"]
    replayed = await services.intake.post(
        "/v1/partners/volunteers/key-rotation", headers=operator("rotate-1")
    )

    assert (
        await services.intake.get("/v1/arrivals", headers={"X-API-Key": old_key})
    ).status_code == 401
    assert (
        await services.intake.get("/v1/arrivals", headers={"X-API-Key": new_key})
    ).status_code == 200
    assert replayed.json()["api_key"] is None  # a retry never shows the key again
    await services.intake.post("/v1/partners/volunteers/revocation", headers=operator("revoke-1"))
    assert (
        await services.intake.get("/v1/arrivals", headers={"X-API-Key": new_key})
    ).status_code == 401
    forbidden = await services.intake.post(
        "/v1/partners", json={"partner_id": "sneaky", "name": "x"},
        headers=partner(services, "sneaky"),
    )  # fmt: skip
    assert forbidden.status_code == 403
    async with services.pool("intake").acquire() as conn:
        assert new_key not in await database_dump(conn)  # stored hashed only


async def test_the_washington_group_answers_mark_a_disability_on_the_topic_event(
    services: RunningServices,
) -> None:
    body = arrival(
        person(washington_group={"walking": "a_lot_of_difficulty", "seeing": "no_difficulty"})
    )
    await register(services, body)
    async with services.pool("intake").acquire() as conn:
        data = json.loads(
            await conn.fetchval(
                "SELECT data::text FROM events WHERE event_type = 'ArrivalRegistered'"
            )
        )
    assert data["members"][0]["needs"] == ["disability"]
    assert "walking" not in json.dumps(data)
