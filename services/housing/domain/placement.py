"""Which places a shelter gives an arrival: one unit that takes the whole party if any (the
plainest, then the fullest), else the party spread over the plainest units; only units that fit
the party's needs count. Kept apart from the shelter's other decisions:
this is placement policy (which unit, which places), not the bookkeeping of places.
"""

from __future__ import annotations

from uuid import UUID

from services.housing.domain.beds import PlaceKey
from services.housing.domain.fit import fits, surplus
from services.housing.domain.shelter_commands import AssignPlaces
from services.housing.domain.shelter_state import NoFittingPlace, Shelter, ShelterNotOpen, Stamp
from shared.schemas.base import DomainEvent
from shared.schemas.housing import BedAssigned


def assign_places(command: AssignPlaces, state: Shelter, at: Stamp) -> list[DomainEvent]:
    if not state.accepts(command.now.date()):
        raise ShelterNotOpen(f"shelter {command.shelter_id} takes nobody now")
    people = [person for person in command.person_ids if not state.beds.holds(person)]
    if not people:
        return []
    needs = command.requirements
    # counts, not lists of numbers: the numbers are looked up only for the units chosen
    free = {
        uid: state.beds.free_count(uid, unit.places)
        for uid, unit in state.units.items()
        if fits(unit, needs)
    }

    def plainness(uid: UUID) -> int:
        return surplus(state.units[uid], needs)

    def lowest(uid: UUID, count: int) -> list[PlaceKey]:
        numbers = state.beds.lowest_free(uid, state.units[uid].places, count)
        return [(uid, number) for number in numbers]

    # one unit if any takes them all: the plainest, then the fullest that does (keeps special
    # rooms for those who need them, big rooms for big groups)
    # (a UUID's int orders as its text does, without making the text of every unit's id)
    whole = min(
        ((plainness(uid), count, uid.int) for uid, count in free.items() if count >= len(people)),
        default=None,
    )
    if whole is not None:
        places = lowest(UUID(int=whole[2]), len(people))
    elif sum(free.values()) >= len(people):
        spread = sorted(free, key=lambda uid: (plainness(uid), -free[uid], uid.int))
        places = []
        for uid in spread:
            places += lowest(uid, len(people) - len(places))
    else:
        raise NoFittingPlace(
            f"no {len(people)} fitting free place(s) in shelter {command.shelter_id}"
        )
    return [
        BedAssigned(
            **at,
            unit_id=unit_id,
            bed_number=number,
            person_id=person,
            arrival_id=command.arrival_id,
            hold_until=command.hold_until,
        )
        for person, (unit_id, number) in zip(people, places, strict=True)
    ]
