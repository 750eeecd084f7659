"""``resettle journey``: one person's events across the services, with no personal data."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from rich.table import Table

from console.config import SERVICES, ConsoleSettings, with_pool
from console.terminal import JsonOption, fail, out, print_json
from shared.eventstore import PUBLIC_EVENT_TYPES

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

        for row in await with_pool(service, fetch):
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


def journey(person_id: UUID, as_json: JsonOption = False) -> None:
    """One person's events across the services, in time order, with trace links.

    No personal data is printed: intake's sealed events show their type and time only.
    """
    config = ConsoleSettings()
    entries = asyncio.run(_journey(person_id, config))
    if as_json:
        print_json({"person_id": str(person_id), "events": entries})
        return
    if not entries:
        raise fail(f"no events about {person_id}")
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
