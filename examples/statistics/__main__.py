"""``python -m examples.statistics``: print daily figures with HXL hashtags, as CSV or JSON.

KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 uv run python -m examples.statistics --until-idle
uv run python -m examples.statistics --namespace t07cd... --format json --until-idle
uv run python -m examples.statistics --output-dir figures/   # forever, files refreshed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from examples.statistics.contracts import DEFAULT_CONTRACTS
from examples.statistics.figures import FIGURES, Figure, as_csv, as_hxl_json
from examples.statistics.subscriber import Outcome, run


def render(outcome: Outcome, figures: tuple[Figure, ...], fmt: str) -> str:
    statistics = outcome.statistics
    if fmt == "json":
        document: dict[str, Any] = {
            figure: as_hxl_json(figure, statistics.rows(figure)) for figure in figures
        }
        document["consumed"] = outcome.summary()
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    # several CSV tables: one after the other, a blank line between them
    return "\r\n".join(as_csv(figure, statistics.rows(figure)) for figure in figures)


def write_files(outcome: Outcome, figures: tuple[Figure, ...], fmt: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for figure in figures:
        target = out / f"{figure}.{fmt}"
        partial = target.with_suffix(f".{fmt}.tmp")
        partial.write_text(render(outcome, (figure,), fmt), encoding="utf-8")
        partial.replace(target)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.statistics",
        description="Daily arrivals, placements and aid issued, from Resettle's topics.",
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka brokers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
    )
    parser.add_argument(
        "--namespace",
        default=os.environ.get("KAFKA_TOPIC_NAMESPACE", ""),
        help="topic prefix, as in <namespace>.intake.events.v2 (default: "
        "$KAFKA_TOPIC_NAMESPACE or none)",
    )
    parser.add_argument(
        "--group", default=None, help="consumer group (default: [<namespace>.]statistics-example)"
    )
    parser.add_argument("--contracts", type=Path, default=DEFAULT_CONTRACTS)
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument("--figure", choices=(*FIGURES, "all"), default="all")
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="stop once the topics are drained and quiet; otherwise run forever and print "
        "the figures each time the topics are drained after new events",
    )
    parser.add_argument("--idle-seconds", type=float, default=2.0)
    parser.add_argument(
        "--output-dir", type=Path, help="write <figure>.<format> files there instead of stdout"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    figures: tuple[Figure, ...] = FIGURES if args.figure == "all" else (args.figure,)

    def emit(outcome: Outcome) -> None:
        if args.output_dir is not None:
            write_files(outcome, figures, args.format, args.output_dir)
        else:
            sys.stdout.write(render(outcome, figures, args.format))
            sys.stdout.flush()
        print(json.dumps(outcome.summary()), file=sys.stderr)

    async def caught_up(outcome: Outcome) -> None:
        if not args.until_idle:
            emit(outcome)

    try:
        outcome = asyncio.run(
            run(
                bootstrap_servers=args.bootstrap_servers,
                namespace=args.namespace,
                group_id=args.group,
                contracts_dir=args.contracts,
                until_idle=args.until_idle,
                idle_seconds=args.idle_seconds,
                on_caught_up=caught_up,
            )
        )
    except KeyboardInterrupt:
        return 130
    emit(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
