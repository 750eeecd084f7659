from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from services.aid.domain import RecordResident, beneficiary
from shared.schemas.aid import AidItem, EntitlementGranted, ResidentRecorded
from tests.unit.given import scenario

NOW = datetime(2022, 9, 24, 22, 0, tzinfo=UTC)
PERSON = uuid4()


def test_a_new_resident_is_entitled_to_a_daily_food_parcel() -> None:
    shelter = uuid4()
    scenario(beneficiary).when(RecordResident(PERSON, shelter, "service:aid", NOW)).then(
        ResidentRecorded(
            actor="service:aid", occurred_at=NOW, person_id=PERSON, shelter_id=shelter
        ),
        EntitlementGranted(
            actor="service:aid",
            occurred_at=NOW,
            person_id=PERSON,
            item=AidItem.FOOD_PARCEL,
            per_day=1,
        ),
    )


def test_the_same_bed_reported_twice_changes_nothing() -> None:
    shelter = uuid4()
    history = (
        scenario(beneficiary).when(RecordResident(PERSON, shelter, "service:aid", NOW)).decided()
    )
    scenario(beneficiary).given(*history).when(
        RecordResident(PERSON, shelter, "service:aid", NOW)
    ).then()


def test_moving_shelter_keeps_the_entitlement_without_granting_it_twice() -> None:
    first, second = uuid4(), uuid4()
    history = (
        scenario(beneficiary).when(RecordResident(PERSON, first, "service:aid", NOW)).decided()
    )
    scenario(beneficiary).given(*history).when(
        RecordResident(PERSON, second, "service:aid", NOW)
    ).then(
        ResidentRecorded(actor="service:aid", occurred_at=NOW, person_id=PERSON, shelter_id=second)
    )
