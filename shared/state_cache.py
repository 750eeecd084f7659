"""Folded states of recently used streams, kept between commands: a command on a long stream
(a shelter's, a stock's) then reads and folds only the events since (shared.decider)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class StateCache:
    """A bounded map (decider, stream) -> (version, folded state), least recently used out.

    Safe because states are immutable and events are never changed or removed: a cached state
    at version n plus the stream's events after n is the state. Only states folded from
    committed events are kept (see EventStore.read_since)."""

    def __init__(self, capacity: int = 20_000) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[int, Any] | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, version: int, state: Any) -> None:
        self._entries[key] = (version, state)
        self._entries.move_to_end(key)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
