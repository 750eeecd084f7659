"""``resettle``: the operators' console over intake, housing and aid.

Configured like the services: INTAKE_DATABASE_URL, HOUSING_DATABASE_URL, AID_DATABASE_URL,
KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC_NAMESPACE, <SERVICE>_HTTP_HOST/_HTTP_PORT, and
TRACE_UI_URL for links to traces.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID

import asyncpg
import httpx
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from console import kafka
from console.config import SERVICES, ConsoleSettings, Service
from services.intake import cli as intake_cli
from shared.database import create_pool
from shared.eventstore import PUBLIC_EVENT_TYPES
from shared.rebuild import rebuild_read_models
from shared.topics import dead_letter_topic, physical

T = TypeVar("T")

cli = typer.Typer(
    help="Resettle's operator console: status, journeys, rebuilds, dead letters, partners.",
    no_args_is_help=True,
)
dead_letters = typer.Typer(help="A consumer's dead-letter topic: list, show, replay.")
partners = typer.Typer(help="Partners of intake and their API keys.")
cli.add_typer(dead_letters, name="dead-letters")
cli.add_typer(partners, name="partners")

# partner and erasure commands are intake's own (services/intake/cli.py), not a copy
partners.command("add")(intake_cli.add_partner)
partners.command("rotate")(intake_cli.rotate)
partners.command("revoke")(intake_cli.revoke_partner)
cli.command("erase")(intake_cli.erase_person)

out = Console()
err = Console(stderr=True)


class ServiceName(StrEnum):
    intake = "intake"
    housing = "housing"
    aid = "aid"


class ConsumerName(StrEnum):
    housing = "housing"
    aid = "aid"


JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON, no table.")]


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


async def _with_pool(service: Service, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    pool = await create_pool(service.settings().database_url, 2)
    try:
        return await work(pool)
    finally:
        await pool.close()


# ---------------------------------------------------------------------------------- status

_BACKLOG = """
SELECT count(*) FROM events
WHERE topic IS NOT NULL AND (transaction_id, global_position) > ($1::text::xid8, $2)
"""


async def _outbox_backlog(pool: asyncpg.Pool) -> int:
    """Events with a topic that the relay has not published yet (past its checkpoint)."""
    async with pool.acquire() as conn:
        checkpoint = await conn.fetchrow(
            "SELECT transaction_id::text AS transaction_id, global_position "
            "FROM outbox_checkpoint WHERE relay = 'main'"
        )
        after = (
            (checkpoint["transaction_id"], checkpoint["global_position"])
            if checkpoint
            else ("0", 0)
        )
        return int(await conn.fetchval(_BACKLOG, *after))


async def _readiness(service: Service) -> str:
    settings = service.settings()
    url = f"http://{settings.http_host}:{settings.http_port}/readyz"
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            answer = await client.get(url)
    except httpx.HTTPError:
        return "down"
    return "ready" if answer.status_code == 200 else f"not ready ({answer.status_code})"


async def _service_status(service: Service, config: ConsoleSettings) -> dict[str, Any]:
    namespace = config.kafka_topic_namespace
    ready = await _readiness(service)
    try:
        backlog: int | str = await _with_pool(service, _outbox_backlog)
    except (OSError, asyncpg.PostgresError) as error:
        backlog = f"unknown ({type(error).__name__})"
    status: dict[str, Any] = {"service": service.name, "http": ready, "outbox_backlog": backlog}
    if service.consumes:
        group = physical(service.name, namespace)
        dlq = physical(dead_letter_topic(service.name), namespace)
        status |= {"consumer_group": group, "dead_letter_topic": dlq}
        try:
            lags = await kafka.consumer_lag(
                config.kafka_bootstrap_servers,
                {group: [physical(topic, namespace) for topic in service.consumes]},
            )
            status["dead_letters"] = await kafka.message_count(config.kafka_bootstrap_servers, dlq)
        except (OSError, KafkaError, TimeoutError) as error:
            status |= {"lag": [], "total_lag": f"unknown ({type(error).__name__})"}
            status.setdefault("dead_letters", "unknown")
        else:
            status["lag"] = [lag.__dict__ for lag in lags]
            status["total_lag"] = sum(lag.lag for lag in lags)
    return status


@cli.command()
def status(as_json: JsonOption = False) -> None:
    """Readiness, outbox backlog, consumer lag and dead letters of each service."""
    config = ConsoleSettings()

    async def run() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(_service_status(s, config) for s in SERVICES.values())))

    report = asyncio.run(run())
    if as_json:
        _print_json({"services": report})
        return
    overview = Table(title="Services")
    for column in ("service", "http /readyz", "outbox backlog", "consumer lag", "dead letters"):
        overview.add_column(column)
    for row in report:
        overview.add_row(
            row["service"],
            row["http"],
            str(row["outbox_backlog"]),
            str(row.get("total_lag", "-")),
            str(row.get("dead_letters", "-")),
        )
    out.print(overview)
    lag = Table(title="Consumer lag per partition")
    for column in ("group", "topic", "partition", "committed", "end", "lag"):
        lag.add_column(column)
    for row in report:
        for entry in row.get("lag", []):
            lag.add_row(
                entry["group"],
                entry["topic"],
                str(entry["partition"]),
                "-" if entry["committed"] is None else str(entry["committed"]),
                str(entry["end"]),
                str(entry["lag"]),
            )
    out.print(lag)


# --------------------------------------------------------------------------------- journey

_JOURNEY = """
SELECT global_position, stream_id, event_type, recorded_at, metadata->>'traceparent' AS traceparent,
       metadata->>'correlation_id' AS correlation_id
