"""A shelter's and its units' rows, as the live projection (projections.py) and the rebuild
(rebuild.py) both write them: one definition, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from services.housing.events import ShelterDescribed
from shared.schemas.housing import HostOfferMade, ShelterOpened, UnitAdded


def shelter_of(event: ShelterOpened | HostOfferMade) -> tuple[Any, ...]:
    """A shelter as opened, or a host's home as offered (it opens once verified); unnamed and
    nowhere until the ShelterDescribed beside it says (the topic carries neither)."""
    if isinstance(event, ShelterOpened):
        return (
            event.shelter_id, "", event.kind.value, "", "open",
            event.contact_partner_id, None, event.max_nights, None, None, event.occurred_at,
            event.code,
        )  # fmt: skip
    return (
        event.shelter_id, "", "host_home", "", "offered", None, event.partner_id, None,
        event.available_from, event.available_until, event.occurred_at, None,
    )  # fmt: skip


def units_of(event: ShelterOpened | HostOfferMade | UnitAdded) -> list[tuple[Any, ...]]:
    """The units an event brings, unnamed (their codes are public), none of their places held
    or occupied yet."""
    units = event.units if isinstance(event, ShelterOpened) else (event.unit,)
    return [
        (unit.unit_id, event.shelter_id, "", unit.places,
         [attribute.value for attribute in unit.attributes], list(unit.languages), unit.code)
        for unit in units
    ]  # fmt: skip


def shelter_name(event: ShelterDescribed, host_partner_id: str | None, district: str) -> str:
    """A shelter's name: as the operator gave it, or a host's home named by its network."""
    if event.name is not None:
        return event.name
    return f"Host home ({host_partner_id}), {district}"
