"""Issue #9's benchmark harness: every measure with its baseline, in one run, on the same broker
and database server (``make bench``; ``python -m benchmarks --help``).

Cases (``--only`` takes a comma-separated list of them):

- ``append``:  EventStore.append vs R4 (the ``eventsourcing`` library's Postgres application
  recorder) at concurrency 1 and 32, and vs R3 (asyncpg executemany, 100 rows a transaction);
- ``relay``:   the real OutboxRelay (its own process) vs R1's producer alone (its own process);
- ``accept``:  POST /v1/arrivals on the real intake process vs R0 (FastAPI + uvicorn, 202);
- ``tracing``: the same on intake with 100 % sampling and spans exported vs the SDK disabled;
- ``e2e``:     HTTP -> append + outbox -> relay -> Kafka -> housing's consumer -> projection
  committed, vs R1 (raw aiokafka produce then consume, two processes);
- ``latency``: accept -> visible in housing's read model at 50 % and 80 % of the e2e maximum,
  open loop (needs ``e2e``'s maximum: runs it when not selected, or takes ``--max-rate``);
- ``rebuild``: shared.rebuild on intake's read models vs R2 (asyncpg COPY of the same rows),
  and vs the live projection path (events/s appended and projected during ``accept``).

Every run uses fresh databases (``bench_<run>_<label>``) and a fresh topic namespace
(``bench<run>...``), dropped and deleted at the end, also on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
import httpx

from benchmarks.common import (
    REPO,
    RESULTS,
    Profiler,
    backend_pids,
    cpu_of,
    database_url,
    delete_topics,
    free_port,
    machine_cpu_ticks,
    machine_cpu_use,
    machine_facts,
    postgres_facts,
    process_cpu,
    shown,
    tidy,
    write_result,
)
from benchmarks.loadgen import Latencies, closed_loop, open_loop, request_bytes, schedule
from benchmarks.results import (
    Measure,
    oral_week_slot,
    ratio_measure,
    render_text,
    write_latest,
)
from benchmarks.workload import BASELINE_DDL, RELAY_PENDING, make_arrival
from demo.processes import ServiceProcess

CASES = ("append", "relay", "accept", "tracing", "e2e", "latency", "rebuild")
OPERATOR_KEY = "operator-dev-key"
ZIPKIN_DEFAULT = "http://127.0.0.1:9411/api/v2/spans"

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
R3_INSERT = """
INSERT INTO r3_events (stream_id, version, event_id, event_type, schema_version, topic, data,
                       metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- events


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


def kafka_pid() -> int | None:
    """The local broker's process (``kafka.Kafka`` on its command line), if visible."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kafka.Kafka" in argv:
            return int(proc.name)
    return None


class CpuMeter:
    """CPU-seconds spent by named processes, this process ("harness") and the Postgres backends
    of some databases, between ``start`` and ``stop``."""

    def __init__(
        self,
        processes: dict[str, int],
        databases: Sequence[str],
        monitor: asyncpg.Connection,
        *,
        kafka: bool = False,
    ) -> None:
        self.processes = dict(processes)
        if kafka and (pid := kafka_pid()) is not None:
            self.processes["kafka"] = pid
        self.databases, self.monitor = list(databases), monitor
        self._before: dict[str, float | None] = {}
        self._backends: dict[int, float] = {}

    async def _backend_pids(self) -> set[int]:
        pids: set[int] = set()
        for name in self.databases:
            pids |= await backend_pids(self.monitor, name)
        return pids

    async def start(self) -> None:
        self._before = {name: process_cpu(pid) for name, pid in self.processes.items()}
        self._before["harness"] = time.process_time()
        self._backends = cpu_of(await self._backend_pids())

    async def stop(self) -> dict[str, float | None]:
        spent: dict[str, float | None] = {}
        for name, pid in self.processes.items():
            now, before = process_cpu(pid), self._before.get(name)
            spent[name] = None if now is None or before is None else now - before
        spent["harness"] = time.process_time() - (self._before["harness"] or 0.0)
        pids = await self._backend_pids() | set(self._backends)
        after = cpu_of(pids)
        spent["postgres"] = sum(cpu - self._backends.get(pid, 0.0) for pid, cpu in after.items())
        return spent


def per_thousand(spent: dict[str, float | None], events: float) -> dict[str, float | None]:
    return {
        name: None if value is None or not events else 1000 * value / events
        for name, value in spent.items()
    }


def summed(samples: Sequence[dict[str, float | None]]) -> dict[str, float | None]:
    """Per-process CPU of several rounds added up (None when one round could not read it)."""
    names = dict.fromkeys(name for sample in samples for name in sample)
    out: dict[str, float | None] = {}
    for name in names:
        values = [sample.get(name) for sample in samples]
        out[name] = None if any(v is None for v in values) else sum(v or 0.0 for v in values)
    return out


# --------------------------------------------------------------------------- the run


@dataclass
class Child:
    """A service or baseline process of the run."""

    name: str
    process: ServiceProcess
    pid: int
    database: str | None = None
    url: str | None = None
    namespace: str | None = None
    partner_key: str | None = None

    @property
    def port(self) -> int:
        return self.process.port


class R0Process(ServiceProcess):
    def start(self) -> None:
        log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.r0_app", str(self.port)],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


class Worker:
    """A ``benchmarks.workers`` child: ready line, go line, one JSON line of figures. It exits
    by itself when its stdin closes (the harness ended), and ``Worker.kill_all`` ends those a
    failed case leaves."""

    live: ClassVar[set[Worker]] = set()

    def __init__(self, job: str, arguments: dict[str, Any]) -> None:
        self.job, self.arguments = job, arguments
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, patience: float = 60.0) -> int:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.workers",
            self.job,
            json.dumps(self.arguments),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        Worker.live.add(self)
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), patience)
        if line.strip() != b"ready":
            await self.process.wait()
            raise RuntimeError(f"worker {self.job} failed to start ({line[-500:]!r})")
        return self.process.pid

    def go(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"go\n")

    async def result(self, patience: float = 300.0) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), patience)
        except TimeoutError:
            self.process.kill()
            raise
        await self.process.wait()
        Worker.live.discard(self)
        if not line.strip():
            raise RuntimeError(f"worker {self.job} exited {self.process.returncode}, no result")
        result: dict[str, Any] = json.loads(line)
        return result

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    @classmethod
    def kill_all(cls) -> None:
        for worker in list(cls.live):
            worker.kill()
        cls.live.clear()


@dataclass
class Run:
    args: argparse.Namespace
    run_id: str
    admin: asyncpg.Connection
    log_dir: Path
    rng: random.Random
    databases: list[str] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    monitors: list[asyncpg.Connection] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    #: figures one case leaves for another (e.g. the e2e maximum for the latency case)
    shared: dict[str, Any] = field(default_factory=dict)
    profiles: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    admin_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def namespace(self) -> str:
        return f"bench{self.run_id}"

    def topic_namespace(self, label: str) -> str:
        """A sub-namespace per case (its topics deleted at the end)."""
        namespace = f"{self.namespace}{label.replace('_', '')}"
        self.namespaces.append(namespace)
        return namespace

    async def database(self, label: str) -> tuple[str, str]:
        name = f"bench_{self.run_id}_{label}"
        async with self.admin_lock:  # one connection, one statement at a time
            await self.admin.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return name, database_url(self.args.admin_url, name)

    async def monitor(self, url: str) -> asyncpg.Connection:
        conn = await asyncpg.connect(url)
        self.monitors.append(conn)
        return conn

    def profiler(self, case: str, pid: int) -> Profiler:
        if self.args.py_spy is None:
            return Profiler(None)
        self.args.py_spy.mkdir(parents=True, exist_ok=True)
        path = self.args.py_spy / f"{case}-{pid}.txt"
        self.profiles.append(str(path))
        return Profiler(path)

    async def service(self, service: str, label: str, extra: dict[str, str] | None = None) -> Child:
        """A real service process (``python -m services.<service>.main``) on a fresh database
        and its own topic namespace; intake gets a partner key from its CLI."""
        name, url = await self.database(label)
        namespace = self.topic_namespace(label) if service == "intake" else ""
        return await self._start_service(service, label, name, url, namespace, extra)

    async def _start_service(
        self,
        service: str,
        label: str,
        name: str,
        url: str,
        namespace: str,
        extra: dict[str, str] | None,
    ) -> Child:
        port = free_port()
        prefix = service.upper()
        env = {
            **os.environ,
            f"{prefix}_DATABASE_URL": url,
            f"{prefix}_HTTP_HOST": "127.0.0.1",
            f"{prefix}_HTTP_PORT": str(port),
            "KAFKA_BOOTSTRAP_SERVERS": self.args.kafka,
            "KAFKA_TOPIC_NAMESPACE": namespace,
            "OTEL_TRACES_EXPORTER": "none",  # the services' default: spans made, not exported
            "PYTHONUNBUFFERED": "1",
            # the benchmark's one partner key sends as fast as the service takes it: measured
            # is the service, not the per-key limit (shared/ratelimit.py) that would refuse it
            "RATE_LIMIT_BURST": "1000000",
            **(extra or {}),
        }
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        key = None
        if service == "intake":
            key = await asyncio.to_thread(add_partner, env)
        process = ServiceProcess(service, port, env, self.log_dir / f"{label}.log")
        pid = await asyncio.to_thread(start_process, process)
        child = Child(label, process, pid, name, url, namespace, key)
        self.children.append(child)
        log(f"{label}: {service} pid {pid} on port {port}")
        return child

    async def r0(self) -> Child:
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = R0Process("r0", port, env, self.log_dir / "r0.log")
        pid = await asyncio.to_thread(start_process, process)
        child = Child("r0", process, pid)
        self.children.append(child)
        log(f"r0: pid {pid} on port {port}")
        return child

    async def stop(self, child: Child) -> None:
        await asyncio.to_thread(child.process.stop)
        if child in self.children:
            self.children.remove(child)


def add_partner(env: dict[str, str]) -> str:
    """A partner key from intake's own CLI (which also migrates the fresh database)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.intake.cli",
            "add-partner",
            "bench-partner",
            "--name",
            "Benchmark welcome point",
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"add-partner failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def start_process(process: ServiceProcess) -> int:
    process.start()
    process.wait_ready(timeout=120)
    assert process.process is not None
    return process.process.pid


async def wait_for_relay(monitor: asyncpg.Connection, patience: float = 120.0) -> float:
    """Seconds until a service's relay has published every committed event."""
    start = time.perf_counter()
    while await monitor.fetchval(RELAY_PENDING):
        if time.perf_counter() - start > patience:
            raise RuntimeError(f"the relay did not drain within {patience}s")
        await asyncio.sleep(0.05)
    return time.perf_counter() - start


@contextlib.contextmanager
def profiled(run: Run, case: str, pid: int) -> Iterator[None]:
    profiler = run.profiler(case, pid)
    profiler.start(pid)
    try:
        yield
    finally:
        profiler.stop()


def interleaved(rounds: int) -> Iterator[tuple[int, bool]]:
    """(round, baseline first?): the order alternates so that neither side always follows
    the other."""
    for index in range(rounds):
        yield index, index % 2 == 0


# --------------------------------------------------------------------------- HTTP bodies


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


async def count_events(monitor: asyncpg.Connection) -> int:
    return int(await monitor.fetchval("SELECT count(*) FROM events"))


# --------------------------------------------------------------------------- append (R3, R4)


async def case_append(run: Run) -> None:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    from shared.eventstore import SCHEMA_DDL, Causation, EventStore
    from shared.topics import INTAKE_EVENTS

    args = run.args
    name, url = await run.database("store")
    setup = await run.monitor(url)
    await setup.execute(SCHEMA_DDL)
    await setup.execute(BASELINE_DDL.format(table="r3_events"))
    parts = urlsplit(url)
    datastore = PostgresDatastore(
        dbname=name,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        pool_size=max(args.concurrency_high, 1),
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name="r4_events")
    recorder.create_table()
    store = EventStore(topic=INTAKE_EVENTS)  # the append and its outbox row, no read model
    events = make_events(run.rng, 2000)
    topic_name = f"{type(events[0]).__module__}:{type(events[0]).__name__}"
    pool = await asyncpg.create_pool(
        url,
        min_size=args.concurrency_high,
        max_size=args.concurrency_high,
        server_settings={"jit": "off"},
    )
    assert pool is not None
    stop_flag = threading.Event()
    executor = ThreadPoolExecutor(max_workers=args.concurrency_high)

    async def ours(concurrency: int, seconds: float) -> int:
        done = 0
        deadline = time.perf_counter() + seconds

        async def loop(offset: int) -> None:
            nonlocal done
            index = offset
            while time.perf_counter() < deadline:
                event = events[index % len(events)]
                async with pool.acquire() as conn, conn.transaction():
                    await store.append(conn, str(uuid4()), 0, [event], Causation.new())
                done += 1
                index += concurrency

        await asyncio.gather(*(loop(offset) for offset in range(concurrency)))
        return done

    def r4_thread(offset: int, step: int, deadline: float, counts: list[int]) -> None:
        index, done = offset, 0
        while time.perf_counter() < deadline and not stop_flag.is_set():
            event = events[index % len(events)]
            stored = StoredEvent(
                originator_id=uuid4(),
                originator_version=1,
                topic=topic_name,
                state=event.model_dump_json().encode(),
            )
            recorder.insert_events([stored])
            done += 1
            index += step
        counts[offset] = done

    async def r4(concurrency: int, seconds: float) -> int:
        counts = [0] * concurrency
        deadline = time.perf_counter() + seconds
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(executor, r4_thread, offset, concurrency, deadline, counts)
                for offset in range(concurrency)
            )
        )
        return sum(counts)

    async def ours_batched(seconds: float) -> int:
        """Like R3: one connection, 100 events a transaction, each its own append (stream)."""
        done = 0
        deadline = time.perf_counter() + seconds
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                async with conn.transaction():
                    for index in range(100):
                        event = events[(done + index) % len(events)]
                        await store.append(conn, str(uuid4()), 0, [event], Causation.new())
                done += 100
        return done

    rows_cache = [event_row(event, INTAKE_EVENTS) for event in events]

    async def r3(seconds: float) -> int:
        done = 0
        deadline = time.perf_counter() + seconds
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                rows = [
                    (str(uuid4()), 1, uuid4(), *rows_cache[(done + i) % len(rows_cache)][3:])
                    for i in range(100)
                ]
                async with conn.transaction():
                    await conn.executemany(R3_INSERT, rows)
                done += 100
        return done

    async def timed(
        work: Callable[[], Awaitable[int]],
    ) -> tuple[float, dict[str, float | None], int]:
        meter = CpuMeter({}, [name], setup)
        await meter.start()
        start = time.perf_counter()
        count = await work()
        elapsed = time.perf_counter() - start
        return count / elapsed, await meter.stop(), count

    seconds = args.round_seconds
    try:
        # warm-up: connections open, statements prepared, tables and indexes in cache
        await ours(args.concurrency_high, 0.5)
        await r4(args.concurrency_high, 0.5)
        await ours_batched(0.3)
        await r3(0.3)
        with profiled(run, "append", os.getpid()):
            for concurrency, label in (
                (1, "append_c1_vs_r4"),
                (args.concurrency_high, "append_c32_vs_r4"),
            ):
                mine: list[float] = []
                theirs: list[float] = []
                cpu_mine: list[dict[str, float | None]] = []
                cpu_theirs: list[dict[str, float | None]] = []
                count_mine = count_theirs = 0
                for index, baseline_first in interleaved(args.rounds):
                    for side in ("r4", "ours") if baseline_first else ("ours", "r4"):
                        if side == "r4":
                            rate, cpu, count = await timed(
                                lambda c=concurrency: r4(c, seconds)  # type: ignore[misc]
                            )
                            theirs.append(rate)
                            cpu_theirs.append(cpu)
                            count_theirs += count
                        else:
                            rate, cpu, count = await timed(
                                lambda c=concurrency: ours(c, seconds)  # type: ignore[misc]
                            )
                            mine.append(rate)
                            cpu_mine.append(cpu)
                            count_mine += count
                    log(f"{label} round {index + 1}: ours {mine[-1]:.0f}/s, R4 {theirs[-1]:.0f}/s")
                run.measures.append(
                    ratio_measure(
                        label,
                        f"EventStore.append, one 1 KB event per transaction and stream, "
                        f"{concurrency} concurrent writer(s)",
                        "events/s",
                        f"R4 eventsourcing recorder c{concurrency}",
                        mine,
                        theirs,
                        cpu_s_per_1000_events=per_thousand(summed(cpu_mine), count_mine),
                        baseline_cpu_s_per_1000_events=per_thousand(
                            summed(cpu_theirs), count_theirs
                        ),
                        details={
                            "concurrency": concurrency,
                            "round_seconds": seconds,
                            "eventsourcing_recorder": "PostgresApplicationRecorder",
                        },
                    )
                )
            mine, theirs, cpu_mine, cpu_theirs = [], [], [], []
            count_mine = count_theirs = 0
            for index, baseline_first in interleaved(args.rounds):
                for side in ("r3", "ours") if baseline_first else ("ours", "r3"):
                    if side == "r3":
                        rate, cpu, count = await timed(lambda: r3(seconds))
                        theirs.append(rate)
                        cpu_theirs.append(cpu)
                        count_theirs += count
                    else:
                        rate, cpu, count = await timed(lambda: ours_batched(seconds))
                        mine.append(rate)
                        cpu_mine.append(cpu)
                        count_mine += count
                log(f"append_vs_r3 round {index + 1}: ours {mine[-1]:.0f}/s, R3 {theirs[-1]:.0f}/s")
            run.measures.append(
                ratio_measure(
                    "append_vs_r3",
                    "EventStore.append on one connection, 100 appends (one event, one new "
                    "stream each) per transaction",
                    "events/s",
                    "R3 executemany 100 rows/txn",
                    mine,
                    theirs,
                    cpu_s_per_1000_events=per_thousand(summed(cpu_mine), count_mine),
                    baseline_cpu_s_per_1000_events=per_thousand(summed(cpu_theirs), count_theirs),
                    details={"round_seconds": seconds},
                )
            )
    finally:
        stop_flag.set()
        executor.shutdown(wait=True)
        await pool.close()
        datastore.close()


