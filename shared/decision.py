"""The decider pattern: the pure types every domain module builds on.

A decider is three pure things: an initial state, ``decide(command, state) -> events`` (raising a
DomainError to refuse) and ``evolve(state, event) -> state``. This module imports nothing but the
standard library and the event schemas, so a decider cannot reach a connection, a broker or a
tracer; the load-decide-append loop that gives it I/O is ``shared/decider.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Generic, Protocol, TypedDict, TypeVar

from shared.schemas.base import DomainEvent

Command = TypeVar("Command")
State = TypeVar("State")


class DomainError(Exception):
    """A command refused by a rule of the domain; the message says which rule and why."""

    @property
    def final(self) -> bool:
        """Whether the refusal is a decision, kept with the request's Idempotency-Key so that
        a retry is refused alike. A refusal that only waits for news from another service
        (aid has not heard of the person yet) says False: a retry with the key decides again."""
        return True


@dataclass(frozen=True)
class Decider(Generic[Command, State]):
    """The three pure functions of one aggregate."""

    initial_state: State
    decide: Callable[[Command, State], Sequence[DomainEvent]]
    evolve: Callable[[State, DomainEvent], State]

    def fold(self, events: Sequence[DomainEvent]) -> State:
        return reduce(self.evolve, events, self.initial_state)


class Asked(Protocol):
    """A command, as far as its events care: who asked, and when."""

    @property
    def actor(self) -> str: ...
    @property
    def now(self) -> datetime: ...


class Stamp(TypedDict):
    """What every event records of the command behind it (DomainEvent's first two fields)."""

    actor: str
    occurred_at: datetime


def stamp(command: Asked) -> Stamp:
    return {"actor": command.actor, "occurred_at": command.now}
