"""Throughput of intake's batch endpoint, POST /v1/arrival-batches, with its baseline.

    uv run python -m benchmarks.intake_batch            # from the repository root; --help

Intake runs as a real separate process (``python -m services.intake.main``) on a fresh
database and a fresh Kafka topic namespace, both removed afterwards. One warm-up batch, an
``ANALYZE`` of intake's database (a fresh database has the planner statistics of an empty one
until autovacuum gets to it; ``--no-analyze`` measures that case), then ``--batches`` measured
batches of ``--batch-size`` arrivals (1 to ``--max-people`` people each,
seeded random, about 1 KB of JSON per arrival), posted one after the other. Every measured
batch is then posted again unchanged: a retry must create nothing and answer with the first
arrival ids.

Baseline, in the same run on the same Postgres server (machines are shared and noisy, so the
ratio is the figure to compare across runs): asyncpg ``executemany`` of one row per arrival,
carrying that arrival's JSON, into a table with the indexes of intake's ``events`` table
(identity primary key, unique ``(stream_id, version)``, unique ``event_id``), 100 rows per
transaction. Baseline and endpoint batches alternate, so that drift hits both.

Reported: median and spread (min-max) over the batches of seconds per batch, arrivals/s,
people/s, the ratio endpoint / baseline, the time of a replayed batch, and CPU-seconds per 1000
arrivals of the intake process (from /proc/<pid>/stat) and of its Postgres backends. A table on
stdout; everything in ``benchmarks/results/intake_batch-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx

from benchmarks.common import (
    REPO,
    RESULTS,
    Profiler,
    backend_pids,
    cpu_of,
    cpu_spent,
    database_url,
    delete_topics,
    free_port,
    machine_cpu_ticks,
    machine_cpu_use,
    machine_facts,
    per_thousand,
    postgres_facts,
    process_cpu,
    process_times,
    shown,
    summary,
    tidy,
    write_result,
)
from benchmarks.workload import BASELINE_DDL, RELAY_PENDING, make_arrival
from demo.processes import ServiceProcess

ENDPOINT = "/v1/arrival-batches"
#: an idle backend reports its table statistics within 10 s (PGSTAT_IDLE_INTERVAL)
STATS_FLUSH_S = 10.5

# --------------------------------------------------------------------------- the workload


@dataclass(frozen=True)
class Batch:
    name: str
    items: list[dict[str, Any]]
    body: bytes  # serialised once, before any clock starts

    @property
    def arrivals(self) -> int:
        return len(self.items)

    @property
    def people(self) -> int:
        return sum(len(item["arrival"]["members"]) for item in self.items)

    def baseline_rows(self) -> list[tuple[Any, ...]]:
        """One events-shaped row per arrival, its data the arrival's own JSON."""
        metadata = json.dumps({"correlation_id": str(uuid4()), "causation_id": None})
        return [
            (str(uuid4()), 1, uuid4(), "ArrivalRegistered", 2, "intake.events.v2",
             json.dumps(item["arrival"], ensure_ascii=False), metadata)
            for item in self.items
        ]  # fmt: skip


def make_batch(rng: random.Random, run_id: str, name: str, size: int, max_people: int) -> Batch:
    items = [
        {
            "idempotency_key": f"bench-{run_id}-{name}-{index:04d}",
            "arrival": make_arrival(rng, f"BENCH-{name}-{index:04d}", max_people),
        }
        for index in range(size)
    ]
    body = json.dumps({"items": items}, ensure_ascii=False).encode()
    return Batch(name, items, body)


# --------------------------------------------------------------------------- measuring

BASELINE_INSERT = """
INSERT INTO baseline_events (stream_id, version, event_id, event_type, schema_version, topic,
                             data, metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
"""


async def wait_for_relay(monitor: asyncpg.Connection, patience: float) -> float | None:
    """Seconds until the outbox relay has published every committed event (None: not within
    ``patience`` seconds, or intake's tables are not what this benchmark expects)."""
    start = time.perf_counter()
    while True:
        try:
            pending = await monitor.fetchval(RELAY_PENDING)
        except asyncpg.PostgresError:
            return None
        if pending == 0:
            return time.perf_counter() - start
        if time.perf_counter() - start > patience:
            return None
        await asyncio.sleep(0.05)


