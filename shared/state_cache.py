"""Folded states of recently used streams, kept between commands: a command on a long stream
(a shelter's, a stock's) then reads and folds only the events since (shared.decider)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

#: the default of STATES_KEPT (shared.settings)
STATES_KEPT = 500_000


class StateCache:
    """A bounded map (decider, stream) -> (version, folded state), least recently used out.

    Safe because states are immutable and events are never changed or removed: a cached state
    at version n plus the stream's events after n is the state. Only states folded from
    committed events are kept (see EventStore.read_since).

    It holds a whole town's streams. With 20,000, a 30,000-person Oral week evicted people
    who still came to the counters, and each of their issues read and folded their whole
    stream again: aid's CPU per distribution request was 4.1-4.3 ms on days 5 and 6, against
    3.0-3.4 ms with every stream kept (one run each). Keeping every stream, aid's peak memory
    was 9 MiB higher at 30,000 people and 71 MiB higher at 100,000 (264 MiB), some 600 bytes
    a state: 500,000, the people, arrivals and households of a 300,000-person week, would be
    some 300 MiB (an estimate from those two runs, not measured)."""

    def __init__(self, capacity: int = STATES_KEPT) -> None:
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
