"""No personal field of an arrival reaches a Kafka topic."""

from __future__ import annotations

import pytest

from tests.conftest import RunningServices
from tests.factories import arrival, person
from tests.integration.helpers import entitlements_of, open_shelter, read_topic

pytestmark = pytest.mark.integration

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
    for topic in ("intake.events.v1", "housing.events.v1", "aid.events.v1"):
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