FROM events
WHERE data::text LIKE $1 OR stream_id LIKE $1
ORDER BY global_position
"""


def _trace_id(traceparent: str | None) -> str | None:
    """The trace id: the 2nd field of a W3C traceparent (version-traceid-spanid-flags)."""
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


async def _journey(person_id: UUID, config: ConsoleSettings) -> list[dict[str, Any]]:
    pattern = f"%{person_id}%"  # a UUID: no LIKE wildcards in it
    entries: list[tuple[datetime, dict[str, Any]]] = []
    for service in SERVICES.values():

        async def fetch(pool: asyncpg.Pool) -> list[asyncpg.Record]:
            return list(await pool.fetch(_JOURNEY, pattern))

        for row in await _with_pool(service, fetch):
            public = row["event_type"] in PUBLIC_EVENT_TYPES
            entry: dict[str, Any] = {
                "service": service.name,
                "type": row["event_type"],
                "time": row["recorded_at"].isoformat(),
                "stream": None,
                "correlation_id": None,
                "trace_id": None,
                "trace": None,
            }
            # intake's internal events hold sealed personal data: their type and time only
            if public or service.name != "intake":
                trace_id = _trace_id(row["traceparent"])
                entry |= {
                    "stream": row["stream_id"],
                    "correlation_id": row["correlation_id"],
                    "trace_id": trace_id,
                    "trace": config.trace_link(trace_id) if trace_id else None,
                }
            entries.append((row["recorded_at"], entry))
    # the three databases share one Postgres clock here; a stable sort keeps stream order
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]


@cli.command()
def journey(person_id: UUID, as_json: JsonOption = False) -> None:
    """One person's events across the services, in time order, with trace links.

    No personal data is printed: intake's sealed events show their type and time only.
    """
    config = ConsoleSettings()
    entries = asyncio.run(_journey(person_id, config))
    if as_json:
        _print_json({"person_id": str(person_id), "events": entries})
        return
    if not entries:
        raise _fail(f"no events about {person_id}")
    table = Table(title=f"Journey of {person_id}")
    for column in ("time", "service", "event", "stream", "trace"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            entry["time"],
            entry["service"],
            entry["type"],
            entry["stream"] or "",
            entry["trace"] or "",
        )
    out.print(table)


# --------------------------------------------------------------------------------- rebuild

Snapshot = dict[str, list[str]]


async def _snapshot(pool: asyncpg.Pool, tables: tuple[str, ...]) -> Snapshot:
    """Every read-model row as text, sorted, in one consistent snapshot."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return {
            table: [row[0] for row in await conn.fetch(f"SELECT t::text FROM {table} t ORDER BY 1")]
            for table in tables
        }


def _differences(before: Snapshot, after: Snapshot) -> dict[str, dict[str, int]]:
    changed: dict[str, dict[str, int]] = {}
    for table in before:
        if before[table] != after.get(table):
            old, new = set(before[table]), set(after.get(table, []))
            changed[table] = {
                "rows_before": len(before[table]),
                "rows_after": len(after.get(table, [])),
                "only_before": len(old - new),
                "only_after": len(new - old),
            }
    return changed


