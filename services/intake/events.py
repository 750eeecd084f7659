"""Intake's internal events: kept in intake's event store, never published on a topic.

They hold personal data only sealed with the person's key (see vault.py), so erasing the key
makes them unreadable while the stream stays whole and replays.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.base import DomainEvent, InternalEvent
from shared.schemas.intake import ArrivingMember
from shared.schemas.registry import EVENT_TYPES


class PersonalDetailsRecorded(InternalEvent):
    """Names, birth date, documents and contact of a person, sealed with their key."""

    stream_field = "person_id"
    type: Literal["PersonalDetailsRecorded"] = "PersonalDetailsRecorded"
    person_id: UUID = Field(description="The person (the stream).")
    arrival_id: UUID = Field(description="The arrival the person came with.")
    partner_id: str = Field(description="The partner that registered the person.")
    member_index: int = Field(ge=0, description="Position of the person in the arrival.")
    member: ArrivingMember = Field(description="The coarse facts other services know.")
    sealed: str = Field(description="The details as sent, AES-GCM sealed, base64.")


class PersonalDetailsCorrected(InternalEvent):
    """A correction of personal details: the new details and the change with its reason,
    sealed; the earlier events stay, so the history is never overwritten."""

    stream_field = "person_id"
    type: Literal["PersonalDetailsCorrected"] = "PersonalDetailsCorrected"
    person_id: UUID = Field(description="The person (the stream).")
    field: str = Field(description="Which field was corrected, e.g. 'family_name'.")
    sealed: str = Field(description="{details, field, old, new, reason}, sealed.")


class DuplicateSuspected(InternalEvent):
    """Registration found another record that looks like the same person."""

    stream_field = "person_id"
    type: Literal["DuplicateSuspected"] = "DuplicateSuspected"
    person_id: UUID = Field(description="The newly registered person (the stream).")
    candidate_person_id: UUID = Field(description="The earlier record it resembles.")
    rule: Literal["same_document", "same_name_and_birth_date"] = Field(
        description="Which rule matched."
    )


INTAKE_EVENT_TYPES: dict[str, type[DomainEvent]] = {
    **EVENT_TYPES,
    **{
        model.__name__: model
        for model in (
            PersonalDetailsRecorded,
            PersonalDetailsCorrected,
            DuplicateSuspected,
        )
    },
}