async def stored_rows(monitor: asyncpg.Connection) -> dict[str, int]:
    """Rows in each of intake's tables, exactly (whatever tables its migrations made)."""
    tables = await monitor.fetch(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname"
    )
    return {
        row["relname"]: await monitor.fetchval(f'SELECT count(*) FROM "{row["relname"]}"')
        for row in tables
    }


async def table_activity(monitor: asyncpg.Connection) -> dict[str, dict[str, int]]:
    """How intake's tables were read and written so far (Postgres' cumulative statistics)."""
    await monitor.execute("SELECT pg_stat_clear_snapshot()")
    rows = await monitor.fetch(
        """
        SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan,
               coalesce(idx_tup_fetch, 0) AS idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_del,
               analyze_count + autoanalyze_count AS analyzes
        FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname
        """
    )
    return {row["relname"]: {k: v for k, v in row.items() if k != "relname"} for row in rows}


def activity_delta(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
) -> dict[str, dict[str, float]]:
    return {
        table: {key: value - before.get(table, {}).get(key, 0) for key, value in row.items()}
        for table, row in after.items()
        if any(value - before.get(table, {}).get(key, 0) for key, value in row.items())
    }


async def post(client: httpx.AsyncClient, key: str, batch: Batch) -> tuple[float, Any]:
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    start = time.perf_counter()
    response = await client.post(ENDPOINT, content=batch.body, headers=headers)
    elapsed = time.perf_counter() - start  # the whole answer is read by then
    if response.status_code != 200:
        raise RuntimeError(f"{ENDPOINT} answered {response.status_code}: {response.text[:500]}")
    return elapsed, response.json()


@dataclass
class Intake:
    """The running intake process and what the benchmark needs to watch it."""

    process: ServiceProcess
    pid: int
    database: str
    client: httpx.AsyncClient
    monitor: asyncpg.Connection
    partner_key: str


async def endpoint_batch(intake: Intake, batch: Batch, drain_timeout: float) -> dict[str, Any]:
    pids = await backend_pids(intake.monitor, intake.database)
    pg_before, times_before = cpu_of(pids), process_times(intake.pid)
    elapsed, answer = await post(intake.client, intake.partner_key, batch)
    times_answered = process_times(intake.pid)
    drain = await wait_for_relay(intake.monitor, drain_timeout)
    cpu_drained = process_cpu(intake.pid)
    pids |= await backend_pids(intake.monitor, intake.database)
    pg_spent = cpu_spent(pg_before, cpu_of(pids))
    counts = answer["counts"]
    if counts != {"created": batch.arrivals, "already_known": 0, "rejected": 0}:
        rejected = [item for item in answer["items"] if item["status"] == "rejected"][:3]
        raise RuntimeError(f"batch {batch.name}: {counts}; first rejections: {rejected}")
    assert times_before is not None and times_answered is not None and cpu_drained is not None
    user_s = times_answered[0] - times_before[0]
    system_s = times_answered[1] - times_before[1]
    return {
        "batch": batch.name,
        "arrivals": batch.arrivals,
        "people": batch.people,
        "body_bytes": len(batch.body),
        "seconds": elapsed,
        "arrivals_per_s": batch.arrivals / elapsed,
        "people_per_s": batch.people / elapsed,
        "intake_cpu_s_to_answer": user_s + system_s,
        "intake_user_cpu_s_to_answer": user_s,
        "intake_system_cpu_s_to_answer": system_s,
        "intake_cpu_s_with_relay": cpu_drained - sum(times_before),
        "postgres_backends_cpu_s": pg_spent,
        "relay_drain_s_after_answer": drain,
        "counts": counts,
        "possible_duplicates_flagged": sum(
            len(item.get("possible_duplicates", [])) for item in answer["items"]
        ),
        "arrival_ids": [item["arrival_id"] for item in answer["items"]],
    }


