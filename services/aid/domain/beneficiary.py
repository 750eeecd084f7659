"""The beneficiary: what aid knows of one person, and the person's stream decides every issue
of a per-person item. Two sites issuing to the same person at once append to this one stream:
one of them conflicts, reloads, and is refused by the rules like any later request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from uuid import UUID

# the commands live in their own module; their names stay importable from here
from services.aid.domain.beneficiary_commands import (
    BeneficiaryCommand,
    CheckOutReason,
    ClosedReason,
    CloseEntitlements,
    EndResidency,
    ForgetBeneficiary,
    IssueAid,
    RecordResident,
    RegisterBeneficiary,
    UpdateBeneficiaryFacts,
)
from services.aid.domain.issue import check_issue, handed_out, with_issue
from services.aid.domain.rules import Issue, Recipient
from shared.decision import Decider, Stamp, stamp
from shared.schemas.aid import (
    AidIssued,
    AidItem,
    BeneficiaryFactsUpdated,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    EntitlementGranted,
    EntitlementsClosed,
    ResidencyEnded,
    ResidentRecorded,
)
from shared.schemas.base import DomainEvent
from shared.schemas.intake import AgeBand, NeedCode

__all__ = [
    "NO_CONSENT",
    "RESIDENT_ENTITLEMENTS",
    "Beneficiary",
    "BeneficiaryCommand",
    "CheckOutReason",
    "CloseEntitlements",
    "ClosedReason",
    "EndResidency",
    "ForgetBeneficiary",
    "IssueAid",
    "RecordResident",
    "RegisterBeneficiary",
    "UpdateBeneficiaryFacts",
    "beneficiary",
    "decide",
    "evolve",
    "is_vulnerable",
]

#: what every resident may receive from the first night on
RESIDENT_ENTITLEMENTS: tuple[tuple[AidItem, int], ...] = ((AidItem.FOOD_PARCEL, 1),)

#: what the read models call a person who has not agreed to aid, or withdrew
NO_CONSENT = "no_consent"


def is_vulnerable(age_band: AgeBand, needs: tuple[NeedCode, ...]) -> bool:
    """Any needs code, a child or an elder: they come first when stock runs low."""
    return bool(needs) or age_band in (AgeBand.CHILD, AgeBand.ELDER)


@dataclass(frozen=True)
class Beneficiary:
    shelter_id: UUID | None = None
    checked_in: bool = False
    entitled_to: frozenset[AidItem] = frozenset()
    registered: bool = False
    household_id: UUID | None = None
    age_band: AgeBand | None = None
    vulnerable: bool = False
    #: departed is final; merged lasts until the record is restored or housed again
    closed: ClosedReason | None = None
    issued: MappingProxyType[AidItem, tuple[Issue, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: the person has not agreed to aid, or withdrew: nothing is issued, no facts are kept
    forgotten: bool = False

    @property
    def recipient(self) -> Recipient:
        return Recipient(
            known=self.registered or self.shelter_id is not None,
            closed=self.closed,
            resident=self.shelter_id is not None and self.checked_in,
            household_id=self.household_id,
            vulnerable=self.vulnerable,
            agreed=not self.forgotten,
        )


class PersonStamp(Stamp):
    """What every event of the person's stream records first: who asked, when, about whom."""

    person_id: UUID


def person_stamp(command: BeneficiaryCommand) -> PersonStamp:
    return {"actor": command.actor, "occurred_at": command.now, "person_id": command.person_id}


def decide(command: BeneficiaryCommand, state: Beneficiary) -> list[DomainEvent]:
    if isinstance(command, ForgetBeneficiary):
        return _forget(command, state)
    if isinstance(command, RegisterBeneficiary):
        return _register(command, state)
    if state.forgotten and isinstance(command, UpdateBeneficiaryFacts | RecordResident):
        return []  # no facts, no residency kept of a person who has not agreed to aid
    if isinstance(command, UpdateBeneficiaryFacts):
        return _update_facts(command, state)
    if isinstance(command, RecordResident):
        return _record_resident(command, state)
    if isinstance(command, EndResidency):
        if state.shelter_id != command.shelter_id:
            return []  # a check-out from a place they no longer hold (moved since)
        return [
            ResidencyEnded(
                **person_stamp(command), shelter_id=command.shelter_id, reason=command.reason
            )
        ]
    if isinstance(command, CloseEntitlements):
        if state.closed == "departed" or state.closed == command.reason:
            return []
        # recorded even for a person aid has not heard of yet: a departure overtaking the
        # arrival must still stop every later issue
        return [EntitlementsClosed(**person_stamp(command), reason=command.reason)]
    return _issue(command, state)


