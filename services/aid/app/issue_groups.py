"""Issues waiting for their stocks, decided together in one transaction (a group commit).

The counters of this process queue for their stocks together (services/aid/app/issue_queue.py);
the issues that wait while one transaction runs are decided by the next, in the order they
came, each against its stock, its recipient and the item's rules as the ones before it left
them, exactly as if each had its own transaction one after the other: a refusal appends
nothing, and the next is decided without it (a person at the counters of two sites in one
group: the second issue is decided on what the first left). Their events, their read models'
rows (the same folds, written once per table) and their Idempotency-Keys' answers then go in
one statement and one commit: the stocks' queues are held for a few round trips per group
instead of about fifteen per issue, and every answer is sent only after the commit that holds
it. A group costs five round trips, whatever its size and however many stocks it draws from:
BEGIN; its keys claimed, its rules and people read and its stocks' queues entered; the stocks
and the read-model rows its issues will fold read; the append; COMMIT. A group whose every
recipient is refused (a second meal today) draws nothing: its stocks are not read, four.

Each request keeps its own key and its own answer: a key already answered gets that answer,
a key reused with another body its error; a refusal is kept with its key in the group's
transaction when it is a decision (``DomainError.final``), else the key is let go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from services.aid.app.distributions import Issued
from services.aid.domain.beneficiary import Beneficiary, beneficiary
from services.aid.domain.distribution import recipient_decision, stock_decision
from services.aid.domain.household import household
from services.aid.domain.rules import ItemRules, item_rules, rules_in_force
from services.aid.domain.stock import stock
from services.aid.issue_queries import (
    States,
    claim_and_load,
    let_go,
    load_stocks_and_rows,
)
from services.aid.projections import projection_writes
from services.aid.read_models.stock import issue_reads
from shared.appending import StreamAppend, pending_events
from shared.decider import load_streams
from shared.decision import Decider, DomainError
from shared.eventstore import Causation, EventStore
from shared.idempotency import Claim, KeyReusedWithOtherRequest, StoredAnswer
from shared.schemas.aid import AidItem, IssuedPer, stock_id_of
from shared.schemas.base import DomainEvent
from shared.statement import Write

#: a refusal as the answer's body (problem details, ``status`` its code)
Refusal = Callable[[DomainError], dict[str, Any]]
#: what a request is answered: its answer, or the error of its key
Outcome = StoredAnswer | KeyReusedWithOtherRequest
#: a stream's state the group left, to cache once committed: (decider, stream, version, state)
Folded = tuple[Decider[Any, Any], str, int, Any]


@dataclass(frozen=True)
class IssueRequest:
    """One POST /v1/distributions, with its key's claim (client, key, fingerprint, ids)."""

    claim: Claim
    person_id: UUID
    item: AidItem
    quantity: int
    site_id: str
    actor: str
    now: datetime
    #: what its events record of why they were appended: its own correlation and trace
    #: (shared.eventstore.event_metadata, made in the request's context)
    metadata: dict[str, Any]

    @property
    def stock_id(self) -> str:
        return stock_id_of(self.site_id, self.item)


@dataclass
class _Group:
    """The group's streams as its issues so far left them, and what it appends and writes."""

    states: States
    deciders: dict[str, Decider[Any, Any]]
    started: dict[str, int] = field(default_factory=dict)
    appended: dict[str, list[DomainEvent]] = field(default_factory=dict)
    metadata: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)

    def take(self, stream_id: str, events: Sequence[DomainEvent], metadata: dict[str, Any]) -> None:
        state, version = self.states[stream_id]
        self.started.setdefault(stream_id, version)
        self.appended.setdefault(stream_id, []).extend(events)
        self.metadata.setdefault(stream_id, []).extend(metadata for _ in events)
        evolved = reduce(self.deciders[stream_id].evolve, events, state)
        self.states[stream_id] = (evolved, version + len(events))

    def appends(self, stocks: Iterable[str]) -> list[StreamAppend]:
        """Recipients' streams in id order (two groups append the same people in one order:
        one waits for the other rather than both for each other), the stocks last."""
        return [(s, self.started[s], self.appended[s]) for s in self._order(stocks)]

    def each(self, stocks: Iterable[str]) -> list[dict[str, Any]]:
        """Every event's metadata, in the order of ``appends``."""
        return [one for s in self._order(stocks) for one in self.metadata[s]]

    def _order(self, stocks: Iterable[str]) -> list[str]:
        last = sorted(stocks)
        order = [*sorted(s for s in self.appended if s not in last), *last]
        return [s for s in order if s in self.appended]