# --------------------------------------------------------------------------- relay (R1 producer)


async def case_relay(run: Run) -> None:
    from shared.eventstore import SCHEMA_DDL
    from shared.topics import INTAKE_EVENTS, physical
    from shared.topics_admin import ensure_topics

    args = run.args
    count = args.relay_events
    name, url = await run.database("relay")
    setup = await run.monitor(url)
    await setup.execute(SCHEMA_DDL)
    events = make_events(run.rng, 1000)
    rows = [event_row(events[i % len(events)], INTAKE_EVENTS) for i in range(count)]
    await setup.copy_records_to_table("events", records=rows, columns=ROW_COLUMNS)
    await setup.execute("ANALYZE events")
    namespace = run.topic_namespace("relay")
    r1_topic = f"{run.namespace}.r1-producer"
    await ensure_topics(args.kafka, [physical(INTAKE_EVENTS, namespace), r1_topic], args.partitions)
    payload_file = run.log_dir / "relay-payloads.json"
    payload_file.write_text(
        json.dumps([event.model_dump_json().encode().hex() for event in events])
    )
    relay_args = {
        "database_url": url,
        "bootstrap": args.kafka,
        "namespace": namespace,
        "count": count,
    }
    producer_args = {
        "bootstrap": args.kafka,
        "topic": r1_topic,
        "count": count,
        "payloads": str(payload_file),
    }
    mine: list[float] = []
    theirs: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_theirs: list[dict[str, float | None]] = []

    async def relay_round() -> None:
        await setup.execute("DELETE FROM outbox_checkpoint")
        worker = Worker("relay", relay_args)
        pid = await worker.start()
        meter = CpuMeter({"relay": pid}, [name], setup, kafka=True)
        with profiled(run, "relay", pid) if not mine else contextlib.nullcontext():
            await meter.start()
            worker.go()
            result = await worker.result()
            spent = await meter.stop()
        spent["relay"] = result["cpu_s"]  # its own reading, without its start-up
        spent["postgres"] = result["postgres_cpu_s"]  # its backends, read while they live
        mine.append(count / (result["finished"] - result["started"]))
        cpu_mine.append(spent)

    async def producer_round() -> None:
        worker = Worker("produce", producer_args)
        pid = await worker.start()
        meter = CpuMeter({"r1_producer": pid}, [], setup, kafka=True)
        await meter.start()
        worker.go()
        result = await worker.result()
        spent = await meter.stop()
        spent["r1_producer"] = result["cpu_s"]
        theirs.append(count / (result["finished"] - result["started"]))
        cpu_theirs.append(spent)

    for index, baseline_first in interleaved(args.rounds):
        for step in (
            (producer_round, relay_round) if baseline_first else (relay_round, producer_round)
        ):
            await step()
        log(
            f"outbox_relay round {index + 1}: relay {mine[-1]:.0f}/s, "
            f"R1 producer {theirs[-1]:.0f}/s"
        )
    for sample in (*cpu_mine, *cpu_theirs):
        sample.pop("harness", None)
    run.measures.append(
        ratio_measure(
            "outbox_relay",
            f"shared.outbox.OutboxRelay (own process) publishing {count} committed 1 KB events "
            "to Kafka (acks=all, idempotent) until its checkpoint passes the last",
            "events/s",
            "R1 producer alone",
            mine,
            theirs,
            cpu_s_per_1000_events=per_thousand(summed(cpu_mine), count * len(mine)),
            baseline_cpu_s_per_1000_events=per_thousand(summed(cpu_theirs), count * len(theirs)),
            details={"events_per_round": count, "partitions": args.partitions},
        )
    )


