"""What housing's events say of a shelter: its kind, its units with their places and attributes,
and what a party needs of a unit. Codes and numbers only (housing.events.v2)."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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


class Unit(BaseModel):
    """A room, dormitory or hall with its places."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    unit_id: UUID = Field(description="Id of the unit, unique across shelters.")
    places: int = Field(ge=0, le=10_000, description="Beds or floor places.")
    attributes: tuple[UnitAttribute, ...] = Field(default=(), description="What the unit offers.")
    languages: tuple[LanguageCode, ...] = Field(
        default=(), description="Languages hosts speak, ISO 639-1."
    )


class Requirements(BaseModel):
    """What a party needs of a unit, derived from their coarse facts."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    accessible: bool = Field(default=False, description="Someone needs an accessible place.")
    family_room: bool = Field(default=False, description="A family with children.")
    all_women: bool = Field(default=False, description="Everyone is a woman (women-only fits).")
