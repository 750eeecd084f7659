"""One run of the harness: its databases, processes, connections and measures, and the helpers
every case uses (the log, interleaved rounds, profiling, waiting for a relay)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.children import BaselineProcess, Child, add_partner, start_process
from benchmarks.common import REPO, Profiler, database_url, free_port
from benchmarks.results import Measure
from benchmarks.workload import RELAY_PENDING
from demo.processes import ServiceProcess


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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
        (intake and aid with their own topic namespace); intake gets a partner key from its
        CLI."""
        name, url = await self.database(label)
        # aid reads intake's topic of its own namespace (the distributions case feeds it)
        namespace = self.topic_namespace(label) if service in ("intake", "aid") else ""
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
        return await self._baseline("r0")

    async def r5(self) -> Child:
        """R5 on a fresh database of its own (its Postgres backends are metered with it)."""
        name, url = await self.database("r5")
        child = await self._baseline("r5", url)
        child.database = name
        return child

    async def _baseline(self, name: str, *arguments: str) -> Child:
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = BaselineProcess(name, port, env, self.log_dir / f"{name}.log", None, arguments)
        pid = await asyncio.to_thread(start_process, process)
        child = Child(name, process, pid)
        self.children.append(child)
        log(f"{name}: pid {pid} on port {port}")
        return child

    async def stop(self, child: Child) -> None:
        await asyncio.to_thread(child.process.stop)
        if child in self.children:
            self.children.remove(child)


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


async def count_events(monitor: asyncpg.Connection) -> int:
    return int(await monitor.fetchval("SELECT count(*) FROM events"))