def _register(command: RegisterBeneficiary, state: Beneficiary) -> list[DomainEvent]:
    if state.forgotten and not command.on_consent:
        return []  # the withdrawal overtook the arrival that still carried the consent
    vulnerable = is_vulnerable(command.age_band, command.needs)
    if (
        state.registered
        and state.closed != "merged"
        and (state.household_id, state.age_band, state.vulnerable)
        == (command.household_id, command.age_band, vulnerable)
    ):
        return []
    return [
        BeneficiaryRegistered(
            **person_stamp(command),
            household_id=command.household_id,
            age_band=command.age_band,
            vulnerable=vulnerable,
        )
    ]


def _update_facts(command: UpdateBeneficiaryFacts, state: Beneficiary) -> list[DomainEvent]:
    vulnerable = is_vulnerable(command.age_band, command.needs)
    if (state.age_band, state.vulnerable) == (command.age_band, vulnerable):
        return []
    return [
        BeneficiaryFactsUpdated(
            **person_stamp(command), age_band=command.age_band, vulnerable=vulnerable
        )
    ]


def _forget(command: ForgetBeneficiary, state: Beneficiary) -> list[DomainEvent]:
    if state.forgotten:
        return []
    if command.on_arrival and state.registered:
        return []  # a consent given later overtook the arrival that did not carry it
    return [BeneficiaryForgotten(**person_stamp(command))]


def _record_resident(command: RecordResident, state: Beneficiary) -> list[DomainEvent]:
    if state.closed == "departed":
        return []  # a late bed report for someone who left opens nothing
    if (
        state.shelter_id == command.shelter_id
        and state.closed is None
        and (state.checked_in or not command.checked_in)
    ):
        return []  # already known to live there, as far as this report tells
    at = person_stamp(command)
    events: list[DomainEvent] = [
        ResidentRecorded(**at, shelter_id=command.shelter_id, checked_in=command.checked_in)
    ]
    events.extend(
        EntitlementGranted(**at, item=item, per_day=per_day)
        for item, per_day in RESIDENT_ENTITLEMENTS
        if item not in state.entitled_to
    )
    return events


def _issue(command: IssueAid, state: Beneficiary) -> list[DomainEvent]:
    check_issue(command, state.recipient, state.issued)
    return [AidIssued(**stamp(command), **handed_out(command))]


def evolve(state: Beneficiary, event: DomainEvent) -> Beneficiary:
    if isinstance(event, BeneficiaryForgotten):
        # earlier issues still count against the limits: a withdrawal resets no cap
        return Beneficiary(closed=state.closed, issued=state.issued, forgotten=True)
    if isinstance(event, BeneficiaryRegistered):
        return replace(
            state,
            forgotten=False,
            registered=True,
            household_id=event.household_id,
            age_band=event.age_band,
            vulnerable=event.vulnerable,
            closed=None if state.closed == "merged" else state.closed,
        )
    if isinstance(event, BeneficiaryFactsUpdated):
        return replace(state, age_band=event.age_band, vulnerable=event.vulnerable)
    if isinstance(event, ResidentRecorded):
        # housed again after a merge was undone: the record stands for a person again
        closed = None if state.closed == "merged" else state.closed
        return replace(
            state, shelter_id=event.shelter_id, checked_in=event.checked_in, closed=closed
        )
    if isinstance(event, EntitlementGranted):
        return replace(state, entitled_to=state.entitled_to | {event.item})
    if isinstance(event, ResidencyEnded):
        resident_items = {item for item, _ in RESIDENT_ENTITLEMENTS}
        return replace(state, shelter_id=None, entitled_to=state.entitled_to - resident_items)
    if isinstance(event, EntitlementsClosed):
        return replace(state, shelter_id=None, entitled_to=frozenset(), closed=event.reason)
    if isinstance(event, AidIssued):
        return replace(state, issued=with_issue(state.issued, event))
    return state


beneficiary: Decider[BeneficiaryCommand, Beneficiary] = Decider(Beneficiary(), decide, evolve)