# --------------------------------------------------------------------------- HTTP accept, R0


async def accept_rounds(
    run: Run,
    arrivals: Arrivals,
    ours: Child,
    theirs: Child,
    their_expect: int,
    label: str,
) -> tuple[list[float], list[float], dict[str, Any]]:
    """Interleaved closed-loop rounds of POST /v1/arrivals on ``ours`` (an intake) and
    ``theirs`` (R0 or another intake); each intake round ends when its relay has drained."""
    args = run.args
    host = "127.0.0.1"
    mine: list[float] = []
    other: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_other: list[dict[str, float | None]] = []
    live_rates: list[float] = []
    counts = {"ours": 0, "theirs": 0}
    monitors: dict[str, asyncpg.Connection] = {}
    for child in (ours, theirs):
        if child.url:
            monitors[child.name] = await run.monitor(child.url)

    async def one(
        child: Child,
        expect: int,
        into: list[float],
        cpu_into: list[dict[str, float | None]],
        side: str,
    ) -> None:
        monitor = monitors.get(child.name)
        databases = [child.database] if child.database else []
        process = "intake" if child.partner_key and child.name == "accept" else child.name
        meter = CpuMeter({process: child.pid}, databases, monitor or run.admin)
        before = await count_events(monitor) if monitor else 0
        await meter.start()
        result = await closed_loop(
            host,
            child.port,
            arrivals.requester(f"{host}:{child.port}", child.partner_key, f"{label}-{child.name}"),
            concurrency=args.http_concurrency,
            seconds=args.http_seconds,
            expect=expect,
        )
        if monitor is not None:
            stored = await count_events(monitor) - before
            live_rates.append(stored / result.seconds)
            await wait_for_relay(monitor)
        cpu_into.append(await meter.stop())
        if result.failed:
            raise RuntimeError(
                f"{child.name}: {result.failed} failed, first {result.first_failure}"
            )
        into.append(result.rate)
        counts[side] += result.ok

    profile = run.profiler(label, ours.pid)
    for index, baseline_first in interleaved(args.rounds):
        if index == 1:
            profile.start(ours.pid)
        order = ("theirs", "ours") if baseline_first else ("ours", "theirs")
        for side in order:
            if side == "ours":
                await one(ours, 201, mine, cpu_mine, "ours")
            else:
                await one(theirs, their_expect, other, cpu_other, "theirs")
        if index == 1:
            profile.stop()
        log(
            f"{label} round {index + 1}: {ours.name} {mine[-1]:.0f}/s, "
            f"{theirs.name} {other[-1]:.0f}/s"
        )
    return (
        mine,
        other,
        {
            "cpu_mine": per_thousand(summed(cpu_mine), counts["ours"]),
            "cpu_theirs": per_thousand(summed(cpu_other), counts["theirs"]),
            "live_events_per_s": live_rates,
        },
    )


