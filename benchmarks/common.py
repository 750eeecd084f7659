"""What every benchmark here shares: the machine's facts, CPU time of processes, fresh
databases and topic namespaces, the py-spy profiler, summaries and the results files.

Moved out of ``intake_batch`` so that the harness (``python -m benchmarks``) and the older
batch benchmark measure and report the same way.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from its 3rd field (state) on; None once the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def process_times(pid: int) -> tuple[float, float] | None:
    """(user, system) CPU-seconds of one process so far; None when they cannot be read."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def process_cpu(pid: int) -> float | None:
    """User + system CPU-seconds of one process so far."""
    times = process_times(pid)
    return None if times is None else sum(times)


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[1])


def server_cpu(server: int) -> float | None:
    """CPU-seconds so far of a server process and of every process it started, the ended ones
    too: a child's time is added to its parent's (/proc's cutime and cstime) when the parent
    reaps it. Summing a database's live backends instead loses every backend that ended in
    between (a pool replacing connections), and a day's figure can come out below zero.

    The server is read before its children: a child that ends between the two reads is missed
    by this reading, not counted twice, and the next reading has it in the server's."""
    own = _stat_fields(server)
    if own is None:
        return None
    total = sum(int(tick) for tick in own[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    for proc in Path("/proc").iterdir():
        child = _stat_fields(int(proc.name)) if proc.name.isdigit() else None
        if child is not None and int(child[1]) == server:
            total += (int(child[11]) + int(child[12])) / CLOCK_TICKS
    return total


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    return {pid: cpu for pid in pids if (cpu := process_cpu(pid)) is not None}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float | None:
    """CPU between two readings of a set of processes (one that ended before ``after`` is
    lost; one that started after ``before`` counts from zero)."""
    if not after:
        return None
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


async def backend_pids(monitor: asyncpg.Connection, database: str) -> set[int]:
    """Server processes of the other connections to ``database``: intake's pool."""
    rows = await monitor.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return {row["pid"] for row in rows}


def database_url(admin_url: str, name: str) -> str:
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def delete_topics(bootstrap: str, namespace: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [topic for topic in await admin.list_topics() if topic.startswith(f"{namespace}.")]
        if mine:
            await admin.delete_topics(mine)
        return sorted(mine)
    finally:
        await admin.close()


class Profiler:
    """py-spy attached to intake while the measured batches run (``--py-spy OUT``)."""

    def __init__(self, output: Path | None) -> None:
        self.output = output
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, pid: int) -> None:
        if self.output is None:
            return
        binary = shutil.which("py-spy")
        if binary is None:
            raise SystemExit("--py-spy needs py-spy on PATH (e.g. `uv tool install py-spy`)")
        formats = {".svg": "flamegraph", ".json": "speedscope", ".txt": "raw"}
        fmt = formats.get(self.output.suffix, "flamegraph")
        self._process = subprocess.Popen(
            [binary, "record", "--pid", str(pid), "--rate", "200", "--gil", "--format", fmt,
             "--output", str(self.output)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()


# --------------------------------------------------------------------------- facts


def _git(*arguments: str) -> str:
    try:
        done = subprocess.run(
            ["git", *arguments], cwd=REPO, capture_output=True, text=True, timeout=20
        )
    except OSError:
        return ""
    return done.stdout.rstrip()  # not strip(): porcelain lines start with a space


def kafka_version() -> str | None:
    """The broker's version, from the jars of a local ``kafka.Kafka`` process (None when no
    such process is visible, e.g. a broker in a container or on another machine)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kafka.Kafka" not in argv:
            continue
        text = [arg.decode(errors="replace") for arg in argv]
        classpath = text[text.index("-cp") + 1] if "-cp" in text else ""
        for entry in classpath.split(":"):
            for jar in Path(entry).parent.glob("kafka_*.jar") if entry.endswith("*") else ():
                if found := re.fullmatch(r"kafka_[\d.]+-([\w.]+)\.jar", jar.name):
                    return found.group(1)
            if found := re.search(r"kafka_[\d.]+-([\w.]+)\.jar$", entry):
                return found.group(1)
    return None


def machine_cpu_ticks() -> dict[str, int]:
    """Machine-wide CPU time so far, by kind, in clock ticks (the first line of /proc/stat)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return {}
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return dict(zip(names, (int(value) for value in first[1:9]), strict=False))


def machine_cpu_use(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """Shares of all CPUs' time between two readings: busy (anyone's work), steal
    (taken by the hypervisor) and idle; busy well above what this run explains means
    neighbours were working too."""
    spent = {name: after[name] - before.get(name, 0) for name in after}
    total = sum(spent.values()) or 1
    idle = spent.get("idle", 0) + spent.get("iowait", 0)
    return {
        "busy_pct": 100 * (total - idle - spent.get("steal", 0)) / total,
        "steal_pct": 100 * spent.get("steal", 0) / total,
        "idle_pct": 100 * idle / total,
    }


def _probe_work() -> int:
    """A fixed piece of the kind of work the services do in Python: dicts, strings, JSON."""
    table: dict[str, int] = {}
    for i in range(100_000):
        key = f"person-{i % 997}"
        table[key] = table.get(key, 0) + i
    text = json.dumps(table)
    return len(sorted(str(value) for value in json.loads(text).values()))


def probe_once() -> float:
    """CPU-milliseconds of the probe's fixed work, in this thread's CPU time: waiting for a
    busy CPU does not count, a slower CPU does."""
    start = time.thread_time()
    _probe_work()
    return 1000 * (time.thread_time() - start)


class SpeedProbe:
    """How fast the machine ran Python while a long run ran: the probe's work, once every
    ``interval_s`` in a thread of its own (about 17 ms of CPU each time here, while the run
    takes hundreds of seconds per day).

    A long run outlives the machine's speed: a paired week once found every process of the
    second run a quarter slower on unchanged code. One reading says little here (the same
    work took 30 ms, then 17 ms a second later, then 37 ms), so the probe samples all along
    and ``take`` gives the samples' median since the last take (higher is slower)."""

    def __init__(self, interval_s: float = 5.0) -> None:
        self._interval = interval_s
        self._samples: list[float] = []
        self._all: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="speed-probe", daemon=True)

    def __enter__(self) -> SpeedProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            spent = probe_once()
            self._samples.append(spent)
            self._all.append(spent)

    def take(self) -> dict[str, Any] | None:
        """The samples since the last take: median, fastest and count; None without any."""
        samples, self._samples = self._samples, []
        return _probe_summary(samples)

    def whole_run(self) -> dict[str, Any] | None:
        return _probe_summary(self._all)


def _probe_summary(samples: list[float]) -> dict[str, Any] | None:
    if not samples:
        return None
    return {
        "median_ms": statistics.median(samples),
        "fastest_ms": min(samples),
        "samples": len(samples),
    }


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


async def postgres_facts(admin: asyncpg.Connection) -> dict[str, Any]:
    facts: dict[str, Any] = {"version": await admin.fetchval("SHOW server_version")}
    for setting in ("synchronous_commit", "fsync", "wal_sync_method", "shared_buffers"):
        facts[setting] = await admin.fetchval(f"SHOW {setting}")
    return facts


def machine_facts() -> dict[str, Any]:
    dirty = [
        line[3:]
        for line in _git("status", "--porcelain").splitlines()
        if not line[3:].startswith("benchmarks/")
    ]
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "kafka_version": kafka_version(),
        "git_commit": _git("rev-parse", "HEAD") or None,
        "git_uncommitted_changes": dirty,
        "loadavg_at_start": os.getloadavg(),
    }


def summary(values: Sequence[float | None]) -> dict[str, Any] | None:
    known = [value for value in values if value is not None]
    if not known:
        return None
    median = statistics.median(known)
    return {
        "median": median,
        "min": min(known),
        "max": max(known),
        "spread_pct": 100 * (max(known) - min(known)) / median if median else None,
        "n": len(known),
        "values": known,
    }


def per_thousand(samples: Sequence[dict[str, Any]], key: str, count: str) -> list[float | None]:
    return [
        None if sample[key] is None else 1000 * sample[key] / sample[count] for sample in samples
    ]


async def tidy(what: str, step: Awaitable[T]) -> T | None:
    try:
        return await step
    except Exception as error:
        print(f"clean-up: could not {what}: {error!r}", file=sys.stderr)
        return None


def write_result(
    result: dict[str, Any], name: str, started: datetime, output_dir: Path = RESULTS
) -> Path:
    """``<output_dir>/<name>-<UTC timestamp>.json``; returns the path written."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{name}-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def shown(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    return str(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
