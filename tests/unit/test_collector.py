"""A service process's collector once its app is built (shared/collector.py): what start-up
made is frozen out of the collector's sight, and the young generation is collected less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.collector import YOUNG_THRESHOLD, settle_collector


@pytest.fixture
def collector_as_it_was() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_as_it_was")
def test_what_start_up_made_is_frozen_and_young_collections_come_less_often() -> None:
    _, middle, old = gc.get_threshold()

    settle_collector()

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
    assert YOUNG_THRESHOLD > 700  # CPython's default, which the process no longer runs with


@pytest.mark.usefixtures("collector_as_it_was")
def test_a_cycle_made_after_settling_is_still_collected() -> None:
    settle_collector()

    class Node:
        other: object

    first, second = Node(), Node()
    first.other, second.other = second, first
    del first, second

    assert gc.collect() >= 2  # the collector still runs; only what start-up made is set aside
