"""What may be asked of a shelter: open it (or offer a host's place, verify or withdraw the
offer), add a unit or change its capacity, close or reopen it, hold places for an arrival, check
a person in or out, release a place, free it when consent is withdrawn, expire old holds. Plain
data; the shelter's decisions on them are in ``services.housing.domain.shelter``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from services.housing.events import UnitName
from shared.schemas.housing import ReleaseReason
from shared.schemas.shelters import Requirements, ShelterKind, Unit


@dataclass(frozen=True)
class OpenShelter:
    shelter_id: UUID
    name: str
    kind: ShelterKind
    district: str
    contact_partner_id: str | None
    max_nights: int | None
    units: tuple[Unit, ...]
    actor: str
    now: datetime
    #: what the operator calls each unit (kept in housing, never published)
    unit_names: tuple[UnitName, ...] = ()
    #: the shelter's short public code (published)
    code: str | None = None


@dataclass(frozen=True)
class OfferHostPlace:
    shelter_id: UUID
    partner_id: str
    district: str
    unit: Unit
    available_from: date
    available_until: date
    actor: str
    now: datetime


@dataclass(frozen=True)
class VerifyHostOffer:
    shelter_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class WithdrawHostOffer:
    shelter_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class AddUnit:
    shelter_id: UUID
    unit: Unit
    actor: str
    now: datetime
    #: what the operator calls it (kept in housing, never published)
    name: str = ""


@dataclass(frozen=True)
class ChangeCapacity:
    shelter_id: UUID
    unit_id: UUID
    places: int
    actor: str
    now: datetime


@dataclass(frozen=True)
class CloseShelter:
    shelter_id: UUID
    reopen: bool
    actor: str
    now: datetime


@dataclass(frozen=True)
class AssignPlaces:
    """Hold places here for people of one arrival: in one unit if one fits them all, else
    spread over this shelter's fitting units; all or none."""

    shelter_id: UUID
    arrival_id: UUID
    person_ids: tuple[UUID, ...]
    requirements: Requirements
    hold_until: datetime
    actor: str
    now: datetime


@dataclass(frozen=True)
class CheckIn:
    shelter_id: UUID
    person_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class CheckOut:
    shelter_id: UUID
    person_id: UUID
    reason: Literal["left", "stay_ended"]
    actor: str
    now: datetime


@dataclass(frozen=True)
class Release:
    """Free whatever place the person has here, held or taken (departure, merge, move)."""

    shelter_id: UUID
    person_id: UUID
    reason: ReleaseReason
    actor: str
    now: datetime
    moved: bool = False  # by an operator: recorded as a move (its reason stays out of events)


@dataclass(frozen=True)
class FreeWithoutConsent:
    """The person withdrew their consent to housing: free their place here, held or taken."""

    shelter_id: UUID
    person_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class ExpireHolds:
    shelter_id: UUID
    actor: str
    now: datetime


ShelterCommand = (
    OpenShelter | OfferHostPlace | VerifyHostOffer | WithdrawHostOffer | AddUnit
    | ChangeCapacity | CloseShelter | AssignPlaces | CheckIn | CheckOut | Release | ExpireHolds
    | FreeWithoutConsent
)  # fmt: skip
