"""Distributions: an item handed to a person, or to a household through one of its members."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.aid.items import SITE_PATTERN, AidItem
from shared.schemas.base import PersonEvent, TopicEvent


class AidIssued(PersonEvent):
    """A person received an item whose limits count per person."""

    type: Literal["AidIssued"] = "AidIssued"
    issue_id: UUID = Field(description="Id of the distribution.")
    item: AidItem = Field(description="What was handed out.")
    quantity: int = Field(ge=1, description="How many units.")
    site_id: str = Field(pattern=SITE_PATTERN, description="Where.")


class HouseholdAidIssued(TopicEvent):
    """A household received an item whose limits count per household; one member collected it."""

    stream_field = "household_id"
    type: Literal["HouseholdAidIssued"] = "HouseholdAidIssued"
    household_id: UUID = Field(description="The household, i.e. its arrival id (the stream).")
    issue_id: UUID = Field(description="Id of the distribution.")
    person_id: UUID = Field(description="Pseudonymous id of the member who collected it.")
    item: AidItem = Field(description="What was handed out.")
    quantity: int = Field(ge=1, description="How many units.")
    site_id: str = Field(pattern=SITE_PATTERN, description="Where.")