async def case_accept(run: Run, arrivals: Arrivals) -> Child:
    intake, r0 = await asyncio.gather(run.service("intake", "accept"), run.r0())
    mine, theirs, extra = await accept_rounds(run, arrivals, intake, r0, 202, "http_accept")
    await run.stop(r0)
    live = extra["live_events_per_s"]
    run.shared["live_events_per_s"] = live[: len(mine)]
    run.measures.append(
        ratio_measure(
            "http_accept",
            "POST /v1/arrivals (about 0.9 KB, 1-3 people) answered 201 with the append "
            f"committed; {run.args.http_concurrency} keep-alive connections, closed loop",
            "arrivals/s",
            "R0 FastAPI 202",
            mine,
            theirs,
            cpu_s_per_1000_events=extra["cpu_mine"],
            baseline_cpu_s_per_1000_events=extra["cpu_theirs"],
            details={
                "events_appended_per_s": live,
                "round_seconds": run.args.http_seconds,
                "cpu_unit": "per 1000 requests (arrivals)",
            },
        )
    )
    return intake


async def case_tracing(run: Run, arrivals: Arrivals) -> None:
    endpoint = os.environ.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT", ZIPKIN_DEFAULT)
    traced_env = {
        "OTEL_TRACES_EXPORTER": "zipkin_json",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": endpoint,
    }
    untraced_env = {"OTEL_SDK_DISABLED": "true"}
    traced, untraced = await asyncio.gather(
        run.service("intake", "traced", traced_env), run.service("intake", "untraced", untraced_env)
    )
    mine, theirs, extra = await accept_rounds(run, arrivals, traced, untraced, 201, "tracing")
    await asyncio.gather(run.stop(traced), run.stop(untraced))
    run.measures.append(
        ratio_measure(
            "tracing_on_vs_off",
            "POST /v1/arrivals as in http_accept, intake with 100 % sampling and spans exported "
            "(zipkin_json, BatchSpanProcessor) vs intake with OTEL_SDK_DISABLED=true",
            "arrivals/s",
            "tracing off",
            mine,
            theirs,
            cpu_s_per_1000_events=extra["cpu_mine"],
            baseline_cpu_s_per_1000_events=extra["cpu_theirs"],
            details={"exporter_endpoint": endpoint},
        )
    )


