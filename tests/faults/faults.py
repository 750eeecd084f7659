"""Faults at seeded random moments while the load runs: a service killed (SIGKILL, no clean
stop) and restarted, the broker restarted, the database server restarted, a consumer paused
past its session timeout (the group rebalances), and a consumer group rewound to the start of
its topics while its service is down (every event is delivered again)."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import defaultdict
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from demo.processes import ServiceProcess
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS, physical
from tests.faults.private_stack import PrivateStack
from tests.faults.reconcile import partitions_of

#: what each consuming service reads (its consumer group is named after the service)
CONSUMES = {"housing": (INTAKE_EVENTS,), "aid": (INTAKE_EVENTS, HOUSING_EVENTS)}
#: longer than the consumers' session timeout (shared/consumer.py: 10 s), so the broker gives
#: up on the paused member and rebalances its group
PAUSE_SECONDS = 13.0


@dataclass(frozen=True)
class Fault:
    kind: str  # kill, broker, database, pause, rewind
    target: str  # a service, or "kafka" / "postgres"

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


@dataclass(frozen=True)
class InjectedFault:
    fault: Fault
    at: float  # seconds after the injector started
    took: float
    evidence: str = ""


def fault_plan(rng: random.Random, *, kills_each: int = 2) -> list[Fault]:
    """Every kind of fault, each service killed ``kills_each`` times, in a seeded order."""
    plan = [Fault("kill", name) for name in ("intake", "housing", "aid") for _ in range(kills_each)]
    plan += [
        Fault("broker", "kafka"),
        Fault("database", "postgres"),
        Fault("pause", rng.choice(("housing", "aid"))),
        Fault("rewind", "housing"),
        Fault("rewind", "aid"),
    ]
    rng.shuffle(plan)
    return plan


@dataclass
class FaultInjector:
    services: dict[str, ServiceProcess]
    stack: PrivateStack
    namespace: str
    rng: random.Random
    injected: list[InjectedFault] = field(default_factory=list)
    #: a group's offsets are rewound only while the broker is up: never during its restart
    _broker_steady: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run(self, plan: list[Fault], gap: tuple[float, float] = (1.0, 3.0)) -> None:
        """Inject the faults at random moments: one after the other on each service (and on
        the broker and database server), the services' and the servers' faults overlapping,
        as they would in a bad night."""
        started, lanes = time.monotonic(), defaultdict[str, list[Fault]](list)
        for fault in plan:
            lanes[fault.target if fault.target in self.services else "servers"].append(fault)

        async def lane(faults: list[Fault], rng: random.Random) -> None:
            for fault in faults:
                await asyncio.sleep(rng.uniform(*gap))
                at = time.monotonic()
                evidence = await self.inject(fault)
                self.injected.append(
                    InjectedFault(fault, at - started, time.monotonic() - at, evidence)
                )

        await asyncio.gather(
            *(lane(faults, random.Random(self.rng.random())) for faults in lanes.values())
        )
        self.injected.sort(key=lambda done: done.at)

    async def inject(self, fault: Fault) -> str:
        if fault.kind == "kill":
            return await self.kill_and_restart(fault.target)
        if fault.kind == "broker":
            async with self._broker_steady:
                await asyncio.to_thread(self.stack.restart, "kafka")
            return "broker stopped and started"
        if fault.kind == "database":
            await asyncio.to_thread(self.stack.restart, "postgres")
            return "database server stopped (fast: connections cut) and started"
        if fault.kind == "pause":
            return await self.pause_consumer(fault.target)
        if fault.kind == "rewind":
            return await self.rewind_consumer(fault.target)
        raise ValueError(f"unknown fault {fault}")

    async def kill_and_restart(self, name: str) -> str:
        service = self.services[name]
        await asyncio.to_thread(service.kill)
        down = self.rng.uniform(0.2, 1.5)  # requests arriving meanwhile are refused
        await asyncio.sleep(down)
        await self._start(service)
        return f"SIGKILL, down {down:.1f}s"

    async def _start(self, service: ServiceProcess) -> None:
        # a service started while the broker or the database is away exits: start it again
        for attempt in range(1, 4):
            service.start()
            try:
                await asyncio.to_thread(service.wait_ready, 60.0)
                return
            except RuntimeError:
                if attempt == 3:
                    raise
                await asyncio.to_thread(service.kill)
                await asyncio.sleep(2.0)

    async def pause_consumer(self, name: str) -> str:
        """SIGSTOP freezes the whole process, heartbeats included: the broker removes the
        member once its session times out and rebalances the group; SIGCONT, and the consumer
        finds itself out of the group, rejoins, and gets its partitions again."""
        service, group = self.services[name], physical(name, self.namespace)
        assert service.process is not None
        seen = self.stack.kafka_log.stat().st_size if self.stack.kafka_log.exists() else 0
        service.process.send_signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(PAUSE_SECONDS)
        finally:
            service.process.send_signal(signal.SIGCONT)
        await asyncio.sleep(1.0)
        with self.stack.kafka_log.open("rb") as log:
            log.seek(seen)
            lines = log.read().decode("utf-8", "replace").splitlines()
        moves = [
            line.split("] ", 2)[-1][:160]
            for line in lines
            if f"group {group}" in line and ("has failed" in line or "rebalance" in line)
        ]
        return f"SIGSTOP {PAUSE_SECONDS:.0f}s; broker: " + (" | ".join(moves[:2]) or "no entry")

    async def rewind_consumer(self, name: str) -> str:
        """Kill the service, wait until the broker has let go of its member, move the group's
        committed offsets back to the start of every partition, start the service: every event
        of its topics is delivered to it once more, and its inbox must skip them all."""
        async with self._broker_steady:
            ends = await self._rewind(name)
        await self._start(self.services[name])
        group = physical(name, self.namespace)
        return f"offsets of {group} back to 0 on {len(ends)} partitions: {sum(ends.values())} again"

    async def _rewind(self, name: str) -> dict[TopicPartition, int]:
        service, group = self.services[name], physical(name, self.namespace)
        await asyncio.to_thread(service.kill)
        await self._until_group_empty(group)
        partitions = await partitions_of(
            self.stack.kafka_bootstrap_servers,
            [physical(topic, self.namespace) for topic in CONSUMES[name]],
        )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.stack.kafka_bootstrap_servers,
            group_id=group,
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.commit({partition: 0 for partition in partitions})
        finally:
            await consumer.stop()
        return dict(ends)

    async def _until_group_empty(self, group: str, timeout: float = 40.0) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.stack.kafka_bootstrap_servers)
        await admin.start()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                [described] = await admin.describe_consumer_groups([group])
                # DescribeGroupsResponse: groups of (error, group_id, state, protocol_type, ...)
                if all(entry[2] in ("Empty", "Dead") for entry in described.groups):
                    return
                await asyncio.sleep(0.5)
            raise TimeoutError(f"group {group} still has members after {timeout}s")
        finally:
            await admin.close()
