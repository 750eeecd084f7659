"""Intake's use cases: load, decide, append, through the shared loop."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from services.intake.domain import RegisterArrival, age_band, age_on, arrival
from services.intake.partners import Partner
from services.intake.requests import ArrivalAccepted, ArrivalRequest, NewPerson
from shared.decider import execute
from shared.eventstore import Causation, EventStore
from shared.schemas.intake import ArrivingMember


def _coarse(person: NewPerson, person_id: UUID, arrival_day: datetime) -> ArrivingMember:
    age = person.age if person.birth_date is None else age_on(person.birth_date, arrival_day.date())
    assert age is not None  # the request model requires one of the two
    return ArrivingMember(
        person_id=person_id,
        age_band=age_band(age),
        sex=person.sex,
        relation=person.relation,
        needs=tuple(dict.fromkeys(person.needs)),
        languages=tuple(dict.fromkeys(person.languages)),
    )


async def register_arrival(
    conn: asyncpg.Connection,
    store: EventStore,
    partner: Partner,
    request: ArrivalRequest,
    now: datetime,
) -> ArrivalAccepted:
    """Record an arrival: the coarse event for the topic, the personal details in the vault."""
    arrival_id = uuid4()
    person_ids = [uuid4() for _ in request.members]
    arrival_moment = datetime.combine(request.arrival_date, now.timetz())
    command = RegisterArrival(
        arrival_id=arrival_id,
        partner_id=partner.partner_id,
        members=tuple(
            _coarse(person, person_id, arrival_moment)
            for person, person_id in zip(request.members, person_ids, strict=True)
        ),
        keep_together=request.keep_together,
        arrival_date=request.arrival_date,
        crossing_point=request.crossing_point,
        now=now,
    )
    causation = Causation.new()
    await execute(conn, store, arrival, str(arrival_id), command, causation)
    await conn.executemany(
        """
        INSERT INTO personal_details (person_id, arrival_id, partner_id, member_index, details)
        VALUES ($1, $2, $3, $4, $5::jsonb)
        """,
        [
            (person_id, arrival_id, partner.partner_id, index, person.model_dump_json())
            for index, (person, person_id) in enumerate(
                zip(request.members, person_ids, strict=True)
            )
        ],
    )
    return ArrivalAccepted(
        arrival_id=str(arrival_id),
        person_ids=[str(person_id) for person_id in person_ids],
        correlation_id=causation.correlation_id,
    )


async def read_case(
    conn: asyncpg.Connection, partner: Partner, arrival_id: UUID
) -> dict[str, object] | None:
    """A case as its partner (or an operator) may read it; None when not theirs."""
    case = await conn.fetchrow(
        "SELECT * FROM cases WHERE arrival_id = $1 AND ($2 OR partner_id = $3)",
        arrival_id,
        partner.is_operator,
        partner.partner_id,
    )
    if case is None:
        return None
    members = await conn.fetch(
        """
        SELECT m.person_id, m.age_band, m.sex, m.relation, m.needs, m.languages,
               d.details::text AS details
        FROM case_members m JOIN personal_details d USING (person_id)
        WHERE m.arrival_id = $1 ORDER BY d.member_index
        """,
        arrival_id,
    )
    return {
        "arrival_id": str(case["arrival_id"]),
        "partner_id": case["partner_id"],
        "arrival_date": case["arrival_date"].isoformat(),
        "crossing_point": case["crossing_point"],
        "keep_together": case["keep_together"],
        "registered_at": case["registered_at"].isoformat(),
        "correlation_id": case["correlation_id"],
        "members": [
            {
                "person_id": str(member["person_id"]),
                "age_band": member["age_band"],
                "sex": member["sex"],
                "relation": member["relation"],
                "needs": list(member["needs"]),
                "languages": list(member["languages"]),
                "personal": NewPerson.model_validate_json(member["details"]).model_dump(
                    mode="json"
                ),
            }
            for member in members
        ],
    }
