"""Events of the intake context, published on ``intake.events.v2``.

No personal data here: no name, birth date, document number or contact. A person is known by a
pseudonymous ``person_id``; only coarse facts that housing and aid need travel.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.schemas.base import LanguageCode, PartnerId, PersonEvent, TopicEvent

#: a border crossing point's code, from intake's managed list (operators add them)
CROSSING_POINT_CODE = r"^[a-z][a-z0-9-]{1,39}$"
CrossingPointCode = Annotated[str, StringConstraints(pattern=CROSSING_POINT_CODE)]


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


class ConsentPurpose(StrEnum):
    """What a person agreed their data may be used for."""

    HOUSING = "housing"
    AID = "aid"
    SHARING_WITH_PARTNER = "sharing_with_partner"
    ANONYMOUS_STATISTICS = "anonymous_statistics"


class ArrivingMember(BaseModel):
    """One person of an arrival, as housing and aid may know them."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    person_id: UUID = Field(description="Pseudonymous id of the person; stable across services.")
    age_band: AgeBand = Field(description="Coarse age band at arrival.")
    sex: Sex = Field(description="Sex as declared, used for women-only units.")
    relation: Relation = Field(description="Relation to the group (self when alone).")
    needs: tuple[NeedCode, ...] = Field(default=(), description="Needs and vulnerability codes.")
    languages: tuple[LanguageCode, ...] = Field(
        default=(), description="Languages spoken, ISO 639-1 codes (for example 'ru', 'kk')."
    )


class ArrivalRegistered(TopicEvent):
    """A partner registered the arrival of one person or of a group travelling together."""

    stream_field = "arrival_id"
    type: Literal["ArrivalRegistered"] = "ArrivalRegistered"
    arrival_id: UUID = Field(description="Id of the arrival (the stream); also the group's id.")
    partner_id: PartnerId = Field(description="Id of the partner organisation that registered it.")
    members: tuple[ArrivingMember, ...] = Field(
        min_length=1, max_length=50, description="Everyone who arrived together, at least one."
    )
    keep_together: bool = Field(
        description="Whether the group wants to stay together (in one unit or one shelter)."
    )
    arrival_date: date = Field(description="Day the group crossed the border.")
    crossing_point: CrossingPointCode = Field(
        description="Code of the border crossing point, from intake's managed list "
        "(GET /v1/crossing-points, where operators add them)."
    )
    consents: tuple[ConsentPurpose, ...] | None = Field(
        default=None,
        description="The purposes every member agreed to when registered (housing, aid, "
        "anonymous_statistics). Housing places, and aid registers, only the members who agreed "
        "to its purpose; a consent given later comes as ConsentGiven. Absent on arrivals "
        "registered before consents were enforced: then every member counts as agreeing.",
    )

    def agreed_to(self, purpose: ConsentPurpose) -> bool:
        """Whether the members agreed to ``purpose`` when they were registered."""
        return self.consents is None or purpose in self.consents


class DepartureReason(StrEnum):
    MOVED_ON_TO_ANOTHER_COUNTRY = "moved_on_to_another_country"
    MOVED_ON_TO_ANOTHER_CITY = "moved_on_to_another_city"
    FOUND_OWN_HOUSING = "found_own_housing"
    RETURNED = "returned"
    UNKNOWN = "unknown"


class ConsentGiven(PersonEvent):
    """A person consented to a use of their data. Given after registration for housing or aid,
    it carries what that service needs to take them in."""

    type: Literal["ConsentGiven"] = "ConsentGiven"
    purpose: ConsentPurpose = Field(description="What the data may be used for.")
    partner_id: PartnerId | None = Field(
        default=None, description="The partner the data may be shared with (sharing only)."
    )
    arrival_id: UUID | None = Field(
        default=None,
        description="Housing or aid given after registration: the arrival the person came "
        "with. Absent when the consent came with the arrival (ArrivalRegistered carries it).",
    )
    member: ArrivingMember | None = Field(
        default=None,
        description="Housing or aid given after registration: the person's coarse facts, so "
        "the service takes them in as if they arrived now (placed on their own).",
    )


class ConsentWithdrawn(PersonEvent):
    """A person withdrew a consent: no new use for that purpose from now on. Housing frees
    their place and forgets them; aid closes their entitlements and forgets their facts."""

    type: Literal["ConsentWithdrawn"] = "ConsentWithdrawn"
    purpose: ConsentPurpose = Field(description="The purpose withdrawn.")
    partner_id: PartnerId | None = Field(
        default=None, description="The partner no longer shared with (sharing only)."
    )
    arrival_id: UUID | None = Field(
        default=None,
        description="Housing or aid: the arrival the person came with, so the service can "
        "forget them even when this event overtakes the arrival.",
    )


