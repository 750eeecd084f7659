"""Each consuming service routes the events of its topics through one table (shared/event_router):
every type a subscribed topic carries has a handler or is ignored on purpose."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from uuid import UUID, uuid4

import pytest

from services.aid import main as aid
from services.aid.app.beneficiaries import passes_aid_by
from services.aid.domain.residency import why_stay_ended
from services.housing import main as housing
from services.housing.arrival_run import Holds
from services.housing.consent import passes_housing_by
from services.intake import main as intake
from shared.consumer import IncomingEvent, Taken
from shared.event_router import EventRouter, on, person_of, reaction, unless_erased
from shared.eventstore import Causation
from shared.schemas import intake as contract
from shared.schemas.base import DomainEvent
from shared.schemas.housing import BedReleased, HoldExpired, PlaceFreedOnConsentWithdrawal
from shared.schemas.intake import DepartureReason, PersonDeparted, PersonErased, PersonsMerged
from shared.schemas.registry import TOPIC_TYPES
from shared.topics import INTAKE_EVENTS

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def carried_by(topics: tuple[str, ...]) -> set[type[DomainEvent]]:
    """Every event type the topics' unions hold (``Annotated[Union[...], Field(...)]``)."""
    return {kind for topic in topics for kind in get_args(get_args(TOPIC_TYPES[topic])[0])}