# --------------------------------------------------------------------------- end to end (R1)


async def open_shelter(housing: Child, places: int) -> None:
    units = [{"name": f"Dormitory {index}", "places": 200} for index in range(places // 200)]
    async with httpx.AsyncClient(base_url=housing.process.url, timeout=30) as client:
        answer = await client.post(
            "/v1/shelters",
            headers={"X-API-Key": OPERATOR_KEY, "Idempotency-Key": f"bench-{uuid4()}"},
            json={
                "name": "Benchmark camp",
                "kind": "camp_dormitory",
                "district": "Centre",
                "units": units,
            },
        )
        if answer.status_code != 201:
            raise RuntimeError(f"opening a shelter: {answer.status_code} {answer.text[:500]}")


@dataclass
class Pipeline:
    intake: Child
    housing: Child
    intake_monitor: asyncpg.Connection
    housing_monitor: asyncpg.Connection


async def pipeline(run: Run) -> Pipeline:
    if "pipeline" in run.shared:
        found: Pipeline = run.shared["pipeline"]
        return found
    intake = await run.service("intake", "e2e")
    assert intake.namespace is not None
    name, url = await run.database("housing")
    housing = await run._start_service("housing", "housing", name, url, intake.namespace, None)
    await open_shelter(housing, run.args.shelter_places)
    assert intake.url is not None and housing.url is not None
    made = Pipeline(intake, housing, await run.monitor(intake.url), await run.monitor(housing.url))
    run.shared["pipeline"] = made
    return made


async def published_and_consumed(p: Pipeline) -> tuple[int, int]:
    published = await p.intake_monitor.fetchval(
        "SELECT count(*) FROM events WHERE topic IS NOT NULL"
    )
    consumed = await p.housing_monitor.fetchval("SELECT count(*) FROM inbox")
    return int(published), int(consumed)


async def wait_consumed(p: Pipeline, patience: float = 180.0) -> float:
    """Until housing's inbox holds every event intake published (polled every 20 ms)."""
    deadline = time.perf_counter() + patience
    while True:
        published, consumed = await published_and_consumed(p)
        if consumed >= published:
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"housing consumed {consumed} of {published} within {patience}s")
        await asyncio.sleep(0.02)


async def case_e2e(run: Run, arrivals: Arrivals) -> None:
    from shared.topics_admin import ensure_topics

    args = run.args
    p = await pipeline(run)
    r1_topic = f"{run.namespace}.r1-e2e"
    await ensure_topics(args.kafka, [r1_topic], args.partitions)
    payloads = make_events(run.rng, 500)
    payload_file = run.log_dir / "e2e-payloads.json"
    payload_file.write_text(json.dumps([e.model_dump_json().encode().hex() for e in payloads]))
    host = "127.0.0.1"
    mine: list[float] = []
    theirs: list[float] = []
    arrival_rates: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_theirs: list[dict[str, float | None]] = []
    events_mine = events_theirs = 0
    # warm-up: the consumer group joined, the relay's producer connected, caches warm
    await closed_loop(
        host,
        p.intake.port,
        arrivals.requester(f"{host}:{p.intake.port}", p.intake.partner_key, "e2e-warm"),
        concurrency=4,
        count=50,
        expect=201,
    )
    await wait_consumed(p)

    async def ours() -> None:
        nonlocal events_mine
        published_before, _ = await published_and_consumed(p)
        meter = CpuMeter(
            {"intake": p.intake.pid, "housing": p.housing.pid},
            [p.intake.database or "", p.housing.database or ""],
            run.admin,
            kafka=True,
        )
        await meter.start()
        start = time.perf_counter()
        result = await closed_loop(
            host,
            p.intake.port,
            arrivals.requester(f"{host}:{p.intake.port}", p.intake.partner_key, "e2e"),
            concurrency=args.http_concurrency,
            count=args.e2e_arrivals,
            expect=201,
        )
        if result.failed:
            raise RuntimeError(f"e2e: {result.failed} failed, first {result.first_failure}")
        end = await wait_consumed(p)
        spent = await meter.stop()
        published, _ = await published_and_consumed(p)
        events = published - published_before
        events_mine += events
        mine.append(events / (end - start))
        arrival_rates.append(result.ok / (end - start))
        cpu_mine.append(spent)

    async def r1() -> None:
        nonlocal events_theirs
        count = args.r1_events
        consumer = Worker(
            "consume",
            {
                "bootstrap": args.kafka,
                "topic": r1_topic,
                "count": count,
                "partitions": args.partitions,
            },
        )
        producer = Worker(
            "produce",
            {
                "bootstrap": args.kafka,
                "topic": r1_topic,
                "count": count,
                "payloads": str(payload_file),
            },
        )
        consumer_pid = await consumer.start()
        producer_pid = await producer.start()
        meter = CpuMeter(
            {"r1_producer": producer_pid, "r1_consumer": consumer_pid}, [], run.admin, kafka=True
        )
        await meter.start()
        producer.go()
        produced, consumed = await asyncio.gather(producer.result(), consumer.result())
        spent = await meter.stop()
        spent["r1_producer"], spent["r1_consumer"] = produced["cpu_s"], consumed["cpu_s"]
        events_theirs += count
        theirs.append(count / (consumed["finished"] - produced["started"]))
        cpu_theirs.append(spent)

    profile = run.profiler("e2e-intake", p.intake.pid)
    profile_housing = run.profiler("e2e-housing", p.housing.pid)
    for index, baseline_first in interleaved(args.rounds):
        if index == 1:
            profile.start(p.intake.pid)
            profile_housing.start(p.housing.pid)
        for step in (r1, ours) if baseline_first else (ours, r1):
            await step()
        if index == 1:
            profile.stop()
            profile_housing.stop()
        log(
            f"e2e_intake round {index + 1}: {mine[-1]:.0f} events/s "
            f"({arrival_rates[-1]:.1f} arrivals/s), R1 {theirs[-1]:.0f}/s"
        )
    for sample in (*cpu_mine, *cpu_theirs):
        sample.pop("harness", None)
    run.shared["e2e_max_arrivals_per_s"] = statistics.median(arrival_rates)
    run.measures.append(
        ratio_measure(
            "e2e_intake",
            f"{args.e2e_arrivals} POST /v1/arrivals ({args.http_concurrency} connections) until "
            "housing has committed every intake event (inbox + projection): events published "
            "by intake per second, first request to last commit",
            "events/s",
            "R1 aiokafka produce+consume",
            mine,
            theirs,
            cpu_s_per_1000_events=per_thousand(summed(cpu_mine), events_mine),
            baseline_cpu_s_per_1000_events=per_thousand(summed(cpu_theirs), events_theirs),
            details={
                "arrivals_per_s": arrival_rates,
                "r1_events_per_round": args.r1_events,
                "events_per_arrival": events_mine / (args.e2e_arrivals * len(mine)),
            },
        )
    )


# --------------------------------------------------------------------------- latency


async def case_latency(run: Run, arrivals: Arrivals) -> None:
    args = run.args
    p = await pipeline(run)
    maximum = args.max_rate or run.shared.get("e2e_max_arrivals_per_s")
    if maximum is None:
        raise RuntimeError("latency needs the e2e maximum: run e2e too, or give --max-rate")
    await wait_consumed(p)
    for fraction in (0.5, 0.8):
        await latency_at(run, p, arrivals, fraction, maximum)


async def latency_at(
    run: Run, p: Pipeline, arrivals: Arrivals, fraction: float, maximum: float
) -> None:
    """One offered rate: the open loop, the poller of housing's placements, three rows."""
    args = run.args
    host = "127.0.0.1"
    rate = fraction * maximum
    offsets = schedule(rate, args.latency_seconds)
    pending: dict[UUID, float] = {}
    latencies = Latencies()
    polls = 0

    def answered(index: int, intended: float, body: bytes) -> None:
        person = UUID(json.loads(body)["person_ids"][0])
        pending[person] = intended

    sending = True

    async def poller() -> None:
        nonlocal polls
        while sending or pending:
            if pending:
                rows = await p.housing_monitor.fetch(
                    "SELECT person_id FROM placements WHERE person_id = ANY($1::uuid[])",
                    list(pending),
                )
                seen = time.perf_counter()
                polls += 1
                for row in rows:
                    latencies.record(seen - pending.pop(row["person_id"]))
            await asyncio.sleep(args.poll_ms / 1000)

    published_before, _ = await published_and_consumed(p)
    watcher = asyncio.create_task(poller())
    meter = CpuMeter(
        {"intake": p.intake.pid, "housing": p.housing.pid},
        [p.intake.database or "", p.housing.database or ""],
        run.admin,
        kafka=True,
    )
    await meter.start()
    result = await open_loop(
        host,
        p.intake.port,
        arrivals.requester(f"{host}:{p.intake.port}", p.intake.partner_key, f"latency{fraction}"),
        offsets,
        expect=201,
        on_answer=answered,
    )
    sending = False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watcher, args.latency_patience)
    spent = await meter.stop()
    spent.pop("harness", None)
    unseen = len(pending)
    now = time.perf_counter()
    for intended in pending.values():  # never seen: counted as at least this late
        latencies.record(now - intended)
    pct = int(fraction * 100)
    details = {
        "offered_rate_arrivals_per_s": rate,
        "achieved_send_rate_per_s": result.achieved_rate,
        "max_arrivals_per_s": maximum,
        "intended_requests": result.intended,
        "answered": result.answered,
        "failed": result.failed,
        "first_failure": result.first_failure,
        "not_visible_within_patience": unseen,
        "max_send_lag_ms": 1000 * result.max_send_lag_s,
        "p99_send_lag_ms": 1000 * result.p99_send_lag_s,
        "poll_interval_ms": args.poll_ms,
        "polls": polls,
        "seconds": args.latency_seconds,
        "histogram": latencies.source,
        "exact_ms": {str(q): latencies.exact_ms(q) for q in (50, 99, 99.9)},
    }
    published_after, _ = await published_and_consumed(p)
    cpu = per_thousand(spent, published_after - published_before)
    for label, q in (("p50", 50.0), ("p99", 99.0), ("p999", 99.9)):
        run.measures.append(
            Measure(
                name=f"accept_to_visible_{label}_at_{pct}pct",
                what=f"{label} from the intended send time of POST /v1/arrivals to its first "
                f"person's placement row in housing's database, open loop at {pct} % of "
                f"the e2e maximum ({rate:.1f} arrivals/s, {args.latency_seconds:g} s)",
                value=latencies.percentile_ms(q),
                unit="ms",
                cpu_s_per_1000_events=cpu if label == "p99" else {},
                details=details,
            )
        )
    log(
        f"latency at {pct}%: {rate:.1f}/s offered, {result.achieved_rate:.1f}/s sent, "
        f"p50 {latencies.percentile_ms(50)} p99 {latencies.percentile_ms(99)} ms, "
        f"unseen {unseen}"
    )
    await wait_consumed(p)


