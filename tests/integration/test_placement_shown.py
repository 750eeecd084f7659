"""Where intake shows a person placed (the partner's and the field app's view, learnt from
housing's topic) follows the person: a withdrawn consent to housing shows them not housed with
no place, and an erasure removes the copy of where they slept from intake's database, for good:
a hold delivered after it is not written back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.schemas.housing import BedAssigned
from shared.topics import HOUSING_EVENTS, physical
from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import OPERATOR, open_shelter, produce

pytestmark = pytest.mark.integration

_ROW = "SELECT status, shelter_id, bed_number FROM arrival_placements WHERE person_id = $1"


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


async def registered(services: RunningServices) -> tuple[str, str]:
    """A person who agreed to housing and aid, held a place: their arrival id and id."""
    body = {**arrival(person()), "consents": ["housing", "aid"]}
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}
    answer = await services.intake.post("/v1/arrivals", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    [person_id] = answer.json()["person_ids"]
    arrival_id = answer.json()["arrival_id"]
    await shown(services, arrival_id, "held")
    return arrival_id, person_id


async def shown(services: RunningServices, arrival_id: str, status: str) -> dict[str, Any]:
    """The person as intake shows them to their partner, once in ``status``."""

    async def answer() -> dict[str, Any] | None:
        got = await services.intake.get(
            f"/v1/arrivals/{arrival_id}/placement", headers={"X-API-Key": services.partner_key}
        )
        [one] = got.json()["people"]
        return dict(one) if one["status"] == status else None

    return await eventually(answer, what=f"intake to show the person {status}")


async def test_a_person_who_withdraws_the_consent_to_housing_is_shown_not_housed_with_no_place(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=4)
    arrival_id, person_id = await registered(services)

    withdrawn = await services.intake.post(
        f"/v1/persons/{person_id}/consents", json={"purpose": "housing", "given": False},
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert withdrawn.status_code == 200, withdrawn.text

    one = await shown(services, arrival_id, "not_housed")
    assert (one["shelter_id"], one["unit_id"], one["bed_number"]) == (None, None, None)
    row = await services.pool("intake").fetchrow(_ROW, UUID(person_id))
    assert row is not None and tuple(row) == ("not_housed", None, None)


async def test_an_erased_persons_place_leaves_intake_with_the_erasure_and_a_late_hold_stays_out(
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=4)
    arrival_id, person_id = await registered(services)
    intake = services.pool("intake")
    assert await intake.fetchrow(_ROW, UUID(person_id)) is not None

    erased = await services.intake.post(
        f"/v1/persons/{person_id}/erasure", json={},
        headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert erased.status_code == 200, erased.text
    assert await intake.fetchrow(_ROW, UUID(person_id)) is None  # in the erasure's transaction
    assert (await shown(services, arrival_id, "erased"))["shelter_id"] is None

    # a hold housing published before the erasure reached it, delivered to intake only now
    late = BedAssigned(
        actor="service:housing", occurred_at=datetime.now(UTC), shelter_id=UUID(shelter_id),
        unit_id=uuid4(), bed_number=1, person_id=UUID(person_id), arrival_id=UUID(arrival_id),
        hold_until=datetime.now(UTC) + timedelta(hours=6),
    )  # fmt: skip
    event_id = uuid4()
    headers = {
        "ce_specversion": "1.0", "ce_id": str(event_id), "ce_source": "/services/housing",
        "ce_type": f"{late.event_type}.v{late.version_of_schema}", "ce_subject": shelter_id,
        "correlation_id": str(uuid4()), "content-type": "application/json",
    }  # fmt: skip
    bootstrap = services.apps["intake"].state.runtime.settings.kafka_bootstrap_servers
    topic = physical(HOUSING_EVENTS, services.namespace)
    await produce(bootstrap, topic, late.model_dump_json().encode(), headers,
                  key=shelter_id.encode())  # fmt: skip

    async def handled() -> bool:
        found = "SELECT count(*) FROM inbox WHERE event_id = $1"
        return bool(await intake.fetchval(found, event_id) == 1)

    await eventually(handled, what="intake to handle the late hold")
    assert await intake.fetchrow(_ROW, UUID(person_id)) is None
