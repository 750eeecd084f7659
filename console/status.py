"""``resettle status``: each service's readiness, outbox backlog, consumer lag and dead letters."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
from aiokafka.errors import KafkaError
from rich.table import Table

from console import kafka
from console.config import SERVICES, ConsoleSettings, Service, with_pool
from console.terminal import JsonOption, out, print_json
from shared.topics import dead_letter_topic, physical

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
        backlog: int | str = await with_pool(service, _outbox_backlog)
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


def status(as_json: JsonOption = False) -> None:
    """Readiness, outbox backlog, consumer lag and dead letters of each service."""
    config = ConsoleSettings()

    async def run() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(_service_status(s, config) for s in SERVICES.values())))

    report = asyncio.run(run())
    if as_json:
        print_json({"services": report})
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