# --------------------------------------------------------------------------- rebuild (R2)


async def case_rebuild(run: Run, arrivals: Arrivals, intake: Child | None) -> None:
    from services.intake.main import event_store
    from services.intake.projections import READ_MODEL_TABLES
    from services.intake.settings import IntakeSettings
    from services.intake.vault import Vault
    from shared.database import create_pool
    from shared.rebuild import rebuild_read_models

    args = run.args
    if intake is None:  # fill an intake with the accept workload, unmeasured
        intake = await run.service("intake", "accept")
        host = "127.0.0.1"
        await closed_loop(
            host,
            intake.port,
            arrivals.requester(f"{host}:{intake.port}", intake.partner_key, "rebuild-fill"),
            concurrency=args.http_concurrency,
            count=args.rebuild_arrivals,
            expect=201,
        )
    assert intake.url is not None and intake.database is not None
    monitor = await run.monitor(intake.url)
    await wait_for_relay(monitor)
    await run.stop(intake)  # nothing else writes while rebuilding
    settings = IntakeSettings(database_url=intake.url)
    store = event_store(Vault(settings.master_keyring()))
    pool = await create_pool(intake.url, 2)
    columns = (*ROW_COLUMNS, "recorded_at")
    rows = [tuple(row) for row in await monitor.fetch(f"SELECT {', '.join(columns)} FROM events")]
    await monitor.execute(BASELINE_DDL.format(table="r2_events"))
    mine: list[float] = []
    theirs: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_theirs: list[dict[str, float | None]] = []
    replayed = 0
    try:
        for index, baseline_first in interleaved(args.rounds):
            for side in ("r2", "ours") if baseline_first else ("ours", "r2"):
                meter = CpuMeter({}, [intake.database], monitor)
                if side == "r2":
                    await monitor.execute("TRUNCATE r2_events")
                    await meter.start()
                    start = time.perf_counter()
                    await monitor.copy_records_to_table("r2_events", records=rows, columns=columns)
                    theirs.append(len(rows) / (time.perf_counter() - start))
                    cpu_theirs.append(await meter.stop())
                else:
                    await meter.start()
                    start = time.perf_counter()
                    with (
                        profiled(run, "rebuild", os.getpid())
                        if index == 1
                        else (contextlib.nullcontext())
                    ):
                        replayed = await rebuild_read_models(pool, store, READ_MODEL_TABLES)
                    mine.append(replayed / (time.perf_counter() - start))
                    cpu_mine.append(await meter.stop())
            log(f"rebuild round {index + 1}: {mine[-1]:.0f} events/s, R2 {theirs[-1]:.0f}/s")
    finally:
        await pool.close()
    run.measures.append(
        ratio_measure(
            "rebuild_vs_r2",
            f"shared.rebuild.rebuild_read_models of intake's read models ({replayed} events of "
            "the accept case, real projectors), one REPEATABLE READ transaction",
            "events/s",
            "R2 COPY of the same rows",
            mine,
            theirs,
            cpu_s_per_1000_events=per_thousand(summed(cpu_mine), replayed * len(mine)),
            baseline_cpu_s_per_1000_events=per_thousand(
                summed(cpu_theirs), len(rows) * len(theirs)
            ),
            details={"events": replayed, "r2_rows": len(rows)},
        )
    )
    live = run.shared.get("live_events_per_s")
    if live:
        run.measures.append(
            Measure(
                name="rebuild_vs_live_projection",
                what="the rebuild's events/s over the live path's: events appended and "
                "projected inline per second while http_accept ran",
                value=statistics.median(mine),
                unit="events/s",
                baseline="live projection (accept)",
                baseline_value=statistics.median(live),
                ratio=statistics.median(mine) / statistics.median(live),
                rounds=mine,
                baseline_rounds=list(live),
            )
        )


