"""The consumers' inbox (shared.consumer): the ids of the events a service has handled, each
recorded in the transaction that handles it, so that a redelivered event is skipped."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

_RECORD_ONE = """
INSERT INTO inbox (event_id, topic, kafka_partition, kafka_offset)
VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING true
"""
_RECORD_MANY = """
INSERT INTO inbox (event_id, topic, kafka_partition, kafka_offset)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[])
ON CONFLICT (event_id) DO NOTHING RETURNING event_id
"""

#: what the inbox keeps of one message: event id, logical topic, partition, offset
Entry = tuple[UUID, str, int, int]


async def record_one(conn: asyncpg.Connection, entry: Entry) -> bool:
    """Record one event; False if it was there already."""
    return bool(await conn.fetchval(_RECORD_ONE, *entry))


async def record_batch(conn: asyncpg.Connection, entries: Sequence[Entry]) -> list[bool]:
    """Record a batch's events in one statement, not one round trip each (two of a housing
    event's six were the inbox's); for each, in order, whether it is new: not there before,
    and not an earlier message of this batch (a page the relay sent again)."""
    columns = list(zip(*entries, strict=True)) if entries else [(), (), (), ()]
    new = {row["event_id"] for row in await conn.fetch(_RECORD_MANY, *map(list, columns))}
    firsts = []
    for event_id, *_ in entries:
        firsts.append(event_id in new)
        new.discard(event_id)
    return firsts
