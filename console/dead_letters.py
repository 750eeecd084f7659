"""``resettle dead-letters``: what a consumer parked on its dead-letter topic, read and replayed."""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from console import kafka
from console.config import ConsoleSettings
from console.terminal import JsonOption, fail, out, print_json, progress_bar
from shared.topics import dead_letter_topic, physical


class ConsumerName(StrEnum):
    housing = "housing"
    aid = "aid"


def _dlq_topic(consumer: ConsumerName, config: ConsoleSettings) -> str:
    return physical(dead_letter_topic(consumer.value), config.kafka_topic_namespace)


def _parse_ref(ref: str) -> tuple[int | None, int]:
    """``OFFSET`` or ``PARTITION:OFFSET``."""
    partition, _, offset = ref.rpartition(":")
    try:
        return (int(partition) if partition else None), int(offset)
    except ValueError:
        raise fail(f"{ref!r} is not OFFSET or PARTITION:OFFSET") from None


def _one_letter(consumer: ConsumerName, ref: str, config: ConsoleSettings) -> kafka.DeadLetter:
    partition, offset = _parse_ref(ref)
    topic = _dlq_topic(consumer, config)
    try:
        letter = asyncio.run(
            kafka.read_dead_letter(config.kafka_bootstrap_servers, topic, partition, offset)
        )
    except ValueError as error:
        raise fail(str(error)) from None
    if letter is None:
        raise fail(f"no message at {ref} in {topic}")
    return letter


RefArgument = Annotated[
    str, typer.Argument(help="OFFSET, or PARTITION:OFFSET when several partitions have it.")
]


def list_dead_letters(consumer: ConsumerName, as_json: JsonOption = False) -> None:
    """The messages a consumer dead-lettered: where from, why, when."""
    config = ConsoleSettings()
    topic = _dlq_topic(consumer, config)

    async def run() -> list[kafka.DeadLetter]:
        with progress_bar() as progress:
            task = progress.add_task(f"reading {topic}", total=None)
            return await kafka.read_dead_letters(
                config.kafka_bootstrap_servers,
                topic,
                lambda done, total: progress.update(task, completed=done, total=total),
            )

    letters = asyncio.run(run())
    if as_json:
        print_json({"topic": topic, "dead_letters": [letter.summary() for letter in letters]})
        return
    table = Table(title=f"{topic}: {len(letters)} dead letter(s)")
    for column in ("partition:offset", "time", "original", "ce_type", "reason"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        s = letter.summary()
        table.add_row(
            letter.ref,
            s["time"],
            f"{s['original_topic']}[{s['original_partition']}]@{s['original_offset']}",
            s["ce_type"] or "",
            s["reason"] or "",
        )
    out.print(table)


def show_dead_letter(consumer: ConsumerName, ref: RefArgument, as_json: JsonOption = False) -> None:
    """One dead letter: its headers and body."""
    letter = _one_letter(consumer, ref, ConsoleSettings())
    detail = letter.detail()
    if as_json:
        print_json(detail)
        return
    headers = Table(title=f"dead letter {letter.ref}")
    headers.add_column("header")
    headers.add_column("value", overflow="fold")
    for name, value in letter.headers.items():
        headers.add_row(name, value)
    out.print(headers)
    out.print(f"key: {detail['key']}")
    out.print("body:")
    try:
        out.print_json(detail["body"])
    except json.JSONDecodeError:
        out.print(detail["body"], markup=False)


def _header_fixes(fixes: list[str] | None) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for fix in fixes or []:
        name, sep, value = fix.partition("=")
        if not sep or not name:
            raise fail(f"--fix-header takes NAME=VALUE, not {fix!r}")
        if name.startswith(kafka.DLQ_PREFIX):
            raise fail(f"{name} is a dead-letter header; it is never replayed")
        overrides[name] = value
    return overrides


def replay_dead_letter(
    consumer: ConsumerName,
    ref: RefArgument,
    fix_header: Annotated[
        list[str] | None,
        typer.Option(help="NAME=VALUE: add or replace a header on replay (repeatable)."),
    ] = None,
) -> None:
    """Publish a dead letter again to its original topic, for its consumers to handle.

    The original body and headers (without dlq_*) go to the original partition; the consumers'
    inbox (event id = ce_id) makes a second replay a no-op.
    """
    overrides = _header_fixes(fix_header)
    config = ConsoleSettings()
    letter = _one_letter(consumer, ref, config)
    try:
        where = asyncio.run(kafka.replay(config.kafka_bootstrap_servers, letter, overrides))
    except ValueError as error:
        raise fail(str(error)) from None
    out.print(f"replayed {letter.ref} (ce_id {letter.headers.get('ce_id')}) to {where}")