# --------------------------------------------------------------------------- main


async def run_cases(args: argparse.Namespace) -> dict[str, Any]:
    run_id = uuid4().hex[:8]
    facts = machine_facts()
    facts["library_versions"] = library_versions()
    ticks = machine_cpu_ticks()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    admin = await asyncpg.connect(args.admin_url)
    run = Run(args, run_id, admin, log_dir, random.Random(args.seed))
    selected = args.only
    failed = True
    deleted: list[str] = []
    try:
        facts["postgres"] = await postgres_facts(admin)
        http_cases = {"accept", "tracing", "e2e", "latency", "rebuild"} & selected
        arrivals = Arrivals(run.rng, args.bodies if http_cases else 0, run_id)
        for case in CASES:
            if case not in selected and not (
                case == "e2e" and "latency" in selected and args.max_rate is None
            ):
                continue
            log(f"--- {case}")
            started = time.perf_counter()
            if case == "append":
                await case_append(run)
            elif case == "relay":
                await case_relay(run)
            elif case == "accept":
                run.shared["accept_intake"] = await case_accept(run, arrivals)
            elif case == "tracing":
                await case_tracing(run, arrivals)
            elif case == "e2e":
                await case_e2e(run, arrivals)
            elif case == "latency":
                await case_latency(run, arrivals)
            elif case == "rebuild":
                await case_rebuild(run, arrivals, run.shared.pop("accept_intake", None))
            run.notes[f"{case}_seconds"] = time.perf_counter() - started
            if case == "latency" or (case == "e2e" and "latency" not in selected):
                pipe = run.shared.pop("pipeline", None)
                if pipe is not None:
                    await asyncio.gather(run.stop(pipe.intake), run.stop(pipe.housing))
        failed = False
    finally:
        Worker.kill_all()
        for child in list(run.children):
            await tidy(f"stop {child.name}", run.stop(child))
        for conn in run.monitors:
            await tidy("close a connection", conn.close())
        for name in run.databases:
            await tidy(
                f"drop database {name}",
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
            )
        await tidy("close the admin connection", admin.close())
        deleted = []
        for namespace in [run.namespace, *run.namespaces]:
            gone = await tidy(f"delete topics {namespace}.*", delete_topics(args.kafka, namespace))
            deleted.extend(gone or [])
        if failed:
            log(f"logs kept in {log_dir}")
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
    facts["loadavg_at_end"] = os.getloadavg()
    facts["cpu_use_during_run"] = machine_cpu_use(ticks, machine_cpu_ticks())
    return {
        "benchmark": "bench",
        "run_id": run_id,
        "cases": sorted(selected, key=CASES.index),
        "config": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()
            if key != "only"
        },
        "machine": facts,
        "notes": run.notes,
        "kafka_topics_deleted": deleted,
        "profiles": run.profiles,
        "measures": run.measures,
    }


