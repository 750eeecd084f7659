"""Aid's read models folded in memory from its events and written with COPY: what
projections.project builds one event at a time, built at once for a rebuild (shared.rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.aid.domain.beneficiary import NO_CONSENT
from services.aid.domain.residency import residency_of
from services.aid.domain.rules import local_day
from services.aid.events import OfferDetailsRecorded
from services.aid.offers_projection import offer_details_of
from services.aid.projections import (
    DAILY_COLUMN,
    ISSUE_COLUMNS,
    MATCH_STATUS_AFTER,
    RESIDENT_ITEMS,
    BeneficiaryEvent,
    Lots,
    MatchOutcome,
    StockEvent,
    issue_of,
    lots_after,
    movement_of,
    request_status_after,
    rule_of,
    stock_of,
)
from services.aid.request_details import FILL_READ_MODEL
from shared.eventstore import RecordedEvent
from shared.rebuild import copy_rows
from shared.schemas.aid import (
    AidIssued,
    BeneficiaryFactsUpdated,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    EntitlementGranted,
    EntitlementsClosed,
    HouseholdAidIssued,
    ItemRulesSet,
    MatchProposed,
    MatchWithdrawn,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
    ResidencyEnded,
    ResidentRecorded,
    SupportRequested,
    SupportRequestWithdrawn,
)

RULE_COLUMNS = (
    "item", "per", "max_per_day", "min_interval_hours", "residents_only", "vulnerable_first",
    "total_cap", "low_stock_level", "set_at",
)  # fmt: skip
STOCK_COLUMNS = ("site_id", "item", "quantity", "lots", "earliest_expiry", "updated_at")
MOVEMENT_COLUMNS = (
    "stream_id", "version", "site_id", "item", "kind", "quantity", "reference_id",
    "other_site_id", "donor_kind", "reason", "expires_on", "occurred_at",
)  # fmt: skip


OfferEvent = (
    OfferPublished | OfferDetailsRecorded | OfferWithdrawn | OfferPlaceTaken | OfferPlaceReleased
)


@dataclass(slots=True)
class _Beneficiary:
    person_id: UUID
    arrival_id: UUID | None = None
    age_band: str | None = None
    registered_at: datetime | None = None
    shelter_id: UUID | None = None
    resident_since: datetime | None = None
    status: str = "registered"
    vulnerable: bool = False


@dataclass(slots=True)
class _Entitlement:
    person_id: UUID
    item: str
    per_day: int
    granted_at: datetime
    closed_at: datetime | None = None
    closed_reason: str | None = None


@dataclass(slots=True)
class _Stock:
    """The lots a site holds of an item, and the movement that left them so."""

    lots: Lots
    last: StockEvent


@dataclass(slots=True)
class _DailyTotal:
    day: date
    site_id: str
    item: str
    issued: int = 0
    distributions: int = 0
    people: int = 0
    received: int = 0
    transferred_in: int = 0
    transferred_out: int = 0
    written_off: int = 0


@dataclass(slots=True, kw_only=True)
class _Request:
    request_id: UUID
    person_id: UUID
    kind: str
    status: str
    destination_country: str | None
    destination_city: str | None = None
    documents_held: list[str] = field(default_factory=list)
    wanted_on: date | None = None
    profession: str | None = None
    skills: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    work_countries: list[str] = field(default_factory=list)
    remote_ok: bool = False
    note: str | None = None
    requested_at: datetime
    closed_at: datetime | None = None
    withdrawn_reason: str | None = None


@dataclass(slots=True)
class _Match:
    match_id: UUID
    request_id: UUID
    offer_id: UUID
    basis: str
    status: str
    proposed_at: datetime
    updated_at: datetime
    withdrawn_reason: str | None = None


@dataclass(slots=True, kw_only=True)
class _Offer:
    offer_id: UUID
    kind: str
    status: str
    country: str | None
    city: str | None
    profession: str | None
    skills: list[str]
    languages: list[str]
    places: int
    places_taken: int = 0
    partner: str | None = None
    title: str | None = None
    description: str | None = None
    contact: str | None = None
    available_until: date | None = None
    published_at: datetime
    withdrawn_at: datetime | None = None


@dataclass
class AidReadModels:
    """Beneficiaries and their entitlements, item rules, stock and its movements, issues and
    daily totals, support requests, offers and matches, keyed as their tables are."""

    beneficiaries: dict[UUID, _Beneficiary] = field(default_factory=dict)
    entitlements: dict[UUID, dict[str, _Entitlement]] = field(default_factory=dict)
    rules: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    stock: dict[tuple[str, str], _Stock] = field(default_factory=dict)
    movements: list[tuple[Any, ...]] = field(default_factory=list)
    issues: list[tuple[Any, ...]] = field(default_factory=list)
    #: (day, site, item, person): who collected something where on a day, counted once
    collected: set[tuple[date, str, str, UUID]] = field(default_factory=set)
    days: dict[tuple[date, str, str], _DailyTotal] = field(default_factory=dict)
    requests: dict[UUID, _Request] = field(default_factory=dict)
    matches: dict[UUID, _Match] = field(default_factory=dict)
    offers: dict[UUID, _Offer] = field(default_factory=dict)

    def apply(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        if isinstance(event, StockEvent):
            self._stock(recorded, event)
        elif isinstance(event, AidIssued | HouseholdAidIssued):
            self._issue(event)
        elif isinstance(event, BeneficiaryEvent):
            self._beneficiary(event)
        elif isinstance(event, ItemRulesSet):
            self.rules[event.item.value] = rule_of(event)
        elif isinstance(event, MatchProposed | MatchOutcome):
            self._match(event)
        elif isinstance(event, SupportRequested):
            self._request(event)
        elif isinstance(event, SupportRequestWithdrawn):
            if request := self.requests.get(event.request_id):
                request.status, request.closed_at = "withdrawn", event.occurred_at
                request.withdrawn_reason = event.reason
        elif isinstance(event, OfferEvent):
            self._offer(event)

    # --- beneficiaries and entitlements -------------------------------------------------------

    def _beneficiary(self, event: BeneficiaryEvent) -> None:
        if isinstance(event, BeneficiaryForgotten):
            self.entitlements.pop(event.person_id, None)
            self.beneficiaries[event.person_id] = _Beneficiary(event.person_id, status=NO_CONSENT)
            return
        if isinstance(event, EntitlementGranted | ResidencyEnded | EntitlementsClosed):
            self._entitlement(event)
        person = self.beneficiaries.get(event.person_id)
        if isinstance(event, EntitlementGranted) or (
            person is None and isinstance(event, ResidencyEnded)
        ):
            return  # nothing about the person's row, or nobody to check out
        if person is None:
            person = self.beneficiaries[event.person_id] = _Beneficiary(event.person_id)
        if isinstance(event, BeneficiaryRegistered):
            person.arrival_id, person.registered_at = event.household_id, event.occurred_at
            if person.status in ("merged", NO_CONSENT):
                person.status = "registered"  # registered again: merge undone, consent given
        if isinstance(event, BeneficiaryRegistered | BeneficiaryFactsUpdated):
            person.age_band, person.vulnerable = event.age_band.value, event.vulnerable
        elif isinstance(event, ResidentRecorded):
            person.shelter_id, person.resident_since = event.shelter_id, event.occurred_at
            person.status = residency_of(event)
        elif isinstance(event, ResidencyEnded | EntitlementsClosed):
            # no longer housed: checked out, or gone (departed, merged)
            person.shelter_id = person.resident_since = None
            person.status = "checked_out" if isinstance(event, ResidencyEnded) else event.reason

    def _entitlement(self, event: EntitlementGranted | ResidencyEnded | EntitlementsClosed) -> None:
        if isinstance(event, EntitlementGranted):  # granted anew, or again after a closing
            item = event.item.value
            self.entitlements.setdefault(event.person_id, {})[item] = _Entitlement(
                event.person_id, item, event.per_day, event.occurred_at
            )
            return
        # a check-out closes what residents get; a departure or a merge closes everything
        closing = RESIDENT_ITEMS if isinstance(event, ResidencyEnded) else None
        reason = "checked_out" if isinstance(event, ResidencyEnded) else event.reason
        for entitlement in self.entitlements.get(event.person_id, {}).values():
            if entitlement.closed_at is None and (closing is None or entitlement.item in closing):
                entitlement.closed_at, entitlement.closed_reason = event.occurred_at, reason

    # --- stock and distributions --------------------------------------------------------------

    def _stock(self, recorded: RecordedEvent, event: StockEvent) -> None:
        key = (event.site_id, event.item.value)
        before = self.stock.get(key)
        self.stock[key] = _Stock(lots_after(before.lots if before else (), event), event)
        self.movements.append(movement_of(recorded, event))
        column = DAILY_COLUMN.get(type(event))
        if column is not None:
            total = self._day(local_day(event.occurred_at), event.site_id, event.item.value)
            setattr(total, column, getattr(total, column) + event.quantity)

    def _issue(self, event: AidIssued | HouseholdAidIssued) -> None:
        self.issues.append(issue_of(event))
        day, item = local_day(event.occurred_at), event.item.value
        collector = (day, event.site_id, item, event.person_id)
        total = self._day(day, event.site_id, item)
        total.issued += event.quantity
        total.distributions += 1
        if collector not in self.collected:
            self.collected.add(collector)
            total.people += 1

    def _day(self, day: date, site_id: str, item: str) -> _DailyTotal:
        total = self.days.get((day, site_id, item))
        if total is None:
            total = self.days[day, site_id, item] = _DailyTotal(day, site_id, item)
        return total

    # --- support ------------------------------------------------------------------------------

    def _request(self, event: SupportRequested) -> None:
        self.requests[event.request_id] = _Request(
            request_id=event.request_id, person_id=event.person_id, kind=event.kind.value,
            status="open", destination_country=event.destination_country,
            requested_at=event.occurred_at,
        )  # fmt: skip

    def _match(self, event: MatchProposed | MatchOutcome) -> None:
        if isinstance(event, MatchProposed):
            self.matches[event.match_id] = _Match(
                event.match_id, event.request_id, event.offer_id, event.basis.value, "proposed",
                event.occurred_at, event.occurred_at,
            )  # fmt: skip
            return
        before = None
        if match := self.matches.get(event.match_id):
            before = match.status
            match.status, match.updated_at = MATCH_STATUS_AFTER[type(event)], event.occurred_at
            match.withdrawn_reason = event.reason if isinstance(event, MatchWithdrawn) else None
        status = request_status_after(event, before)
        request = self.requests.get(event.request_id)
        if status is not None and request and request.status in ("open", "matched"):
            request.status = status
            request.closed_at = event.occurred_at if status == "done" else None

    def _offer(self, event: OfferEvent) -> None:
        if isinstance(event, OfferPublished):
            self.offers[event.offer_id] = _Offer(
                offer_id=event.offer_id, kind=event.kind.value, status="open",
                country=event.country, city=None, profession=event.profession,
                skills=list(event.skills), languages=list(event.languages), places=event.places,
                published_at=event.occurred_at,
            )  # fmt: skip
            return
        offer = self.offers.get(event.offer_id)
        if offer is None:
            return
        if isinstance(event, OfferDetailsRecorded):
            (offer.partner, offer.title, offer.description, offer.contact,
             offer.available_until, offer.city) = offer_details_of(event)  # fmt: skip
        elif isinstance(event, OfferWithdrawn):
            offer.status, offer.withdrawn_at = "withdrawn", event.occurred_at
        else:  # a place taken or given back; a withdrawn offer stays withdrawn
            offer.places_taken += 1 if isinstance(event, OfferPlaceTaken) else -1
            if offer.status != "withdrawn":
                offer.status = "full" if offer.places_taken >= offer.places else "open"

    async def write(self, conn: asyncpg.Connection) -> None:
        await copy_rows(conn, "beneficiaries", self.beneficiaries.values(), _Beneficiary)
        await copy_rows(
            conn, "entitlements", (e for held in self.entitlements.values() for e in held.values()),
            _Entitlement,
        )  # fmt: skip
        await conn.copy_records_to_table(
            "item_rules", records=self.rules.values(), columns=RULE_COLUMNS
        )
        await conn.copy_records_to_table(
            "stock", records=[stock_of(s.last, s.lots) for s in self.stock.values()],
            columns=STOCK_COLUMNS,
        )  # fmt: skip
        await conn.copy_records_to_table(
            "stock_movements", records=self.movements, columns=MOVEMENT_COLUMNS
        )
        await conn.copy_records_to_table("issues", records=self.issues, columns=ISSUE_COLUMNS)
        await copy_rows(conn, "daily_totals", self.days.values(), _DailyTotal)
        await copy_rows(conn, "support_requests", self.requests.values(), _Request)
        await conn.execute(FILL_READ_MODEL, None)  # the details, kept outside the events
        await copy_rows(conn, "support_offers", self.offers.values(), _Offer)
        await copy_rows(conn, "support_matches", self.matches.values(), _Match)