async def replayed_batch(intake: Intake, batch: Batch, first: dict[str, Any]) -> dict[str, Any]:
    pids = await backend_pids(intake.monitor, intake.database)
    pg_before, cpu_before = cpu_of(pids), process_cpu(intake.pid)
    elapsed, answer = await post(intake.client, intake.partner_key, batch)
    cpu_after = process_cpu(intake.pid)
    pids |= await backend_pids(intake.monitor, intake.database)
    pg_spent = cpu_spent(pg_before, cpu_of(pids))
    counts = answer["counts"]
    if counts != {"created": 0, "already_known": batch.arrivals, "rejected": 0}:
        raise RuntimeError(f"replay of {batch.name} answered {counts}: it should create nothing")
    if [item["arrival_id"] for item in answer["items"]] != first["arrival_ids"]:
        raise RuntimeError(f"replay of {batch.name} answered other arrival ids than the first")
    assert cpu_before is not None and cpu_after is not None
    return {
        "batch": batch.name,
        "arrivals": batch.arrivals,
        "seconds": elapsed,
        "arrivals_per_s": batch.arrivals / elapsed,
        "intake_cpu_s": cpu_after - cpu_before,
        "postgres_backends_cpu_s": pg_spent,
        "counts": counts,
    }


async def baseline_batch(
    conn: asyncpg.Connection, batch: Batch, per_txn: int, repeats: int
) -> dict[str, Any]:
    """The batch's rows inserted ``repeats`` times (fresh ids each time); a batch of the
    baseline lasts only tens of milliseconds, so one fsync hiccup would double it: the sample
    is the median repeat."""
    repeated = [batch.baseline_rows() for _ in range(repeats)]
    backend = conn.get_server_pid()
    backend_before, client_before = process_cpu(backend), time.process_time()
    times = []
    for rows in repeated:
        start = time.perf_counter()
        for first in range(0, len(rows), per_txn):
            async with conn.transaction():
                await conn.executemany(BASELINE_INSERT, rows[first : first + per_txn])
        times.append(time.perf_counter() - start)
    backend_after, client_after = process_cpu(backend), time.process_time()
    elapsed = statistics.median(times)
    return {
        "batch": batch.name,
        "rows": len(rows),
        "data_bytes": sum(len(row[6].encode()) for row in rows),
        "seconds": elapsed,
        "seconds_of_each_repeat": times,
        "rows_per_s": len(rows) / elapsed,
        "client_cpu_s": (client_after - client_before) / repeats,
        "postgres_backend_cpu_s": (
            (backend_after - backend_before) / repeats
            if backend_before is not None and backend_after is not None
            else None
        ),
    }


# --------------------------------------------------------------------------- the stack


