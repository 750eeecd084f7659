"""What housing's events say of a shelter: its kind, its units with their places and attributes,
and what a party needs of a unit. Codes and numbers only (housing.events.v2), a shelter's and
a unit's short public code among them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.schemas.base import LanguageCode


class ShelterKind(StrEnum):
    """The kinds of places Oral housed people in, September 2022."""

    CAMP_DORMITORY = "camp_dormitory"
    HOTEL = "hotel"
    HOSTEL = "hostel"
    MOSQUE = "mosque"
    CHURCH = "church"
    GYM = "gym"
    CINEMA = "cinema"
    FLOOR_SPACE = "floor_space"
    HOST_HOME = "host_home"
    RENTED_ROOM = "rented_room"


class UnitAttribute(StrEnum):
    ACCESSIBLE = "accessible"
    FAMILY_ROOM = "family_room"
    WOMEN_ONLY = "women_only"
    CHILDREN_ALLOWED = "children_allowed"
    PETS_ALLOWED = "pets_allowed"


#: a shelter's or unit's short public code, chosen by the operator from what is posted at the
#: door ("atameken", "room-12"): lower-case letters, digits and hyphens, so a code names a place
#: and never a person
PLACE_CODE = r"^[a-z0-9][a-z0-9-]{1,31}$"
PlaceCode = Annotated[str, StringConstraints(pattern=PLACE_CODE)]


class Unit(BaseModel):
    """A room, dormitory or hall with its places."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    unit_id: UUID = Field(description="Id of the unit, unique across shelters.")
    places: int = Field(ge=0, le=10_000, description="Beds or floor places.")
    attributes: tuple[UnitAttribute, ...] = Field(default=(), description="What the unit offers.")
    languages: tuple[LanguageCode, ...] = Field(
        default=(), description="Languages hosts speak, ISO 639-1."
    )
    code: PlaceCode | None = Field(
        default=None,
        description="The unit's short public code, unique within its shelter (none for a "
        "host's home).",
    )


class Requirements(BaseModel):
    """What a party needs of a unit, derived from their coarse facts."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    accessible: bool = Field(default=False, description="Someone needs an accessible place.")
    family_room: bool = Field(default=False, description="A family with children.")
    all_women: bool = Field(default=False, description="Everyone is a woman (women-only fits).")