async def issue_group(
    conn: asyncpg.Connection,
    store: EventStore,
    requests: Sequence[IssueRequest],
    refusal: Refusal,
) -> tuple[list[Outcome], list[Folded]]:
    """Decide ``requests`` (distinct keys, any stocks) in order, in the caller's transaction;
    their outcomes, and the states of the streams appended to (to cache once committed)."""
    # the keys are claimed, and the people read, as the group enters its stocks' queues (their
    # appends check them); the stocks are read in them, after the groups ahead committed
    # (donations and other processes queue there too)
    outcomes, rules, group = await _claim_and_load(conn, store, requests)
    deciding = [i for i in range(len(requests)) if i not in outcomes]
    if not deciding:
        return [outcomes[i] for i in range(len(requests))], []
    if refused := _every_recipient_refused(group, rules, [requests[i] for i in deciding]):
        # nothing is drawn, so no stock is read: the refusals are the ones deciding in turn
        # would make (a refusal leaves every state as it was), kept in one write
        for i, error in zip(deciding, refused, strict=True):
            outcomes[i] = _refuse(group, requests[i], error, refusal)
        await store.append_streams(conn, [], Causation.new(), alongside=group.writes)
        return [outcomes[i] for i in range(len(requests))], []
    at_stock: dict[str, list[IssueRequest]] = {}
    for i in deciding:
        at_stock.setdefault(requests[i].stock_id, []).append(requests[i])
    # with the stocks, the read-model rows their issues will fold (any other is read after)
    rows = [
        read
        for queue in at_stock.values()
        for read in issue_reads(
            queue[0].site_id, queue[0].item.value, queue[0].now, (r.person_id for r in queue)
        )
    ]
    stocks: dict[str, Decider[Any, Any]] = dict.fromkeys(at_stock, stock)
    stock_states, loaded = await load_stocks_and_rows(conn, store, stocks, rows)
    group.states.update(stock_states)
    group.deciders.update(stocks)
    for i in deciding:
        outcomes[i] = _decide(group, rules[requests[i].item], requests[i], refusal)
    appends = group.appends(stocks)
    projected = await projection_writes(conn, pending_events(appends), loaded)
    await store.append_streams(
        conn, appends, Causation.new(), alongside=projected + group.writes, project=False,
        each=group.each(stocks),
    )  # fmt: skip
    folded = [
        (group.deciders[stream], stream, group.states[stream][1], group.states[stream][0])
        for stream, _, _ in appends
    ]
    return [outcomes[i] for i in range(len(requests))], folded


def _recipient(
    group: _Group, rules: ItemRules, request: IssueRequest, issue_id: UUID
) -> tuple[str, Sequence[DomainEvent]]:
    """The recipient's stream (the person's, or their household's) and its events, on the
    states the issues before it in the group left; raises the DomainError of a refusal."""
    person: Beneficiary = group.states[str(request.person_id)][0]
    stream, command = recipient_decision(
        rules, person, request.person_id, issue_id, request.quantity, request.site_id,
        request.actor, request.now,
    )  # fmt: skip
    return stream, group.deciders[stream].decide(command, group.states[stream][0])


def _every_recipient_refused(
    group: _Group, rules: dict[AidItem, ItemRules], requests: Sequence[IssueRequest]
) -> list[DomainError]:
    """Each request's refusal, when every recipient refuses (the states read so far suffice:
    a refusal changes none); else nothing, as soon as one would be served."""
    refusals = []
    for request in requests:
        try:
            _recipient(group, rules[request.item], request, uuid4())
        except DomainError as error:
            refusals.append(error)
        else:
            return []
    return refusals


def _refuse(group: _Group, request: IssueRequest, error: DomainError, refusal: Refusal) -> Outcome:
    """A refusal kept with its key when it is a decision, else the key let go."""
    problem = refusal(error)
    claim = request.claim
    group.writes.append(claim.answer(problem["status"], problem) if error.final else let_go(claim))
    return StoredAnswer(problem["status"], problem, replayed=False)


def _decide(group: _Group, rules: ItemRules, request: IssueRequest, refusal: Refusal) -> Outcome:
    """One issue, on the states the issues before it in the group left."""
    person: Beneficiary = group.states[str(request.person_id)][0]
    issue_id = uuid4()
    try:
        stream, recipient_events = _recipient(group, rules, request, issue_id)
        draw = stock_decision(
            rules, person, issue_id, request.quantity, request.site_id, request.actor,
            request.now,
        )  # fmt: skip
        stock_events = stock.decide(draw, group.states[request.stock_id][0])
    except DomainError as error:
        return _refuse(group, request, error, refusal)
    group.take(stream, recipient_events, request.metadata)
    group.take(request.stock_id, stock_events, request.metadata)
    household_id = person.household_id if rules.per is IssuedPer.HOUSEHOLD else None
    answer = Issued(
        issue_id, request.person_id, household_id, request.item, request.quantity,
        request.site_id, request.now,
    ).as_json()  # fmt: skip
    group.writes.append(request.claim.answer(201, answer))
    return StoredAnswer(201, answer, replayed=False)


async def _claim_and_load(
    conn: asyncpg.Connection, store: EventStore, requests: Sequence[IssueRequest]
) -> tuple[dict[int, Outcome], dict[AidItem, ItemRules], _Group]:
    """Claim every key, read the items' rules and the people and enter the stocks' queues, in
    one statement; the answers of keys claimed before (or their errors), by the request's
    place in the group, the rules by item, and for household items the households of the
    rest."""
    wanted: dict[str, Decider[Any, Any]] = {r.item.value: item_rules for r in requests}
    wanted.update((str(request.person_id), beneficiary) for request in requests)
    claimed, states = await claim_and_load(
        conn, store, [request.claim for request in requests], wanted,
        (request.stock_id for request in requests),
    )  # fmt: skip
    earlier: dict[int, Outcome] = {}
    for i, request in enumerate(requests):
        if i not in claimed:
            try:
                earlier[i] = await request.claim.earlier_answer(conn)
            except KeyReusedWithOtherRequest as error:
                earlier[i] = error
    rules = {
        request.item: rules_in_force(request.item, states[request.item.value][0])
        for request in requests
    }
    households = {
        str(person.household_id): household
        for i, request in enumerate(requests)
        if i not in earlier and rules[request.item].per is IssuedPer.HOUSEHOLD
        for person in (states[str(request.person_id)][0],)
        if person.household_id is not None
    }
    if households:
        states.update(await load_streams(conn, store, households))
        wanted.update(households)
    return earlier, rules, _Group(states, wanted)