@cli.command()
def rebuild(service: ServiceName, as_json: JsonOption = False) -> None:
    """Rebuild a service's read models from its events and check they equal those before.

    Exits 1 naming the tables that differ (a repaired or a damaged read model).
    """
    target = SERVICES[service.value]

    async def work(pool: asyncpg.Pool) -> tuple[int, Snapshot, Snapshot]:
        store = target.event_store()
        before = await _snapshot(pool, target.tables)
        with _progress() as progress:
            task = progress.add_task(f"replaying {target.name}'s events", total=None)
            replayed = await rebuild_read_models(
                pool, store, target.tables,
                lambda done, total: progress.update(task, completed=done, total=total),
            )  # fmt: skip
        after = await _snapshot(pool, target.tables)
        return replayed, before, after

    replayed, before, after = asyncio.run(_with_pool(target, work))
    differences = _differences(before, after)
    if as_json:
        _print_json(
            {
                "service": target.name,
                "replayed": replayed,
                "tables": list(target.tables),
                "equal": not differences,
                "differences": differences,
            }
        )
    else:
        out.print(f"replayed {replayed} events into {', '.join(target.tables)}")
        if differences:
            table = Table(title="read models that differ from before the rebuild")
            for column in ("table", "rows before", "rows after", "only before", "only after"):
                table.add_column(column)
            for name, diff in differences.items():
                table.add_row(name, *(str(value) for value in diff.values()))
            out.print(table)
        else:
            out.print("[green]equal[/green]: the read models are as they were before")
    if differences:
        raise typer.Exit(1)


# ---------------------------------------------------------------------------- dead letters


def _dlq_topic(consumer: ConsumerName, config: ConsoleSettings) -> str:
    return physical(dead_letter_topic(consumer.value), config.kafka_topic_namespace)


def _parse_ref(ref: str) -> tuple[int | None, int]:
    """``OFFSET`` or ``PARTITION:OFFSET``."""
    partition, _, offset = ref.rpartition(":")
    try:
        return (int(partition) if partition else None), int(offset)
    except ValueError:
        raise _fail(f"{ref!r} is not OFFSET or PARTITION:OFFSET") from None


def _one_letter(consumer: ConsumerName, ref: str, config: ConsoleSettings) -> kafka.DeadLetter:
    partition, offset = _parse_ref(ref)
    topic = _dlq_topic(consumer, config)
    try:
        letter = asyncio.run(
            kafka.read_dead_letter(config.kafka_bootstrap_servers, topic, partition, offset)
        )
    except ValueError as error:
        raise _fail(str(error)) from None
    if letter is None:
        raise _fail(f"no message at {ref} in {topic}")
    return letter


RefArgument = Annotated[
    str, typer.Argument(help="OFFSET, or PARTITION:OFFSET when several partitions have it.")
]


@dead_letters.command("list")
def list_dead_letters(consumer: ConsumerName, as_json: JsonOption = False) -> None:
    """The messages a consumer dead-lettered: where from, why, when."""
    config = ConsoleSettings()
    topic = _dlq_topic(consumer, config)

    async def run() -> list[kafka.DeadLetter]:
        with _progress() as progress:
            task = progress.add_task(f"reading {topic}", total=None)
            return await kafka.read_dead_letters(
                config.kafka_bootstrap_servers,
                topic,
                lambda done, total: progress.update(task, completed=done, total=total),
            )

    letters = asyncio.run(run())
    if as_json:
        _print_json({"topic": topic, "dead_letters": [letter.summary() for letter in letters]})
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


@dead_letters.command("show")
def show_dead_letter(consumer: ConsumerName, ref: RefArgument, as_json: JsonOption = False) -> None:
    """One dead letter: its headers and body."""
    letter = _one_letter(consumer, ref, ConsoleSettings())
    detail = letter.detail()
    if as_json:
        _print_json(detail)
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
            raise _fail(f"--fix-header takes NAME=VALUE, not {fix!r}")
        if name.startswith(kafka.DLQ_PREFIX):
            raise _fail(f"{name} is a dead-letter header; it is never replayed")
        overrides[name] = value
    return overrides


@dead_letters.command("replay")
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
        raise _fail(str(error)) from None
    out.print(f"replayed {letter.ref} (ce_id {letter.headers.get('ce_id')}) to {where}")