SERVICES: dict[str, tuple[EventRouter, tuple[str, ...]]] = {
    "intake": (intake.ROUTES, intake.CONSUMES),
    "housing": (
        housing.routes(housing.event_store(), Holds(timedelta(hours=6), timedelta(hours=2))),
        housing.CONSUMES,
    ),
    "aid": (aid.routes(aid.event_store()), aid.CONSUMES),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_type_on_a_subscribed_topic_is_handled_or_ignored_on_purpose(service: str) -> None:
    router, topics = SERVICES[service]
    unrouted = carried_by(topics) - router.handled - router.ignored
    assert not unrouted, (
        f"{service} neither handles nor ignores {sorted(t.__name__ for t in unrouted)}"
    )


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_router_names_no_type_its_topics_do_not_carry(service: str) -> None:
    router, topics = SERVICES[service]
    stale = (router.handled | router.ignored) - carried_by(topics)
    assert not stale, f"{service} routes {sorted(t.__name__ for t in stale)}, never on its topics"


def departed() -> PersonDeparted:
    return PersonDeparted(
        actor="partner:p1",
        occurred_at=NOW,
        person_id=uuid4(),
        arrival_id=uuid4(),
        reason=DepartureReason.FOUND_OWN_HOUSING,
    )


def incoming(event: DomainEvent) -> IncomingEvent:
    return IncomingEvent(event_id=uuid4(), topic=INTAKE_EVENTS, event=event, correlation_id="c1")


async def test_an_event_goes_to_the_handler_of_its_type_and_nowhere_else() -> None:
    seen: list[tuple[str, Any]] = []

    async def on_departed(conn: Any, event: PersonDeparted, _: IncomingEvent) -> None:
        seen.append(("departed", event))

    async def on_merged(conn: Any, event: PersonsMerged, _: IncomingEvent) -> None:
        seen.append(("merged", event))

    router = EventRouter(on(PersonDeparted, on_departed), on(PersonsMerged, on_merged))
    event = departed()
    await router(None, incoming(event))
    assert seen == [("departed", event)]


async def test_an_ignored_type_and_a_type_the_router_does_not_know_reach_no_handler() -> None:
    seen: list[DomainEvent] = []

    async def record(conn: Any, event: PersonsMerged, _: IncomingEvent) -> None:
        seen.append(event)

    erased = PersonErased(actor="operator", occurred_at=NOW, person_id=uuid4())
    await EventRouter(on(PersonsMerged, record), ignored=(PersonDeparted,))(
        None, incoming(departed())
    )
    await EventRouter(on(PersonsMerged, record))(None, incoming(erased))
    assert seen == []


def test_a_type_routed_twice_or_both_handled_and_ignored_is_refused() -> None:
    async def nothing(conn: Any, event: DomainEvent, _: IncomingEvent) -> None:
        return None

    with pytest.raises(ValueError, match="two handlers for PersonDeparted"):
        EventRouter(on(PersonDeparted, nothing), on(PersonDeparted, nothing))
    with pytest.raises(ValueError, match="handled and ignored at once: PersonDeparted"):
        EventRouter(on(PersonDeparted, nothing), ignored=(PersonDeparted,))


async def test_a_reaction_gives_its_use_case_what_it_needs_the_event_its_cause_and_now() -> None:
    calls: list[tuple[Any, ...]] = []

    async def use_case(
        conn: Any, store: str, holds: int, event: PersonDeparted, cause: Causation, now: datetime
    ) -> None:
        calls.append((conn, store, holds, event, cause, now))

    event, arrived = departed(), incoming(departed())
    await EventRouter(on(PersonDeparted, reaction(use_case, "store", 6)))("conn", arrived)
    await reaction(use_case, "store", 6)("conn", event, arrived)

    assert [call[:5] for call in calls] == [
        ("conn", "store", 6, arrived.event, arrived.causation()),
        ("conn", "store", 6, event, arrived.causation()),
    ]
    assert all(call[5].tzinfo is UTC for call in calls)


async def test_nothing_about_one_person_erased_before_is_taken_in_but_their_erasure_is() -> None:
    someone, erased_one = uuid4(), uuid4()
    seen: list[DomainEvent] = []

    async def record(conn: Any, incoming: IncomingEvent) -> None:
        seen.append(incoming.event)

    async def erased_among(conn: Any, person_ids: Sequence[UUID]) -> set[UUID]:
        return {person for person in person_ids if person == erased_one}

    handler = unless_erased(record, erased_among)
    about_them = departed().model_copy(update={"person_id": erased_one})
    merged_away = PersonsMerged(
        actor="operator", occurred_at=NOW, duplicate_person_id=erased_one, kept_person_id=someone
    )
    erasure = PersonErased(actor="operator", occurred_at=NOW, person_id=erased_one)
    about_someone = departed().model_copy(update={"person_id": someone})
    for event in (about_them, merged_away, erasure, about_someone):
        await handler(None, incoming(event))

    assert seen == [erasure, about_someone]
    assert person_of(merged_away) == erased_one and person_of(about_someone) == someone


def test_aid_ends_a_residency_for_the_reason_housing_gave_or_the_one_its_event_means() -> None:
    place: dict[str, Any] = {"actor": "service:housing", "occurred_at": NOW, "shelter_id": uuid4(),
             "unit_id": uuid4(), "bed_number": 1, "person_id": uuid4()}  # fmt: skip
    assert why_stay_ended(HoldExpired(**place)) == "no_show"
    assert why_stay_ended(BedReleased(**place, reason="moved")) == "moved"
    freed = PlaceFreedOnConsentWithdrawal(**place, checked_in=False)
    assert why_stay_ended(freed) == "consent_withdrawn"


async def test_a_batch_reads_its_persons_erased_once_and_again_after_an_erasure_in_it() -> None:
    someone, erased_before, erased_now = uuid4(), uuid4(), uuid4()
    gone = {erased_before}
    looked_up: list[set[UUID]] = []
    seen: list[DomainEvent] = []
    spans: list[DomainEvent] = []

    async def on_event(conn: Any, event: Any, _: IncomingEvent) -> None:
        seen.append(event)
        if isinstance(event, PersonErased):
            gone.add(event.person_id)  # the service remembers whom it erased

    async def erased_among(conn: Any, person_ids: Sequence[UUID]) -> set[UUID]:
        looked_up.append(set(person_ids))
        return gone & set(person_ids)

    router = EventRouter(
        on(PersonDeparted, on_event), on(PersonErased, on_event), ignored=(PersonsMerged,)
    )
    handler = unless_erased(router, erased_among, lambda event: person_of(event) == someone)

    def about(person: UUID) -> PersonDeparted:
        return departed().model_copy(update={"person_id": person})

    erasure = PersonErased(actor="operator", occurred_at=NOW, person_id=erased_now)
    merged = PersonsMerged(
        actor="operator", occurred_at=NOW, duplicate_person_id=uuid4(), kept_person_id=someone
    )
    before, other = about(erased_now), about(uuid4())
    batch = [
        about(erased_before),
        before,
        erasure,
        about(erased_now),
        merged,
        about(someone),
        other,
    ]

    def taken(event: DomainEvent) -> Taken:
        return Taken(incoming(event), lambda: _span(spans, event))

    await handler.handle_batch(None, [taken(event) for event in batch])

    assert seen == [before, erasure, other]
    # the departures' and the erasure's persons, not the ignored merge's nor the passed-by one
    assert looked_up == [{erased_before, erased_now, other.person_id}] * 2
    assert spans == batch


@contextmanager
def _span(spans: list[DomainEvent], event: DomainEvent) -> Iterator[None]:
    spans.append(event)
    yield


def _consent(given: bool, purpose: contract.ConsentPurpose, *, facts: bool) -> DomainEvent:
    stamp: dict[str, Any] = {
        "actor": "partner:wp",
        "occurred_at": NOW,
        "person_id": PERSON_OF_CONSENT,
    }
    if not given:
        return contract.ConsentWithdrawn(**stamp, purpose=purpose, arrival_id=ARRIVAL_OF_CONSENT)
    member = contract.ArrivingMember(
        person_id=PERSON_OF_CONSENT,
        age_band=contract.AgeBand.ADULT,
        sex=contract.Sex.MALE,
        relation=contract.Relation.SELF,
    )
    if not facts:  # given with the arrival, which carries the facts
        return contract.ConsentGiven(**stamp, purpose=purpose)
    return contract.ConsentGiven(
        **stamp, purpose=purpose, arrival_id=ARRIVAL_OF_CONSENT, member=member
    )


PERSON_OF_CONSENT, ARRIVAL_OF_CONSENT = uuid4(), uuid4()
HOUSING, AID, SHARING = (
    contract.ConsentPurpose.HOUSING,
    contract.ConsentPurpose.AID,
    contract.ConsentPurpose.SHARING_WITH_PARTNER,
)


@pytest.mark.parametrize("service", [passes_housing_by, passes_aid_by])
@pytest.mark.parametrize(
    ("given", "to", "facts", "passed_by"),
    [
        (True, "own", True, False),  # given after registration: the person is taken in
        (True, "own", False, True),  # given with the arrival: the arrival takes them in
        (True, "other", True, True),
        (True, SHARING, True, True),
        (False, "own", False, False),  # withdrawn: the service forgets them
        (False, "other", False, True),
        (False, SHARING, False, True),
    ],
)
def test_housing_and_aid_pass_by_only_the_consents_they_do_nothing_with(
    service: Any, given: bool, to: Any, facts: bool, passed_by: bool
) -> None:
    own, other = (HOUSING, AID) if service is passes_housing_by else (AID, HOUSING)
    purpose = {"own": own, "other": other}.get(to, to)
    assert service(_consent(given, purpose, facts=facts)) is passed_by
    assert not service(departed())  # not a consent: routed as ever
