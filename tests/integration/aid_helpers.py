"""Aid on its own, on the real Kafka and Postgres, fed with intake's and housing's events as
those services publish them (same envelope headers, same keys)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from fastapi import FastAPI

from shared.schemas.base import DomainEvent
from shared.schemas.housing import PersonCheckedIn, PersonCheckedOut
from shared.schemas.intake import (
    AgeBand,
    ArrivalRegistered,
    ArrivingMember,
    DepartureReason,
    NeedCode,
    PersonDeparted,
    Relation,
    Sex,
)
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS, physical
from tests.conftest import OPERATOR_KEY, eventually, settings_for
from tests.integration.helpers import produce
from tests.stack import Stack

OPERATOR = {"X-API-Key": OPERATOR_KEY}


@dataclass
class RunningAid:
    client: httpx.AsyncClient
    app: FastAPI
    namespace: str
    bootstrap: str
    database_url: str

    @property
    def pool(self) -> asyncpg.Pool:
        pool: asyncpg.Pool = self.app.state.runtime.pool
        return pool

    async def post(self, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        headers = {**OPERATOR, "Idempotency-Key": key or f"test-{uuid4()}"}
        return await self.client.post(path, json=body, headers=headers)

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, headers=OPERATOR, params=params)

    async def publish(self, topic: str, event: DomainEvent) -> None:
        """Put an event on intake's or housing's topic, as their outbox relay would."""
        headers = {
            "ce_specversion": "1.0",
            "ce_id": str(uuid4()),
            "ce_type": f"{event.event_type}.v{event.version_of_schema}",
            "ce_source": f"/services/{topic.split('.')[0]}",
            "ce_subject": event.stream_id,
            "correlation_id": str(uuid4()),
            "content-type": "application/json",
        }
        await produce(
            self.bootstrap,
            physical(topic, self.namespace),
            event.model_dump_json().encode(),
            headers,
            key=event.stream_id.encode(),
        )

    async def arrive(
        self, *needs: tuple[NeedCode, ...], age_band: AgeBand = AgeBand.ADULT
    ) -> tuple[UUID, list[UUID]]:
        """An arrival of one person per needs tuple (one person when none is given)."""
        arrival = arrival_of(*needs, age_band=age_band)
        await self.publish(INTAKE_EVENTS, arrival)
        people = [member.person_id for member in arrival.members]
        for person in people:
            await self.known(person)
        return arrival.arrival_id, people

    async def check_in(self, person: UUID, shelter: UUID | None = None) -> UUID:
        shelter = shelter or uuid4()
        await self.publish(HOUSING_EVENTS, housing_event(PersonCheckedIn, shelter, person))
        await self.entitlements_until(
            person, lambda seen: seen["shelter_id"] == str(shelter), "the check-in"
        )
        return shelter

    async def check_out(self, person: UUID, shelter: UUID) -> None:
        event = housing_event(PersonCheckedOut, shelter, person, reason="left")
        await self.publish(HOUSING_EVENTS, event)
        await self.entitlements_until(person, lambda seen: not seen["resident"], "the check-out")

    async def depart(self, person: UUID, arrival: UUID) -> None:
        departed = PersonDeparted(
            actor="partner:wp-test", occurred_at=datetime.now(UTC), person_id=person,
            arrival_id=arrival, reason=DepartureReason.MOVED_ON_TO_ANOTHER_COUNTRY,
        )  # fmt: skip
        await self.publish(INTAKE_EVENTS, departed)
        await self.entitlements_until(
            person, lambda seen: seen["status"] == "departed", "the departure"
        )

    async def handled(self, topic: str, event: DomainEvent) -> None:
        """Publish an event and wait until aid's consumer has handled it (its inbox grew)."""
        async with self.pool.acquire() as conn:
            before = await conn.fetchval("SELECT count(*) FROM inbox")
        await self.publish(topic, event)

        async def grown() -> bool:
            async with self.pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT count(*) FROM inbox") > before)

        await eventually(grown, what=f"aid to handle {event.event_type}")

    async def known(self, person: UUID) -> dict[str, Any]:
        return await self.entitlements_until(person, lambda seen: True, "the arrival")

    async def entitlements_until(self, person: UUID, done: Any, what: str) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            answer = await self.get(f"/v1/entitlements/{person}")
            return answer.json() if answer.status_code == 200 and done(answer.json()) else None

        return await eventually(check, what=f"aid to see {what} of {person}")

    async def donate(self, site: str, item: str, quantity: int, **extra: Any) -> httpx.Response:
        units = {"food_parcel": "parcel", "hot_meal": "portion", "hygiene_kit": "kit",
                 "sim_card": "card", "bedding": "set", "warm_clothes": "set",
                 "transport_ticket": "ticket", "cash_voucher": "voucher"}  # fmt: skip
        body = {"site_id": site, "item": item, "quantity": quantity, "unit": units[item],
                "donor_kind": "local_volunteer", **extra}  # fmt: skip
        if item in ("food_parcel", "hot_meal"):
            body.setdefault("expires_on", (date.today() + timedelta(days=20)).isoformat())
        answer = await self.post("/v1/donations", body)
        assert answer.status_code == 201, answer.text
        return answer

    async def issue(self, person: UUID, site: str, item: str, quantity: int = 1) -> httpx.Response:
        body = {"person_id": str(person), "item": item, "site_id": site, "quantity": quantity}
        return await self.post("/v1/distributions", body)


def arrival_of(
    *needs: tuple[NeedCode, ...], age_band: AgeBand = AgeBand.ADULT
) -> ArrivalRegistered:
    """Intake's event of an arrival of one person per needs tuple (one when none is given)."""
    members = tuple(
        ArrivingMember(
            person_id=uuid4(), age_band=age_band, sex=Sex.MALE, relation=Relation.FRIEND,
            needs=person_needs,
        )
        for person_needs in (needs or ((),))
    )  # fmt: skip
    return ArrivalRegistered(
        actor="partner:wp-test",
        occurred_at=datetime.now(UTC),
        arrival_id=uuid4(),
        partner_id="wp-test",
        members=members,
        keep_together=True,
        arrival_date=date(2022, 9, 24),
        crossing_point="syrym",
    )


def housing_event(
    model: type[DomainEvent], shelter: UUID, person: UUID, **extra: Any
) -> DomainEvent:
    """A housing event with what aid reads of it; other fields of housing's contract get
    plausible values (only those the contract has)."""
    fields = {"actor": "service:housing", "occurred_at": datetime.now(UTC),
              "shelter_id": shelter, "person_id": person, "bed_number": 1, "unit_id": uuid4(),
              **extra}  # fmt: skip
    return model(**{name: value for name, value in fields.items() if name in model.model_fields})


@asynccontextmanager
async def running_aid(
    stack: Stack, databases: dict[str, str], namespace: str
) -> AsyncIterator[RunningAid]:
    from services.aid.main import create_app
    from services.aid.settings import AidSettings

    app = create_app(AidSettings(**settings_for("aid", stack, databases, namespace)))
    await app.state.runtime.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://aid")
    try:
        yield RunningAid(client, app, namespace, stack.kafka_bootstrap_servers, databases["aid"])
    finally:
        await client.aclose()
        await app.state.runtime.stop()
