"""CPU meters: CPU-seconds of the processes, the harness and the Postgres backends of a case."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from benchmarks.common import backend_pids, cpu_of, process_cpu


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
