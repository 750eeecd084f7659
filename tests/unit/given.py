"""given(events).when(command).then(events) for deciders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from shared.decision import Decider
from shared.schemas.base import DomainEvent

C = TypeVar("C")
S = TypeVar("S")


@dataclass(frozen=True)
class Scenario(Generic[C, S]):
    decider: Decider[C, S]
    history: Sequence[DomainEvent] = ()
    command: C | None = None

    def given(self, *events: DomainEvent) -> Scenario[C, S]:
        return Scenario(self.decider, events)

    def when(self, command: C) -> Scenario[C, S]:
        return Scenario(self.decider, self.history, command)

    def decided(self) -> list[DomainEvent]:
        assert self.command is not None
        return list(self.decider.decide(self.command, self.decider.fold(self.history)))

    def then(self, *expected: DomainEvent) -> None:
        assert self.decided() == list(expected)

    def then_raises(self, error: type[Exception], match: str | None = None) -> Any:
        with pytest.raises(error, match=match) as raised:
            self.decided()
        return raised.value


def scenario(decider: Decider[C, S]) -> Scenario[C, S]:
    return Scenario(decider)
