"""Housing's reads: occupancy now (from the read model) and at any past moment (from the
shelter's events, folded up to that moment)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.housing.domain.shelter import Shelter, ShelterCommand
from shared.decision import Decider
from shared.eventstore import RecordedEvent


async def shelter_view(conn: asyncpg.Connection, shelter_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM shelters WHERE shelter_id = $1", shelter_id)
    if row is None:
        return None
    units = await conn.fetch(
        "SELECT * FROM units WHERE shelter_id = $1 ORDER BY name, unit_id", shelter_id
    )
    unit_views = [
        {
            "unit_id": str(unit["unit_id"]), "name": unit["name"], "places": unit["places"],
            "held": unit["held"], "occupied": unit["occupied"],
            "free": unit["places"] - unit["held"] - unit["occupied"],
            "attributes": list(unit["attributes"]), "languages": list(unit["languages"]),
        }
        for unit in units
    ]  # fmt: skip
    return {
        "shelter_id": str(row["shelter_id"]), "name": row["name"], "kind": row["kind"],
        "district": row["district"], "status": row["status"], "max_nights": row["max_nights"],
        "available_from": row["available_from"].isoformat() if row["available_from"] else None,
        "available_until": row["available_until"].isoformat() if row["available_until"] else None,
        "beds": sum(unit["places"] for unit in unit_views),
        "held": sum(unit["held"] for unit in unit_views),
        "occupied": sum(unit["occupied"] for unit in unit_views),
        "free": sum(unit["free"] for unit in unit_views),
        "units": unit_views,
    }  # fmt: skip


def occupants_at(
    decider: Decider[ShelterCommand, Shelter], history: Sequence[RecordedEvent], at: datetime
) -> dict[str, Any]:
    """The shelter as it was at ``at``: the same fold that decides, stopped at that moment."""
    state = decider.fold([r.event for r in history if r.event.occurred_at <= at])
    units = state.units
    return {
        "at": at.isoformat(),
        "status": state.status,
        "occupants": [
            {"unit_id": str(unit_id), "unit": units[unit_id].name, "bed_number": number,
             "person_id": str(place.person_id),
             "state": "checked_in" if place.checked_in else "held"}
            for (unit_id, number), place in sorted(
                state.places.items(), key=lambda item: (units[item[0][0]].name, item[0][1])
            )
        ],
    }  # fmt: skip
