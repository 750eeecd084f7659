"""The counters of one stock queue in this process, and what waits is issued as one group.

A stock's issues must come one after the other (its lots, first expiring first, and the
vulnerable-first reserve are rules of the whole stock), so its writers take the stock's lock in
turn. With one transaction per issue, ten counters waited for ten commits, each holding the lock
for about fifteen round trips. Here the first request at an idle stock starts a drain; the
requests that arrive while a group's transaction runs wait, and the next group takes them all
(up to ``GROUP_MOST``) into one transaction (services/aid/app/issue_groups.py): the lock is
held once per group, the commit is shared, and each request is answered after that commit.
While another group of the stock is being decided, a drain about to take the next one first
lets the event loop turn a few times, as long as requests keep joining (``_gather``, no
timer): it would only wait for the stock's queue, and requests read from their connections a
moment apart (counters answered by one commit send their next together) then share one
transaction instead of one going alone into the next. An idle stock's first request goes at
once. While a drain gathers, a new request joins it rather than starting another drain.
Durability is unchanged: nothing is answered before its commit, and a crash before it loses
only requests not answered yet, which their Idempotency-Keys let the counters send again.

The stock's lock is still taken by each group, so other processes and donations queue as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from services.aid.app.issue_groups import IssueRequest, Outcome, Refusal, issue_group
from shared.decider import in_transaction
from shared.eventstore import EventStore
from shared.idempotency import StoredAnswer

#: the most issues one transaction decides: enough for every counter of a large site at once
GROUP_MOST = 64
#: transactions of one stock at once: one holding its queue, the next getting ready (its keys
#: claimed and its people read) to take it the moment the first commits
AT_ONCE = 2
GATHER_TURNS = 8

_Waiting = tuple[IssueRequest, "asyncio.Future[Outcome]"]


class StockQueues:
    """Issues waiting for their stock, by stock, and the drain of each stock that has some."""

    def __init__(self, pool: asyncpg.Pool, store: EventStore, refusal: Refusal) -> None:
        self.pool, self.store, self.refusal = pool, store, refusal
        self._waiting: dict[str, list[_Waiting]] = {}
        self._drains: dict[str, list[asyncio.Task[None]]] = {}
        #: the stocks one of whose drains is letting the requests on their way join its group
        self._gathering: set[str] = set()
        #: by stock, how many of its groups are being decided (their transactions open)
        self._deciding: dict[str, int] = {}

    async def issue(self, request: IssueRequest) -> StoredAnswer:
        """The request's answer, once the group that decided it committed. Raises
        KeyReusedWithOtherRequest for its key, or what the group's transaction raised."""
        answered: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.setdefault(request.stock_id, [])
        waiting.append((request, answered))
        drains = [d for d in self._drains.get(request.stock_id, []) if not d.done()]
        if request.stock_id not in self._gathering and len(drains) < AT_ONCE:
            # a drain ends, with no pause, when it finds nothing waiting: one that is done
            # takes no more requests
            drains.append(asyncio.create_task(self._drain(request.stock_id)))
        self._drains[request.stock_id] = drains
        outcome = await answered
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _drain(self, stock_id: str) -> None:
        while self._waiting.get(stock_id):
            if self._deciding.get(stock_id):
                # a group of this stock is being decided: this one would wait for its queue
                # anyway, so it lets the requests on their way join it first; an idle stock's
                # first request goes at once
                await self._gather(stock_id)
            if not (waiting := self._waiting.get(stock_id)):
                break  # another drain took them while this one gathered
            group = _distinct_keys(waiting)
            taken = {id(answered) for _, answered in group}
            self._waiting[stock_id] = [one for one in waiting if id(one[1]) not in taken]
            if not self._waiting[stock_id]:
                del self._waiting[stock_id]
            await self._issue(group)

    async def _gather(self, stock_id: str) -> None:
        """Let the requests already read from their connections reach the queue, while they
        keep coming: a few turns of the event loop, no timer."""
        self._gathering.add(stock_id)
        try:
            for turn in range(GATHER_TURNS):
                seen = len(self._waiting.get(stock_id, ()))
                await asyncio.sleep(0)
                if turn >= 1 and len(self._waiting.get(stock_id, ())) == seen:
                    break
        finally:
            self._gathering.discard(stock_id)

    async def _issue(self, group: Sequence[_Waiting]) -> None:
        requests = [request for request, _ in group]
        stock_id = requests[0].stock_id
        self._deciding[stock_id] = self._deciding.get(stock_id, 0) + 1
        try:
            outcomes, folded = await in_transaction(
                self.pool, lambda conn: issue_group(conn, self.store, requests, self.refusal)
            )
        except Exception as error:  # the group's transaction failed: so did each request
            for _, answered in group:
                if not answered.done():
                    answered.set_exception(error)
            return
        finally:
            self._deciding[stock_id] -= 1
        for decider, stream, version, state in folded:  # committed: the next group reads less
            self.store.states.put((id(decider), stream), version, state)
        for (_, answered), outcome in zip(group, outcomes, strict=True):
            if not answered.done():
                answered.set_result(outcome)


def _distinct_keys(waiting: list[_Waiting]) -> list[_Waiting]:
    """The next group: in arrival order, at most GROUP_MOST, one request per key (a retry sent
    while its first try waits goes in the group after, and gets the first one's answer)."""
    keys: set[tuple[str, str]] = set()
    group: list[_Waiting] = []
    for one in waiting:
        key = (one[0].claim.client_id, one[0].claim.key)
        if key not in keys and len(group) < GROUP_MOST:
            keys.add(key)
            group.append(one)
    return group
