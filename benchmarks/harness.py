"""Issue #9's benchmark harness: every measure with its baseline, in one run, on the same broker
and database server (``make bench``; ``python -m benchmarks --help``).

This module is the runner: the command line, the order of the cases and the clean-up. Each case
lives in its own module under ``benchmarks/cases`` (listed there); what they share is in
``run.py`` (the run), ``children.py`` (processes), ``meters.py`` (CPU) and ``payloads.py``.

Every run uses fresh databases (``bench_<run>_<label>``) and a fresh topic namespace
(``bench<run>...``), dropped and deleted at the end, also on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg

from benchmarks.cases.accept import case_accept
from benchmarks.cases.append import case_append
from benchmarks.cases.distributions import case_distributions
from benchmarks.cases.e2e import case_e2e
from benchmarks.cases.latency import case_latency
from benchmarks.cases.occupancy import case_occupancy
from benchmarks.cases.rebuild import case_rebuild
from benchmarks.cases.relay import case_relay
from benchmarks.cases.tracing import case_tracing
from benchmarks.children import Worker
from benchmarks.common import (
    RESULTS,
    delete_topics,
    machine_cpu_ticks,
    machine_cpu_use,
    machine_facts,
    postgres_facts,
    shown,
    tidy,
    write_result,
)
from benchmarks.payloads import Arrivals
from benchmarks.results import Measure, oral_week_rows, render_text, write_latest
from benchmarks.run import Run, log

CASES = (
    "append", "relay", "accept", "tracing", "e2e", "latency", "rebuild", "occupancy",
    "distributions",
)  # fmt: skip


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
            elif case == "occupancy":
                await case_occupancy(run)
            elif case == "distributions":
                await case_distributions(run)
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
    parser.add_argument(
        "--occupancy-commands",
        type=int,
        default=1000,
        help="placements (and check-ins) per round and side of the occupancy case",
    )
    parser.add_argument(
        "--distributions-per-round",
        type=int,
        default=400,
        help="distributions per round and number of counters (distributions case)",
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
        args.occupancy_commands, args.distributions_per_round = 200, 150
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = datetime.now(UTC)
    result = asyncio.run(run_cases(args))
    result["started_at"] = started.isoformat()
    result["duration_s"] = (datetime.now(UTC) - started).total_seconds()
    measures: list[Measure] = result["measures"]
    if args.full:
        measures.extend(oral_week_rows(args.output_dir / "latest.json"))
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