def brings_someone(given: ConsentGiven, purpose: ConsentPurpose) -> bool:
    """A consent to ``purpose`` given after registration, with the facts the service acting on
    it needs to take the person in as if they arrived now."""
    return given.purpose == purpose and given.member is not None and given.arrival_id is not None


def passes_by(event: object, purpose: ConsentPurpose) -> bool:
    """A consent the service acting on ``purpose`` does nothing with: to another purpose, or to
    ``purpose`` given with the arrival (which carries the facts). Most of intake's events are
    such consents: a consumer reads nothing for them, not even whether the person was erased."""
    if isinstance(event, ConsentGiven):
        return not brings_someone(event, purpose)
    return isinstance(event, ConsentWithdrawn) and event.purpose != purpose


class PersonFactsCorrected(PersonEvent):
    """A correction changed what other services know of a person: the new coarse facts."""

    type: Literal["PersonFactsCorrected"] = "PersonFactsCorrected"
    age_band: AgeBand = Field(description="Coarse age band after the correction.")
    sex: Sex = Field(description="Sex after the correction.")
    needs: tuple[NeedCode, ...] = Field(description="Needs and vulnerabilities after it.")
    languages: tuple[LanguageCode, ...] = Field(description="Languages after it, ISO 639-1.")


class PersonDeparted(PersonEvent):
    """A person left: their bed is freed and their entitlements close."""

    type: Literal["PersonDeparted"] = "PersonDeparted"
    arrival_id: UUID = Field(description="The arrival (group) the person came with.")
    reason: DepartureReason = Field(description="Why (never where to: that stays in intake).")


class PersonsMerged(TopicEvent):
    """Two records were one person: the duplicate now stands for the kept one."""

    stream_field = "duplicate_person_id"
    type: Literal["PersonsMerged"] = "PersonsMerged"
    duplicate_person_id: UUID = Field(description="The record merged away (the stream).")
    kept_person_id: UUID = Field(description="The record that stands for the person.")


#: an event after which housing and aid stop serving a person (or a duplicate record of one)
PersonGone = PersonDeparted | PersonsMerged


def person_gone(event: PersonGone) -> tuple[UUID, Literal["departed", "merged"]]:
    """Whom housing and aid stop serving after this event, and why: the person who departed, or
    the duplicate record of a merge (the kept record stays)."""
    if isinstance(event, PersonDeparted):
        return event.person_id, "departed"
    return event.duplicate_person_id, "merged"


class MergeUndone(TopicEvent):
    """A merge was a mistake: the duplicate is a person of their own again."""

    stream_field = "duplicate_person_id"
    type: Literal["MergeUndone"] = "MergeUndone"
    duplicate_person_id: UUID = Field(description="The record restored (the stream).")
    kept_person_id: UUID = Field(description="The record it had been merged into.")
    arrival_id: UUID = Field(description="The arrival the restored person came with.")
    member: ArrivingMember = Field(description="The restored person's coarse facts.")
    keep_together: bool = Field(
        default=False, description="Always false: the restored person is placed on their own."
    )
    consents: tuple[ConsentPurpose, ...] | None = Field(
        default=None,
        description="The purposes the restored person agreed to (housing, aid, "
        "anonymous_statistics); absent on events written before consents were enforced: "
        "then they count as agreeing.",
    )

    def agreed_to(self, purpose: ConsentPurpose) -> bool:
        """Whether the restored person agreed to ``purpose``."""
        return self.consents is None or purpose in self.consents


class PersonErased(PersonEvent):
    """An operator erased a person: every service forgets what it holds about them beyond ids
    and codes (free text, stored requests), and intake destroyed the key of their details. A
    record merged into the erased one goes with it, each with an event of its own."""

    type: Literal["PersonErased"] = "PersonErased"
    person_id: UUID = Field(description="Pseudonymous id of the person erased (the stream).")


#: every message on ``intake.events.v2`` is one of these (shared/schemas/registry.py)
IntakeEventTypes = (
    ArrivalRegistered
    | ConsentGiven
    | ConsentWithdrawn
    | PersonFactsCorrected
    | PersonDeparted
    | PersonsMerged
    | MergeUndone
    | PersonErased
)
