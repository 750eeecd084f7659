"""Events of the intake context, published on ``intake.events.v1``.

No personal data here: no name, birth date, document number or contact. A person is known by a
pseudonymous ``person_id``; only coarse facts that housing and aid need travel.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from shared.schemas.base import DomainEvent


class AgeBand(StrEnum):
    """Coarse age, enough to choose a room and an aid item, too coarse to identify anyone."""

    CHILD = "0-17"
    YOUNG_ADULT = "18-29"
    ADULT = "30-49"
    SENIOR = "50-64"
    ELDER = "65+"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class NeedCode(StrEnum):
    """Needs and vulnerabilities that change where a person can sleep or what aid comes first."""

    SINGLE_HEADED_HOUSEHOLD = "single_headed_household"
    DISABILITY = "disability"
    VICTIM_OF_TRAUMA = "victim_of_trauma"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"
    ELDERLY = "elderly"
    PREGNANT = "pregnant"
    SERIOUS_ILLNESS = "serious_illness"
    ACCESSIBLE_PLACE = "accessible_place"
    FAMILY_WITH_CHILDREN = "family_with_children"


class Relation(StrEnum):
    """How a member relates to the group they travel with."""

    SELF = "self"
    SPOUSE = "spouse"
    PARTNER = "partner"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    RELATIVE = "relative"
    FRIEND = "friend"
    COLLEAGUE = "colleague"
    OTHER = "other"


class ArrivingMember(BaseModel):
    """One person of an arrival, as housing and aid may know them."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    person_id: UUID = Field(description="Pseudonymous id of the person; stable across services.")
    age_band: AgeBand = Field(description="Coarse age band at arrival.")
    sex: Sex = Field(description="Sex as declared, used for women-only units.")
    relation: Relation = Field(description="Relation to the group (self when alone).")
    needs: tuple[NeedCode, ...] = Field(default=(), description="Needs and vulnerability codes.")
    languages: tuple[str, ...] = Field(
        default=(), description="Languages spoken, ISO 639-1 codes (for example 'ru', 'kk')."
    )


class ArrivalRegistered(DomainEvent):
    """A partner registered the arrival of one person or of a group travelling together."""

    stream_field = "arrival_id"
    type: Literal["ArrivalRegistered"] = "ArrivalRegistered"
    schema_version: Literal[1] = 1
    arrival_id: UUID = Field(description="Id of the arrival (the stream); also the group's id.")
    partner_id: str = Field(description="Id of the partner organisation that registered it.")
    members: tuple[ArrivingMember, ...] = Field(
        min_length=1, max_length=50, description="Everyone who arrived together, at least one."
    )
    keep_together: bool = Field(
        description="Whether the group wants to stay together (in one unit or one shelter)."
    )
    arrival_date: date = Field(description="Day the group crossed the border.")
    crossing_point: str = Field(description="Border crossing point code.", max_length=80)


IntakeEvent = Annotated[ArrivalRegistered, Field(discriminator="type")]
"""Every message on ``intake.events.v1`` parses as this union."""

intake_event_adapter: TypeAdapter[ArrivalRegistered] = TypeAdapter(IntakeEvent)