def service_environment(
    database: str, port: int, kafka: str, namespace: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {
        **os.environ,
        "INTAKE_DATABASE_URL": database,
        "INTAKE_HTTP_HOST": "127.0.0.1",
        "INTAKE_HTTP_PORT": str(port),
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "OTEL_TRACES_EXPORTER": "none",  # spans are still made (instrumentation), not exported
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env


def add_partner(env: dict[str, str]) -> str:
    """A partner key from intake's own CLI (which also migrates the fresh database)."""
    done = subprocess.run(
        [sys.executable, "-m", "services.intake.cli", "add-partner", "bench-partner",
         "--name", "Benchmark welcome point"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"add-partner failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def start_intake(process: ServiceProcess) -> int:
    process.start()
    process.wait_ready(timeout=120)
    assert process.process is not None
    return process.process.pid


# --------------------------------------------------------------------------- summary


def summarise(
    endpoint: list[dict[str, Any]], baseline: list[dict[str, Any]], replay: list[dict[str, Any]]
) -> dict[str, Any]:
    paired = [
        e["arrivals_per_s"] / b["rows_per_s"] for e, b in zip(endpoint, baseline, strict=True)
    ]
    endpoint_rate = summary([sample["arrivals_per_s"] for sample in endpoint])
    baseline_rate = summary([sample["rows_per_s"] for sample in baseline])
    assert endpoint_rate is not None and baseline_rate is not None
    return {
        "endpoint_seconds_per_batch": summary([s["seconds"] for s in endpoint]),
        "endpoint_arrivals_per_s": endpoint_rate,
        "endpoint_people_per_s": summary([s["people_per_s"] for s in endpoint]),
        "baseline_seconds_per_batch": summary([s["seconds"] for s in baseline]),
        "baseline_rows_per_s": baseline_rate,
        "ratio_endpoint_to_baseline_paired": summary(paired),
        "ratio_of_medians": endpoint_rate["median"] / baseline_rate["median"],
        "replay_seconds_per_batch": summary([s["seconds"] for s in replay]),
        "replay_arrivals_per_s": summary([s["arrivals_per_s"] for s in replay]),
        "replay_to_first_time_ratio": summary(
            [r["seconds"] / e["seconds"] for r, e in zip(replay, endpoint, strict=True)]
        ),
        "intake_cpu_s_per_1000_arrivals_to_answer": summary(
            per_thousand(endpoint, "intake_cpu_s_to_answer", "arrivals")
        ),
        "intake_cpu_s_per_1000_arrivals_with_relay": summary(
            per_thousand(endpoint, "intake_cpu_s_with_relay", "arrivals")
        ),
        "intake_system_cpu_share": summary(
            [s["intake_system_cpu_s_to_answer"] / s["intake_cpu_s_to_answer"] for s in endpoint]
        ),
        "intake_cpu_share_of_one_core_while_answering": summary(
            [s["intake_cpu_s_to_answer"] / s["seconds"] for s in endpoint]
        ),
        "postgres_cpu_s_per_1000_arrivals": summary(
            per_thousand(endpoint, "postgres_backends_cpu_s", "arrivals")
        ),
        "relay_drain_s_after_answer": summary([s["relay_drain_s_after_answer"] for s in endpoint]),
        "replay_intake_cpu_s_per_1000_arrivals": summary(
            per_thousand(replay, "intake_cpu_s", "arrivals")
        ),
        "baseline_client_cpu_s_per_1000_rows": summary(
            per_thousand(baseline, "client_cpu_s", "rows")
        ),
        "baseline_postgres_cpu_s_per_1000_rows": summary(
            per_thousand(baseline, "postgres_backend_cpu_s", "rows")
        ),
    }


def print_table(result: dict[str, Any]) -> None:
    config, s = result["config"], result["summary"]
    rows: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("endpoint", "s per batch", s["endpoint_seconds_per_batch"], "{:.2f}"),
        ("endpoint", "arrivals/s", s["endpoint_arrivals_per_s"], "{:.0f}"),
        ("endpoint", "people/s", s["endpoint_people_per_s"], "{:.0f}"),
        ("baseline", "s per batch", s["baseline_seconds_per_batch"], "{:.3f}"),
        ("baseline", "rows/s", s["baseline_rows_per_s"], "{:.0f}"),
        ("ratio", "endpoint ÷ baseline", s["ratio_endpoint_to_baseline_paired"], "{:.4f}"),
        ("replay", "s per batch", s["replay_seconds_per_batch"], "{:.2f}"),
        ("replay", "arrivals/s", s["replay_arrivals_per_s"], "{:.0f}"),
        ("replay", "÷ first-time s", s["replay_to_first_time_ratio"], "{:.2f}"),
        ("intake", "CPU-s/1000 arr. (answer)", s["intake_cpu_s_per_1000_arrivals_to_answer"],
         "{:.2f}"),
        ("intake", "CPU-s/1000 arr. (+relay)", s["intake_cpu_s_per_1000_arrivals_with_relay"],
         "{:.2f}"),
        ("intake", "of which system (kernel)", s["intake_system_cpu_share"], "{:.0%}"),
        ("intake", "cores busy while answering",
         s["intake_cpu_share_of_one_core_while_answering"], "{:.2f}"),
        ("postgres", "CPU-s/1000 arr.", s["postgres_cpu_s_per_1000_arrivals"], "{:.2f}"),
        ("relay", "drain s after answer", s["relay_drain_s_after_answer"], "{:.2f}"),
        ("replay", "intake CPU-s/1000 arr.", s["replay_intake_cpu_s_per_1000_arrivals"], "{:.2f}"),
        ("baseline", "client CPU-s/1000 rows", s["baseline_client_cpu_s_per_1000_rows"], "{:.3f}"),
        ("baseline", "postgres CPU-s/1000 rows", s["baseline_postgres_cpu_s_per_1000_rows"],
         "{:.3f}"),
    ]  # fmt: skip
    people = sum(sample["people"] for sample in result["endpoint"])
    arrivals = sum(sample["arrivals"] for sample in result["endpoint"])
    print()
    print(
        f"POST {ENDPOINT}: {config['batches']} batches x {config['batch_size']} arrivals "
        f"({people / arrivals:.2f} people each on average, "
        f"{result['endpoint'][0]['body_bytes'] / config['batch_size']:.0f} B of JSON per "
        f"arrival), after {config['warmup_batches']} warm-up batch; baseline executemany, "
        f"{config['rows_per_transaction']} rows per transaction, median of "
        f"{config['baseline_repeats_per_batch']} per batch"
    )
    print(f"{'':9} {'':27} {'median':>9} {'min':>9} {'max':>9} {'spread':>7}")
    for group, what, stats, fmt in rows:
        if stats is None:
            print(f"{group:9} {what:27} {'n/a':>9}")
            continue
        spread = "" if stats["spread_pct"] is None else f"{stats['spread_pct']:.0f}%"
        cells = (fmt.format(stats[name]) for name in ("median", "min", "max"))
        print(f"{group:9} {what:27} " + " ".join(f"{cell:>9}" for cell in cells) + f" {spread:>7}")
    print(f"ratio of medians (endpoint arrivals/s ÷ baseline rows/s): {s['ratio_of_medians']:.4f}")
    print(f"replays created nothing: {result['replay_created_nothing']}")
    use, load = result["machine"]["cpu_use_during_run"], result["machine"]["loadavg_at_start"][0]
    print(
        f"machine: {result['machine']['nproc']} CPUs, {use['busy_pct']:.0f}% busy and "
        f"{use['steal_pct']:.0f}% stolen during the run, load average {load:.1f} at its start"
    )
    written = ", ".join(f"{table} {rows:.2f}" for table, rows in result["rows_per_arrival"].items())
    print(f"rows stored per arrival: {written}")
    scanned = {
        table: row["seq_tup_read"]
        for table, row in result["table_activity_per_measured_arrival"].items()
        if row["seq_tup_read"] >= 1
    }
    if scanned:
        print(
            "rows read by sequential scans per measured arrival: "
            + ", ".join(f"{table} {rows:.0f}" for table, rows in scanned.items())
        )


# --------------------------------------------------------------------------- the run


async def run(args: argparse.Namespace) -> dict[str, Any]:
    run_id = uuid4().hex[:10]
    intake_db, baseline_db = f"bench_intake_{run_id}", f"bench_baseline_{run_id}"
    namespace = f"bench{run_id}"
    rng = random.Random(args.seed)
    warmups = [
        make_batch(rng, run_id, f"warmup{i}", args.batch_size, args.max_people)
        for i in range(args.warmup)
    ]
    batches = [
        make_batch(rng, run_id, f"b{i}", args.batch_size, args.max_people)
        for i in range(args.batches)
    ]
    facts = machine_facts()
    ticks_at_start = machine_cpu_ticks()
    log_dir = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    admin = await asyncpg.connect(args.admin_url)
    created: list[str] = []
    process: ServiceProcess | None = None
    profiler = Profiler(args.py_spy)
    endpoint: list[dict[str, Any]] = []
    base: list[dict[str, Any]] = []
    replay: list[dict[str, Any]] = []
    stored_before: dict[str, int] = {}
    stored_after: dict[str, int] = {}
    deleted: list[str] | None = []
    activity: dict[str, dict[str, float]] = {}
    failed = True
    try:
        facts["postgres"] = await postgres_facts(admin)
        for name in (intake_db, baseline_db):
            await admin.execute(f'CREATE DATABASE "{name}"')
            created.append(name)
        env = service_environment(
            database_url(args.admin_url, intake_db),
            free_port(),
            args.kafka,
            namespace,
            args.service_env,
        )
        started = time.perf_counter()
        partner_key = await asyncio.to_thread(add_partner, env)
        process = ServiceProcess(
            "intake", int(env["INTAKE_HTTP_PORT"]), env, log_dir / "intake.log"
        )
        pid = await asyncio.to_thread(start_intake, process)
        print(f"intake pid {pid} ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        monitor = await asyncpg.connect(database_url(args.admin_url, intake_db))
        baseline = await asyncpg.connect(database_url(args.admin_url, baseline_db))
        client = httpx.AsyncClient(base_url=process.url, timeout=httpx.Timeout(600.0))
        try:
            await baseline.execute(BASELINE_DDL.format(table="baseline_events"))
            intake = Intake(process, pid, intake_db, client, monitor, partner_key)
            for batch in warmups:
                first = await endpoint_batch(intake, batch, args.drain_timeout)
                await baseline_batch(
                    baseline, batch, args.rows_per_transaction, args.baseline_repeats
                )
                print(f"warm-up {batch.name}: {first['seconds']:.2f}s", file=sys.stderr)
            if args.analyze:
                await monitor.execute("ANALYZE")
            await asyncio.sleep(STATS_FLUSH_S)
            activity_before = await table_activity(monitor)
            profiler.start(pid)
            for index, batch in enumerate(batches):
                # alternate the order, so that neither side always follows the other
                if index % 2 == 0:
                    base.append(
                        await baseline_batch(
                            baseline, batch, args.rows_per_transaction, args.baseline_repeats
                        )
                    )
                endpoint.append(await endpoint_batch(intake, batch, args.drain_timeout))
                if index % 2 == 1:
                    base.append(
                        await baseline_batch(
                            baseline, batch, args.rows_per_transaction, args.baseline_repeats
                        )
                    )
                print(
                    f"{batch.name}: endpoint {endpoint[-1]['seconds']:.2f}s, "
                    f"baseline {base[-1]['seconds']:.3f}s",
                    file=sys.stderr,
                )
            profiler.stop()
            await asyncio.sleep(STATS_FLUSH_S)
            activity = activity_delta(activity_before, await table_activity(monitor))
            stored_before = await stored_rows(monitor)
            replay = [
                await replayed_batch(intake, batch, first)
                for batch, first in zip(batches, endpoint, strict=True)
            ]
            await asyncio.sleep(0.5)  # anything a replay wrongly appended would be visible now
            stored_after = await stored_rows(monitor)
            print(f"replays: {[round(r['seconds'], 2) for r in replay]}s", file=sys.stderr)
        finally:
            profiler.stop()
            await client.aclose()
            await monitor.close()
            await baseline.close()
        failed = False
    finally:
        # every step runs even when one before it fails; the first failure is what propagates
        if process is not None:
            await tidy("stop intake", asyncio.to_thread(process.stop))
        for name in created:
            await tidy(
                f"drop database {name}",
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
            )
        await tidy("close the admin connection", admin.close())
        deleted = await tidy(f"delete topics {namespace}.*", delete_topics(args.kafka, namespace))
        if failed:
            print(f"intake's log is kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
    facts["loadavg_at_end"] = os.getloadavg()
    facts["cpu_use_during_run"] = machine_cpu_use(ticks_at_start, machine_cpu_ticks())
    for sample in endpoint:
        del sample["arrival_ids"]
    return {
        "benchmark": "intake_batch",
        "path": ENDPOINT,
        "started_at": None,
        "config": {
            "batches": args.batches,
            "batch_size": args.batch_size,
            "max_people": args.max_people,
            "warmup_batches": args.warmup,
            "seed": args.seed,
            "analyze_after_warmup": args.analyze,
            "rows_per_transaction": args.rows_per_transaction,
            "baseline_repeats_per_batch": args.baseline_repeats,
            "intake_db_pool_max": args.service_env.get(
                "INTAKE_DB_POOL_MAX", os.environ.get("INTAKE_DB_POOL_MAX", "10 (default)")
            ),
            "intake_batch_concurrency": _batch_concurrency(),
            "otel_traces_exporter": args.service_env.get("OTEL_TRACES_EXPORTER", "none"),
            "service_env": args.service_env,
            "profiled_with_py_spy": args.py_spy is not None,
            "kafka_topics_deleted": deleted,
        },
        "machine": facts,
        "summary": summarise(endpoint, base, replay),
        "replay_created_nothing": stored_before == stored_after,
        "rows_per_arrival": {
            table: rows / ((args.warmup + args.batches) * args.batch_size)
            for table, rows in stored_before.items()
            if rows
        },
        "stored_before_replays": stored_before,
        "stored_after_replays": stored_after,
        "table_activity_per_measured_arrival": {
            table: {key: value / (args.batches * args.batch_size) for key, value in row.items()}
            for table, row in activity.items()
        },
        "endpoint": endpoint,
        "baseline": base,
        "replay": replay,
    }


def _batch_concurrency() -> int | None:
    """How many items intake handles at once (its constant, if it still has one)."""
    try:  # by module name: the package exports a router under the same name
        arrivals = importlib.import_module("services.intake.api.arrivals")
    except ImportError:
        return None
    value = getattr(arrivals, "BATCH_CONCURRENCY", None)
    return value if isinstance(value, int) else None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.intake_batch",
        description="Throughput of POST /v1/arrival-batches against an executemany baseline.",
    )
    parser.add_argument("--batches", type=int, default=5, help="measured batches (default 5)")
    parser.add_argument("--batch-size", type=int, default=1000, help="arrivals per batch")
    parser.add_argument("--max-people", type=int, default=3, help="people per arrival: 1..N")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up batches (default 1)")
    parser.add_argument("--seed", type=int, default=20220924)
    parser.add_argument("--rows-per-transaction", type=int, default=100, help="baseline")
    parser.add_argument(
        "--baseline-repeats", type=int, default=3, help="baseline runs per batch (median)"
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="do not ANALYZE intake's fresh database after the warm-up: measure it with the "
        "planner statistics of an empty database, until autovacuum catches up",
    )
    parser.add_argument("--drain-timeout", type=float, default=60.0, help="wait for the relay")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5433/postgres"),
        help="a Postgres URL allowed to create and drop databases",
    )
    parser.add_argument(
        "--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="OUT",
        help="profile intake during the measured batches (.svg, .json speedscope, .txt raw); "
        "the figures of a profiled run are not comparable with others",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable for intake (repeatable), e.g. OTEL_SDK_DISABLED=true "
        "or INTAKE_DB_POOL_MAX=20, to compare configurations",
    )
    args = parser.parse_args(argv)
    if any("=" not in pair for pair in args.service_env):
        parser.error("--service-env takes NAME=VALUE")
    args.service_env = dict(pair.split("=", 1) for pair in args.service_env)
    if not 1 <= args.batch_size <= 1000:
        parser.error("--batch-size: the endpoint takes 1 to 1000 items")
    if min(args.batches, args.max_people, args.rows_per_transaction, args.baseline_repeats) < 1:
        parser.error("--batches, --max-people, --rows-per-transaction, --baseline-repeats: >= 1")
    if args.warmup < 0:
        parser.error("--warmup: >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = datetime.now(UTC)
    result = asyncio.run(run(args))
    result["started_at"] = started.isoformat()
    result["duration_s"] = (datetime.now(UTC) - started).total_seconds()
    print_table(result)
    path = write_result(result, "intake_batch", started, args.output_dir)
    print(f"\nwritten to {shown(path)}")


if __name__ == "__main__":
    main()