def library_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    names = (
        "fastapi",
        "uvicorn",
        "starlette",
        "pydantic",
        "asyncpg",
        "aiokafka",
        "faststream",
        "opentelemetry-sdk",
        "eventsourcing",
        "psycopg",
        "hdrhistogram",
        "httpx",
    )
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Issue #9's measures with their baselines, in one run (benchmarks/README.md).",
    )
    parser.add_argument(
        "--only",
        default=",".join(CASES),
        help=f"comma-separated cases among {', '.join(CASES)} (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per side")
    parser.add_argument(
        "--round-seconds", type=float, default=3.0, help="length of an in-process round (append)"
    )
    parser.add_argument("--concurrency-high", type=int, default=32, help="append's high level")
    parser.add_argument("--http-seconds", type=float, default=5.0, help="an HTTP round")
    parser.add_argument("--http-concurrency", type=int, default=16, help="HTTP connections")
    parser.add_argument("--relay-events", type=int, default=10_000)
    parser.add_argument("--r1-events", type=int, default=10_000, help="R1 per round (e2e)")
    parser.add_argument("--e2e-arrivals", type=int, default=200, help="arrivals per e2e round")
    parser.add_argument("--shelter-places", type=int, default=20_000)
    parser.add_argument("--latency-seconds", type=float, default=15.0, help="per offered rate")
    parser.add_argument(
        "--latency-patience",
        type=float,
        default=60.0,
        help="how long to wait for the last placements after the sends",
    )
    parser.add_argument("--poll-ms", type=float, default=5.0, help="housing poll interval")
    parser.add_argument(
        "--max-rate",
        type=float,
        default=None,
        help="arrivals/s taken as the maximum for the latency case, instead of measuring e2e",
    )
    parser.add_argument(
        "--rebuild-arrivals",
        type=int,
        default=2000,
        help="arrivals posted first when rebuild runs without accept",
    )
    parser.add_argument("--bodies", type=int, default=8000, help="distinct arrivals prepared")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20220924)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5433/postgres"),
    )
    parser.add_argument(
        "--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="DIR",
        help="record py-spy profiles (raw collapsed stacks) of the measured "
        "process of each case into DIR; figures of such a run are not "
        "comparable. Summarise with python -m benchmarks.profile_top",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short rounds (a smoke test of the harness, not a measurement)",
    )
    args = parser.parse_args(argv)
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = chosen - set(CASES)
    if unknown:
        parser.error(f"--only: unknown case(s) {', '.join(sorted(unknown))}")
    args.only = chosen
    args.full = chosen == set(CASES) and not args.quick and args.py_spy is None
    if args.quick:
        args.rounds, args.round_seconds, args.http_seconds = 2, 1.0, 2.0
        args.relay_events, args.r1_events, args.e2e_arrivals = 2000, 2000, 100
        args.latency_seconds, args.rebuild_arrivals, args.bodies = 4.0, 300, 3000
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = datetime.now(UTC)
    result = asyncio.run(run_cases(args))
    result["started_at"] = started.isoformat()
    result["duration_s"] = (datetime.now(UTC) - started).total_seconds()
    measures: list[Measure] = result["measures"]
    if args.full:
        measures.append(oral_week_slot(args.output_dir / "latest.json"))
    result["measures"] = [measure.as_json() for measure in measures]
    print()
    print(render_text(measures))
    print(f"\n{len(measures)} measures in {result['duration_s']:.0f} s")
    name = "bench" if args.full else "bench-partial"
    path = write_result(result, name, started, args.output_dir)
    print(f"written to {shown(path)}")
    if args.full:
        latest_json, latest_md = write_latest(result, measures, args.output_dir)
        print(f"and {shown(latest_json)}, {shown(latest_md)}")
