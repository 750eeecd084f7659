"""occupancy: what one placement and one check-in cost housing's shelter decider in a 2,000-place
shelter 90 % full, against the same shelter 10 % full (the baseline, in the same run).

In-process and pure: the decider's ``decide`` + ``evolve`` on a state already loaded, as
housing runs them once a shelter's state is cached (``shared.decider.load_state``). Each
command is decided on the state the previous one left (``CHAIN`` in a row, then again from the
loaded state), so a state is never asked twice, as in the service; occupancy moves by at most
``CHAIN`` places. The figure is CPU-seconds of the harness (``time.process_time``) per command;
the ratio is full ÷ empty, and at most 1.3 means the cost does not grow with occupancy.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from uuid import UUID

from benchmarks.results import ratio_measure
from benchmarks.run import Run, interleaved, log, profiled
from services.housing.domain import shelter as shelter_domain
from shared.schemas.housing import ShelterOpened
from shared.schemas.shelters import Requirements, ShelterKind, Unit

SHELTER_PLACES = 2_000
UNIT_PLACES = 200  # the e2e case's dormitories (cases/pipeline.py)
EMPTY, FULL = 0.1, 0.9
CHAIN = 20
NOW = datetime(2022, 9, 24, 21, 0, tzinfo=UTC)
ACTOR = "service:housing"


@dataclass
class Loaded:
    """A shelter's state at one occupancy, and who holds a place there without checking in."""

    domain: ModuleType
    shelter_id: UUID
    state: Any
    held: list[UUID]


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def _assignment(domain: ModuleType, shelter_id: UUID, rng: random.Random) -> Any:
    return domain.AssignPlaces(shelter_id, _uuid(rng), (_uuid(rng),), Requirements(),
                               NOW + timedelta(days=1), ACTOR, NOW)  # fmt: skip


def _decided(domain: ModuleType, state: Any, command: Any) -> Any:
    decider = domain.shelter
    for event in decider.decide(command, state):
        state = decider.evolve(state, event)
    return state


def loaded(fill: float, rng: random.Random, domain: ModuleType = shelter_domain) -> Loaded:
    """A 2,000-place shelter of 200-place dormitories, ``fill`` of it held one person at a time
    by the decider itself."""
    shelter_id = _uuid(rng)
    units = tuple(
        Unit(unit_id=_uuid(rng), places=UNIT_PLACES) for _ in range(SHELTER_PLACES // UNIT_PLACES)
    )
    opened = ShelterOpened(actor="operator", occurred_at=NOW, shelter_id=shelter_id,
                           kind=ShelterKind.CAMP_DORMITORY, units=units)  # fmt: skip
    state = domain.shelter.evolve(domain.shelter.initial_state, opened)
    held = []
    for _ in range(round(SHELTER_PLACES * fill)):
        command = _assignment(domain, shelter_id, rng)
        state = _decided(domain, state, command)
        held.extend(command.person_ids)
    return Loaded(domain, shelter_id, state, held)


def cpu_per_command(shelter: Loaded, commands: list[Any]) -> float:
    """CPU-seconds per command, each decided on the state the one before left, ``CHAIN`` at a
    time from the loaded state."""
    started = time.process_time()
    for first in range(0, len(commands), CHAIN):
        state = shelter.state
        for command in commands[first : first + CHAIN]:
            state = _decided(shelter.domain, state, command)
    return (time.process_time() - started) / len(commands)


def placements(shelter: Loaded, count: int, rng: random.Random) -> list[Any]:
    return [_assignment(shelter.domain, shelter.shelter_id, rng) for _ in range(count)]


def check_ins(shelter: Loaded, count: int, rng: random.Random) -> list[Any]:
    """Check-ins of people who hold a place; a chain never names one person twice."""
    people = rng.sample(shelter.held, len(shelter.held))
    return [
        shelter.domain.CheckIn(shelter.shelter_id, people[index % len(people)], ACTOR, NOW)
        for index in range(count)
    ]


def compare(
    run: Run,
    empty: Loaded,
    full: Loaded,
    commands: Callable[[Loaded, int, random.Random], list[Any]],
    label: str,
) -> tuple[list[float], list[float]]:
    """Interleaved rounds: CPU-seconds per command at 90 % and at 10 % (the baseline)."""
    count = run.args.occupancy_commands
    at_full: list[float] = []
    at_empty: list[float] = []
    for index, baseline_first in interleaved(run.args.rounds):
        for side in ("empty", "full") if baseline_first else ("full", "empty"):
            shelter, into = (empty, at_empty) if side == "empty" else (full, at_full)
            into.append(cpu_per_command(shelter, commands(shelter, count, run.rng)))
        log(f"{label} round {index + 1}: 90 % {at_full[-1] * 1e6:.0f} µs, "
            f"10 % {at_empty[-1] * 1e6:.0f} µs")  # fmt: skip
    return at_full, at_empty


async def case_occupancy(run: Run) -> None:
    empty, full = loaded(EMPTY, run.rng), loaded(FULL, run.rng)
    shape = (f"{SHELTER_PLACES:,}-place shelter of {UNIT_PLACES}-place units; decide + evolve on "
             f"the loaded state, {CHAIN} commands in a row, CPU of the harness")  # fmt: skip
    with profiled(run, "occupancy", os.getpid()):
        for label, commands, what in (
            ("placement_cost_90_vs_10pct", placements, "a placement of one person"),
            ("check_in_cost_90_vs_10pct", check_ins, "a check-in of a person holding a place"),
        ):
            at_full, at_empty = compare(run, empty, full, commands, label)
            run.measures.append(
                ratio_measure(
                    label,
                    f"CPU of {what} into a shelter 90 % full; {shape}",
                    "µs CPU",
                    "10 % full",
                    [seconds * 1e6 for seconds in at_full],
                    [seconds * 1e6 for seconds in at_empty],
                    details={"commands_per_round": run.args.occupancy_commands},
                )
            )
