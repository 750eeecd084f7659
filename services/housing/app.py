"""Housing's use cases: open shelters and host offers, place arrivals (together when the group
wants it), hold, check in and out, release, move, expire holds, and pass freed places on to the
waitlist. The shelter deciders are the authority; the read models only suggest candidates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg

from services.housing.domain.fit import is_vulnerable, requirements_of
from services.housing.domain.shelter import (
    AssignPlaces,
    CheckIn,
    CheckOut,
    ExpireHolds,
    NoFittingPlace,
    OfferHostPlace,
    OpenShelter,
    Release,
    ShelterCommand,
    ShelterNotOpen,
    WithdrawHostOffer,
    shelter,
)
from services.housing.domain.waitlist import LeaveWaitlist, Waitlist, waitlist
from services.housing.events import PersonMoved, UnitName
from services.housing.notes import keep_move_note
from shared.decider import execute
from shared.eventstore import Causation, EventStore, RecordedEvent
from shared.schemas.housing import (
    BedReleased,
    PersonCheckedOut,
    ReleaseReason,
    Requirements,
    ShelterKind,
    Unit,
    WaitlistReason,
)
from shared.schemas.intake import ArrivalRegistered, ArrivingMember, ConsentPurpose, MergeUndone

ACTOR = "service:housing"
#: candidate shelters tried before waitlisting (the read model may lag a conflict)
CANDIDATES = 10
#: waiting parties looked at when places free up, per shelter and occasion
WAITLIST_SCAN = 200


class Holds:
    """How long a place is kept for someone who has not checked in yet."""

    def __init__(self, arrival: timedelta, waitlist: timedelta) -> None:
        self.arrival = arrival
        self.waitlist = waitlist


async def decide_on_shelter(
    conn: asyncpg.Connection, store: EventStore, command: ShelterCommand, causation: Causation
) -> list[RecordedEvent]:
    return await execute(conn, store, shelter, str(command.shelter_id), command, causation)


async def open_shelter(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    *,
    name: str,
    kind: ShelterKind,
    district: str,
    units: Sequence[tuple[Unit, UnitName]],
    max_nights: int | None,
    contact_partner_id: str | None,
    actor: str,
    now: datetime,
) -> UUID:
    shelter_id = uuid4()
    command = OpenShelter(shelter_id, name, kind, district, contact_partner_id, max_nights,
                          tuple(unit for unit, _ in units), actor, now,
                          tuple(named for _, named in units))  # fmt: skip
    causation = Causation.new()
    await decide_on_shelter(conn, store, command, causation)
    await offer_free_places(conn, store, holds, shelter_id, causation, now)
    return shelter_id


async def offer_host_place(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    partner_id: str,
    district: str,
    unit: Unit,
    available_from: date,
    available_until: date,
    actor: str,
    now: datetime,
) -> UUID:
    shelter_id = uuid4()
    command = OfferHostPlace(shelter_id, partner_id, district, unit, available_from,
                             available_until, actor, now)  # fmt: skip
    await decide_on_shelter(conn, store, command, Causation.new())
    return shelter_id


async def change_shelter(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    command: ShelterCommand,
) -> int:
    """Verify or withdraw a host offer, add a unit, change capacity, close or reopen; then
    pass on whatever places that freed or opened."""
    causation = Causation.new()
    recorded = await decide_on_shelter(conn, store, command, causation)
    if isinstance(command, WithdrawHostOffer):
        for event in recorded:  # the people there need a place elsewhere
            if isinstance(event.event, PersonCheckedOut | BedReleased):
                await _replace(conn, store, holds, event.event.person_id, causation, command.now)
    await offer_free_places(conn, store, holds, command.shelter_id, causation, command.now)
    return len(recorded)


#: a person housing must not place on an arrival: gone, forgotten (no consent), or housed
#: already because a consent given later overtook their arrival
NOT_TO_PLACE = ("departed", "forgotten", "held", "checked_in", "waiting")


async def place_arrival(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    arrival: ArrivalRegistered | MergeUndone,
    causation: Causation,
    now: datetime,
) -> None:
    """Give every member who agreed to housing a place, the whole group (of those) in one unit
    (or one shelter) when it wants to stay together; who finds none joins the waitlist. A
    restored record is placed alone. Members without the consent are not kept at all."""
    if not arrival.agreed_to(ConsentPurpose.HOUSING):
        return
    members = arrival.members if isinstance(arrival, ArrivalRegistered) else (arrival.member,)
    await place_members(conn, store, holds, arrival.arrival_id, members,
                        arrival.keep_together, NOT_TO_PLACE, causation, now)  # fmt: skip


async def place_members(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    arrival_id: UUID,
    members: Sequence[ArrivingMember],
    keep_together: bool,
    skipped: Sequence[str],
    causation: Causation,
    now: datetime,
) -> None:
    """Hold places for the members (one party when they keep together), or waitlist them;
    members whose placement is in one of the ``skipped`` statuses, or who were erased, are
    left out."""
    known = await conn.fetch(
        "SELECT person_id FROM placements WHERE person_id = ANY($1) AND status = ANY($2) "
        "UNION SELECT person_id FROM erased_persons WHERE person_id = ANY($1)",
        [member.person_id for member in members], list(skipped),
    )  # fmt: skip
    gone = {row["person_id"] for row in known}  # e.g. left before their arrival reached us
    present = [member for member in members if member.person_id not in gone]
    parties = [present] if keep_together else [[member] for member in present]
    for party in filter(None, parties):
        people = tuple(member.person_id for member in party)
        needs = requirements_of(party)
        placed = await _place_party(
            conn, store, arrival_id, people, needs, causation, now, now + holds.arrival
        )
        if not placed:
            reason: WaitlistReason = "no_places_together" if len(people) > 1 else "no_fitting_place"
            command = Waitlist(
                arrival_id, people, reason, keep_together and len(people) > 1,
                is_vulnerable(party), needs, ACTOR, now,
            )  # fmt: skip
            await execute(conn, store, waitlist, str(arrival_id), command, causation)


async def _candidates(
    conn: asyncpg.Connection, size: int, needs: Requirements, today: date, only: UUID | None
) -> list[UUID]:
    rows = await conn.fetch(
        """
        SELECT u.shelter_id FROM units u JOIN shelters s USING (shelter_id)
        WHERE s.status = 'open' AND ($5::uuid IS NULL OR s.shelter_id = $5)
          AND (s.available_from IS NULL OR $6::date BETWEEN s.available_from AND s.available_until)
          AND (NOT $2 OR 'accessible' = ANY(u.attributes))
          AND (NOT $3 OR u.attributes && ARRAY['family_room', 'children_allowed'])
          AND (NOT 'women_only' = ANY(u.attributes) OR $4)
        GROUP BY u.shelter_id
        HAVING sum(u.places - u.held - u.occupied) >= $1
        -- a unit that takes them all first; then the plainest (special rooms are kept for
        -- those who need them, as the shelter decider does within a shelter); then the fullest
        ORDER BY bool_or(u.places - u.held - u.occupied >= $1) DESC,
                 min((CASE WHEN NOT $2 AND 'accessible' = ANY(u.attributes) THEN 1 ELSE 0 END)
                   + (CASE WHEN NOT $3 AND u.attributes && ARRAY['family_room', 'children_allowed']
                      THEN 1 ELSE 0 END)),
                 sum(u.places - u.held - u.occupied), u.shelter_id
        LIMIT $7
        """,
        size, needs.accessible, needs.family_room, needs.all_women, only, today, CANDIDATES,
    )  # fmt: skip
    return [row["shelter_id"] for row in rows]


async def _place_party(
    conn: asyncpg.Connection,
    store: EventStore,
    arrival_id: UUID,
    people: tuple[UUID, ...],
    needs: Requirements,
    causation: Causation,
    now: datetime,
    hold_until: datetime,
    only: UUID | None = None,
) -> bool:
    for candidate in await _candidates(conn, len(people), needs, now.date(), only):
        command = AssignPlaces(candidate, arrival_id, people, needs, hold_until, ACTOR, now)
        try:
            await decide_on_shelter(conn, store, command, causation)
        except (NoFittingPlace, ShelterNotOpen):
            continue
        return True
    return False


async def offer_free_places(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    shelter_id: UUID,
    causation: Causation,
    now: datetime,
) -> int:
    """Hold freed places for the first fitting waiting parties: the vulnerable first, then
    first come; returns how many people got a hold."""
    parties = await conn.fetch(
        """
        SELECT arrival_id, array_agg(person_id ORDER BY person_id) AS people,
               bool_or(priority) AS priority, min(since) AS since,
               bool_or(needs_accessible) AS accessible, bool_or(needs_family) AS family,
               bool_and(all_women) AS all_women
        FROM placements WHERE status = 'waiting'
        GROUP BY arrival_id, CASE WHEN keep_together THEN NULL ELSE person_id END
        ORDER BY bool_or(priority) DESC, min(since), arrival_id
        LIMIT $1
        """,
        WAITLIST_SCAN,
    )
    given = 0
    for party in parties:
        people = tuple(party["people"])
        if not await _claim_waiting(conn, party["arrival_id"], people):
            continue
        needs = Requirements(accessible=party["accessible"], family_room=party["family"],
                             all_women=party["all_women"])  # fmt: skip
        placed = await _place_party(
            conn, store, party["arrival_id"], people, needs, causation, now,
            now + holds.waitlist, only=shelter_id,
        )  # fmt: skip
        if placed:
            given += len(people)
            for person in people:
                leave = LeaveWaitlist(party["arrival_id"], person, "placed", ACTOR, now)
                await execute(conn, store, waitlist, str(party["arrival_id"]), leave, causation)
    return given


async def _claim_waiting(
    conn: asyncpg.Connection, arrival_id: UUID, people: tuple[UUID, ...]
) -> bool:
    """Whether this transaction may place a waiting party. Two transactions that free places at
    once (two shelters opening, a departure and an expired hold) read the same waitlist, and
    both would give the first party a place: the party's lock makes the second wait for the
    first to end, and it places the party only if it is still waiting then. (Two transactions
    that lock two parties in opposite order deadlock; Postgres ends one, which starts again.)"""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('waiting-party'), hashtext($1::text))",
        str(arrival_id),
    )
    still_waiting = await conn.fetchval(
        "SELECT count(*) FROM placements WHERE person_id = ANY($1) AND status = 'waiting'",
        list(people),
    )
    return bool(still_waiting == len(people))


async def release_person(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    person_id: UUID,
    reason: ReleaseReason,
    causation: Causation,
    now: datetime,
) -> None:
    """Free the person's place, or their place on the waitlist, and pass the place on. A
    person housing has not heard of yet is remembered as gone, so their arrival, when it
    comes, does not place them."""
    placement = await conn.fetchrow(
        "SELECT status, shelter_id, arrival_id FROM placements WHERE person_id = $1", person_id
    )
    if placement is None:
        if reason in ("departed", "merged"):
            await conn.execute(
                "INSERT INTO placements (person_id, status, reason, since, correlation_id) "
                "VALUES ($1, 'departed', $2, $3, $4) ON CONFLICT DO NOTHING",
                person_id, reason, now, causation.correlation_id,
            )  # fmt: skip
    elif placement["status"] in ("held", "checked_in"):
        command = Release(placement["shelter_id"], person_id, reason, ACTOR, now)
        await decide_on_shelter(conn, store, command, causation)
        await offer_free_places(conn, store, holds, placement["shelter_id"], causation, now)
    elif placement["status"] == "waiting" and reason in ("departed", "merged"):
        leave = LeaveWaitlist(placement["arrival_id"], person_id, reason, ACTOR, now)
        await execute(conn, store, waitlist, str(placement["arrival_id"]), leave, causation)


async def _replace(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    person_id: UUID,
    causation: Causation,
    now: datetime,
) -> None:
    """Someone lost their place through no doing of theirs: back on the waitlist, first."""
    row = await conn.fetchrow("SELECT arrival_id FROM placements WHERE person_id = $1", person_id)
    if row is None or row["arrival_id"] is None:
        return
    command = Waitlist(row["arrival_id"], (person_id,), "offer_withdrawn", False,
                       True, Requirements(), ACTOR, now)  # fmt: skip
    await execute(conn, store, waitlist, str(row["arrival_id"]), command, causation)


async def check_in(
    conn: asyncpg.Connection,
    store: EventStore,
    shelter_id: UUID,
    person_id: UUID,
    actor: str,
    now: datetime,
) -> int:
    command = CheckIn(shelter_id, person_id, actor, now)
    return len(await decide_on_shelter(conn, store, command, Causation.new()))


async def check_out(
    conn: asyncpg.Connection, store: EventStore, holds: Holds, command: CheckOut
) -> int:
    causation = Causation.new()
    recorded = await decide_on_shelter(conn, store, command, causation)
    await offer_free_places(conn, store, holds, command.shelter_id, causation, command.now)
    return len(recorded)


async def move_person(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    person_id: UUID,
    to_shelter: UUID,
    reason: str,
    actor: str,
    now: datetime,
) -> bool:
    """An operator moves a person: their place here is freed, one there is held (and taken at
    once when they were checked in). All or nothing."""
    placement = await conn.fetchrow(
        "SELECT status, shelter_id, arrival_id, needs_accessible, needs_family, all_women "
        "FROM placements WHERE person_id = $1",
        person_id,
    )
    if placement is None or placement["status"] not in ("held", "checked_in"):
        return False
    causation = Causation.new()
    origin = placement["shelter_id"]
    release = Release(origin, person_id, "moved", actor, now, moved=True)
    for recorded in await decide_on_shelter(conn, store, release, causation):
        if isinstance(recorded.event, PersonMoved):
            await keep_move_note(conn, person_id, recorded.global_position, reason)
    needs = Requirements(accessible=placement["needs_accessible"],
                         family_room=placement["needs_family"],
                         all_women=placement["all_women"])  # fmt: skip
    command = AssignPlaces(to_shelter, placement["arrival_id"], (person_id,), needs,
                           now + holds.waitlist, actor, now)  # fmt: skip
    await decide_on_shelter(conn, store, command, causation)
    if placement["status"] == "checked_in":
        await decide_on_shelter(conn, store, CheckIn(to_shelter, person_id, actor, now), causation)
    await offer_free_places(conn, store, holds, origin, causation, now)
    return True


async def expire_holds(
    conn: asyncpg.Connection, store: EventStore, holds: Holds, shelter_id: UUID, now: datetime
) -> int:
    """No-shows lose their hold; the places pass on to the waitlist."""
    causation = Causation.new()
    expired = await decide_on_shelter(conn, store, ExpireHolds(shelter_id, ACTOR, now), causation)
    if expired:
        await offer_free_places(conn, store, holds, shelter_id, causation, now)
    return len(expired)
