"""The routes of each consumer (shared/event_router.py) on the real Kafka and Postgres: what
housing decides reaches the partner's view in intake and the residency in aid, with the reason
each event means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.housing.app import expire_holds
from shared.decider import in_transaction
from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import OPERATOR, entitlements_of, open_shelter, placement_of

pytestmark = pytest.mark.integration


async def register(services: RunningServices, body: dict[str, Any], key: str) -> tuple[str, str]:
    answer = await services.intake.post(
        "/v1/arrivals",
        json=body,
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.text
    [person_id] = answer.json()["person_ids"]
    return str(answer.json()["arrival_id"]), str(person_id)


async def partner_sees(services: RunningServices, arrival_id: str, status: str) -> dict[str, Any]:
    """The person as intake shows them to the partner who registered them, once ``status``."""

    async def shown() -> dict[str, Any] | None:
        answer = await services.intake.get(
            f"/v1/arrivals/{arrival_id}/placement", headers={"X-API-Key": services.partner_key}
        )
        [one] = answer.json()["people"]
        return dict(one) if one["status"] == status else None

    return await eventually(shown, what=f"intake to show the person {status}")


async def residency(services: RunningServices, person_id: str, expected: str) -> None:
    async def reached() -> bool:
        answer = await services.aid.get(f"/v1/entitlements/{person_id}", headers=OPERATOR)
        return bool(answer.json()["residency"] == expected)

    await eventually(reached, what=f"aid to record the residency {expected}")


async def ended_for(services: RunningServices, person_id: str) -> list[str]:
    """The reasons of the residencies aid ended for the person, from its event store."""
    async with services.apps["aid"].state.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT data->>'reason' FROM events WHERE event_type = 'ResidencyEnded' "
            "AND stream_id = $1 ORDER BY version",
            person_id,
        )
    return [row[0] for row in rows]


async def check(services: RunningServices, shelter_id: str, step: str, body: Any) -> None:
    answer = await services.housing.post(
        f"/v1/shelters/{shelter_id}/{step}",
        json=body,
        headers={**OPERATOR, "Idempotency-Key": f"routes-{step}"},
    )
    assert answer.status_code == 200, answer.text


async def test_the_partner_and_aid_follow_a_place_from_held_to_checked_in_to_released(
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=2)
    arrival_id, person_id = await register(services, arrival(person()), "routes-stay")
    held = await partner_sees(services, arrival_id, "held")
    await entitlements_of(services, person_id)

    await check(services, shelter_id, "check-ins", {"person_id": person_id})
    checked_in = await partner_sees(services, arrival_id, "checked_in")
    await residency(services, person_id, "checked_in")
    await check(services, shelter_id, "check-outs", {"person_id": person_id, "reason": "left"})

    released = await partner_sees(services, arrival_id, "released")
    await residency(services, person_id, "none")
    assert held["bed_number"] == checked_in["bed_number"] == released["bed_number"] == 1
    assert await ended_for(services, person_id) == ["left"]


async def test_an_expired_hold_is_released_for_the_partner_and_a_no_show_for_aid(
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=1)
    arrival_id, person_id = await register(services, arrival(person()), "routes-no-show")
    await partner_sees(services, arrival_id, "held")
    await residency(services, person_id, "held")
    assert (await placement_of(services, person_id))["status"] == "held"

    housing = services.apps["housing"]
    later = datetime.now(UTC) + timedelta(days=3)  # past every hold
    expired = await in_transaction(
        housing.state.runtime.pool,
        lambda conn: expire_holds(
            conn, housing.state.store, housing.state.holds, UUID(shelter_id), later
        ),
    )

    await partner_sees(services, arrival_id, "released")
    await residency(services, person_id, "none")
    assert expired == 1
    assert await ended_for(services, person_id) == ["no_show"]
