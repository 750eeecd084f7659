"""``python -m benchmarks.oral_week --arrivals 100000 --seed 2022``: the Oral week end to end.

``--arrivals`` counts people (the ~100,000 who crossed in the week); groups, shelters,
donations and offers scale with it. Develop at ``--arrivals 2000``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import RESULTS, shown, write_result
from benchmarks.oral_week.runner import print_table, run
from benchmarks.results import record_oral_week, record_oral_week_scaling


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.oral_week",
        description="The Oral week (21-27 Sept 2022) through the three services' public APIs.",
    )
    parser.add_argument("--arrivals", type=int, default=100_000, help="people over the week")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--batch-size", type=int, default=500, help="arrivals per batch (<=1000)")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight per kind of work"
    )
    parser.add_argument(
        "--patience", type=float, default=120.0, help="s without consumer progress before failing"
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5433/postgres"),
    )
    parser.add_argument(
        "--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--service-env", action="append", default=[], metavar="NAME=VALUE",
        help="an extra environment variable for the three services (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if any("=" not in pair for pair in args.service_env):
        parser.error("--service-env takes NAME=VALUE")
    args.service_env = dict(pair.split("=", 1) for pair in args.service_env)
    if not 1 <= args.batch_size <= 1000:
        parser.error("--batch-size: the endpoint takes 1 to 1000 items")
    if args.arrivals < 1 or args.concurrency < 1:
        parser.error("--arrivals and --concurrency: >= 1")
    return args


#: the week as it was: a smaller run is a miniature, not the row of the table; a week three
#: times the size is the row that says whether the cost grows linearly
FULL_WEEK = 100_000


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = datetime.now(UTC)
    result = asyncio.run(run(args))
    result["started_at"] = started.isoformat()
    result["duration_s"] = (datetime.now(UTC) - started).total_seconds()
    path = write_result(result, "oral_week", started, args.output_dir)  # before the table can fail
    print_table(result)
    print(f"\nwritten to {shown(path)}")
    people = result["accepted"]["people"]
    if people in (FULL_WEEK, 3 * FULL_WEEK) and result.get("reconciliation", {}).get("held"):
        record = record_oral_week if people == FULL_WEEK else record_oral_week_scaling
        latest = record(
            result["wall_s"],
            {"people": people, "seed": result["config"]["seed"], "result_file": str(path.name)},
            args.output_dir,
        )
        if latest is not None:
            print(f"and the Oral week's row of {shown(latest)} (and latest.md)")


if __name__ == "__main__":
    main()
