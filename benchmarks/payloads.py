"""What the cases send: ~1 KB ArrivalRegistered events (as rows of the events table, for the
relay and the baselines) and prepared POST /v1/arrivals requests."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from benchmarks.loadgen import request_bytes
from benchmarks.workload import make_arrival

ROW_COLUMNS = (
    "stream_id",
    "version",
    "event_id",
    "event_type",
    "schema_version",
    "topic",
    "data",
    "metadata",
)


def make_events(rng: random.Random, count: int, members: int = 5) -> list[Any]:
    """``count`` ArrivalRegistered events of ``members`` people: about 1 KB of JSON each, the
    shape intake publishes."""
    from shared.schemas.intake import (
        AgeBand,
        ArrivalRegistered,
        ArrivingMember,
        NeedCode,
        Relation,
        Sex,
    )

    bands, sexes, needs = list(AgeBand), list(Sex), list(NeedCode)
    relations = [Relation(name) for name in ("self", "spouse", "child", "parent", "sibling")]
    now = datetime.now(UTC)
    events = []
    for _ in range(count):
        people = tuple(
            ArrivingMember(
                person_id=uuid4(),
                age_band=rng.choice(bands),
                sex=rng.choice(sexes),
                relation=relations[index % len(relations)],
                needs=tuple(rng.sample(needs, rng.randint(0, 1))),
                languages=("ru", *rng.sample(("en", "kk", "de", "uk"), rng.randint(0, 2))),
            )
            for index in range(members)
        )
        events.append(
            ArrivalRegistered(
                actor="partner:bench-partner",
                occurred_at=now,
                arrival_id=uuid4(),
                partner_id="bench-partner",
                members=people,
                keep_together=True,
                arrival_date=date(2022, 9, 24 + rng.randint(0, 6)),
                crossing_point=rng.choice(("syrym", "taskala", "zhanibek", "kos-aral")),
            )
        )
    return events


def event_row(event: Any, topic: str | None) -> tuple[Any, ...]:
    metadata = json.dumps({"correlation_id": str(uuid4()), "causation_id": None})
    return (
        str(uuid4()),
        1,
        uuid4(),
        event.event_type,
        event.version_of_schema,
        topic,
        event.model_dump_json(),
        metadata,
    )


# --------------------------------------------------------------------------- CPU meters


class Arrivals:
    """Prepared POST /v1/arrivals requests: distinct arrivals (so that duplicate detection sees
    what a real week sees, not the same people again), each with its own Idempotency-Key."""

    def __init__(self, rng: random.Random, count: int, run_id: str) -> None:
        self.bodies = [
            json.dumps(make_arrival(rng, f"BENCH-{index:06d}", 3), ensure_ascii=False).encode()
            for index in range(count)
        ]
        self.run_id = run_id
        self.next = 0

    def requester(
        self, host: str, key: str | None, label: str, path: str = "/v1/arrivals"
    ) -> Callable[[int], bytes]:
        bodies_offset = self.next
        self.next += 100_000  # each requester its own range of bodies and keys
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["X-API-Key"] = key

        def make(index: int) -> bytes:
            body = self.bodies[(bodies_offset + index) % len(self.bodies)]
            idem = {"Idempotency-Key": f"{self.run_id}-{label}-{bodies_offset + index}"}
            return request_bytes("POST", path, host, {**headers, **idem}, body)

        return make
