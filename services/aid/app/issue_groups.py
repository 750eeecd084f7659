"""Issues waiting at one stock, decided together in one transaction (a group commit).

Counters that issue from one stock queue for it (services/aid/app/stock_queues.py); the issues
that wait while one transaction runs are decided by the next, in the order they came, each
against the stock, its recipient and the item's rules as the ones before it left them, exactly
as if each had its own transaction one after the other: a refusal appends nothing, and the
next is decided without it. Their events, their read models' rows (the same folds, written
once per table) and their Idempotency-Keys' answers then go in one statement and one commit:
the stock's queue is held for a few round trips per group instead of about fifteen per issue,
and every answer is sent only after the commit that holds it. A group costs five round trips:
BEGIN; its keys claimed, its rules and people read and the stock's queue entered; the stock
and the read-model rows its issues will fold read; the append; COMMIT.

Each request keeps its own key and its own answer: a key already answered gets that answer,
a key reused with another body its error; a refusal is kept with its key in the group's
transaction when it is a decision (``DomainError.final``), else the key is let go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    load_states,
    load_stock_and_rows,
)
from services.aid.projections import projection_writes
from services.aid.read_models.stock import issue_reads
from shared.appending import StreamAppend, pending_events
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

    def appends(self, stock_id: str) -> list[StreamAppend]:
        """Recipients' streams in id order (two groups at two sites append the same people in
        one order: one waits for the other rather than both for each other), the stock last."""
        return [(s, self.started[s], self.appended[s]) for s in self._order(stock_id)]

    def each(self, stock_id: str) -> list[dict[str, Any]]:
        """Every event's metadata, in the order of ``appends``."""
        return [one for s in self._order(stock_id) for one in self.metadata[s]]

    def _order(self, stock_id: str) -> list[str]:
        order = [*sorted(s for s in self.appended if s != stock_id), stock_id]
        return [s for s in order if s in self.appended]


async def issue_group(
    conn: asyncpg.Connection,
    store: EventStore,
    requests: Sequence[IssueRequest],
    refusal: Refusal,
) -> tuple[list[Outcome], list[Folded]]:
    """Decide ``requests`` (one stock's, distinct keys) in order, in the caller's transaction;
    their outcomes, and the states of the streams appended to (to cache once committed)."""
    first = requests[0]
    # the keys are claimed, and the people read, as the group enters the stock's queue (their
    # appends check them); the stock is read in it, after the groups ahead committed
    # (donations and other processes queue here too)
    outcomes, rules, group = await _claim_and_load(conn, store, requests)
    deciding = [i for i in range(len(requests)) if i not in outcomes]
    if not deciding:
        return [outcomes[i] for i in range(len(requests))], []
    # with the stock, the read-model rows its issues will fold (any other is read after)
    rows = issue_reads(
        first.site_id, first.item.value, first.now, (requests[i].person_id for i in deciding)
    )
    stock_state, loaded = await load_stock_and_rows(conn, store, first.stock_id, stock, rows)
    group.states.update(stock_state)
    group.deciders[first.stock_id] = stock
    for i in deciding:
        outcomes[i] = _decide(group, rules, requests[i], refusal)
    appends = group.appends(first.stock_id)
    projected = await projection_writes(conn, pending_events(appends), loaded)
    await store.append_streams(
        conn, appends, Causation.new(), alongside=projected + group.writes, project=False,
        each=group.each(first.stock_id),
    )  # fmt: skip
    folded = [
        (group.deciders[stream], stream, group.states[stream][1], group.states[stream][0])
        for stream, _, _ in appends
    ]
    return [outcomes[i] for i in range(len(requests))], folded


def _decide(group: _Group, rules: ItemRules, request: IssueRequest, refusal: Refusal) -> Outcome:
    """One issue, on the states the issues before it in the group left."""
    stream_of_person = str(request.person_id)
    person: Beneficiary = group.states[stream_of_person][0]
    issue_id = uuid4()
    try:
        stream, command = recipient_decision(
            rules, person, request.person_id, issue_id, request.quantity, request.site_id,
            request.actor, request.now,
        )  # fmt: skip
        decider = group.deciders[stream]
        recipient_events = decider.decide(command, group.states[stream][0])
        draw = stock_decision(
            rules, person, issue_id, request.quantity, request.site_id, request.actor,
            request.now,
        )  # fmt: skip
        stock_events = stock.decide(draw, group.states[request.stock_id][0])
    except DomainError as error:
        problem = refusal(error)
        claim = request.claim
        group.writes.append(
            claim.answer(problem["status"], problem) if error.final else let_go(claim)
        )
        return StoredAnswer(problem["status"], problem, replayed=False)
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
) -> tuple[dict[int, Outcome], ItemRules, _Group]:
    """Claim every key, read the item's rules and the people and enter the stock's queue, in
    one statement; the answers of keys claimed before (or their errors), by the request's
    place in the group, the rules, and for a household item the households of the rest."""
    first = requests[0]
    wanted: dict[str, Decider[Any, Any]] = {first.item.value: item_rules}
    wanted.update((str(request.person_id), beneficiary) for request in requests)
    claimed, states = await claim_and_load(
        conn, store, [request.claim for request in requests], wanted, first.stock_id
    )
    earlier: dict[int, Outcome] = {}
    for i, request in enumerate(requests):
        if i not in claimed:
            try:
                earlier[i] = await request.claim.earlier_answer(conn)
            except KeyReusedWithOtherRequest as error:
                earlier[i] = error
    rules = rules_in_force(first.item, states[first.item.value][0])
    if rules.per is IssuedPer.HOUSEHOLD:
        households = {
            str(person.household_id): household
            for i, request in enumerate(requests)
            if i not in earlier
            for person in (states[str(request.person_id)][0],)
            if person.household_id is not None
        }
        states.update(await load_states(conn, store, households))
        wanted.update(households)
    return earlier, rules, _Group(states, wanted)
