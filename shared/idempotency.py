"""Idempotency keys on POST, as payment APIs do them.

The same key with the same body returns the first answer and creates nothing new; the same key
with another body is refused. The key row is inserted first, in the request's transaction: a
concurrent retry waits on the unique index until the first one commits, then reads its answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.decider import in_transaction

SCHEMA_DDL = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    client_id text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, idempotency_key)
);
"""

MAX_KEY_LENGTH = 200


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """Hash of what the request asks for, independent of JSON key order and spacing."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    response: Any
    #: True when this is the answer to an earlier request with the same key
    replayed: bool = True


class KeyReusedWithOtherRequest(Exception):
    """The client sent another request under a key it already used."""


async def claim(
    conn: asyncpg.Connection, client_id: str, key: str, fingerprint: str
) -> StoredAnswer | None:
    """Claim ``key`` for this request inside the caller's transaction.

    Returns None when the key is new (go on, then :func:`remember` the answer), or the first
    answer when the same request was already handled. Raises KeyReusedWithOtherRequest.
    """
    claimed = await conn.fetchval(
        """
        INSERT INTO idempotency_keys (client_id, idempotency_key, request_hash)
        VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true
        """,
        client_id,
        key,
        fingerprint,
    )
    if claimed:
        return None
    row = await conn.fetchrow(
        """
        SELECT request_hash, status_code, response::text AS response FROM idempotency_keys
        WHERE client_id = $1 AND idempotency_key = $2
        """,
        client_id,
        key,
    )
    assert row is not None, "the conflicting row is committed once the insert returns"
    if row["request_hash"] != fingerprint:
        raise KeyReusedWithOtherRequest(key)
    return StoredAnswer(row["status_code"], json.loads(row["response"]))


async def remember(
    conn: asyncpg.Connection, client_id: str, key: str, status_code: int, response: Any
) -> None:
    """Store the answer to give to every retry of the claimed key."""
    await conn.execute(
        """
        UPDATE idempotency_keys SET status_code = $3, response = $4::jsonb
        WHERE client_id = $1 AND idempotency_key = $2
        """,
        client_id,
        key,
        status_code,
        json.dumps(response, default=str),
    )


async def run_once(
    pool: asyncpg.Pool,
    client_id: str,
    key: str,
    fingerprint: str,
    work: Callable[[asyncpg.Connection], Awaitable[tuple[int, Any]]],
) -> StoredAnswer:
    """Do ``work`` once per key: its events, its answer and the key commit together, so a
    request either happened with its key remembered, or not at all (and may be retried)."""

    async def attempt(conn: asyncpg.Connection) -> StoredAnswer:
        stored = await claim(conn, client_id, key, fingerprint)
        if stored is not None:
            return stored
        status_code, response = await work(conn)
        await remember(conn, client_id, key, status_code, response)
        return StoredAnswer(status_code, response, replayed=False)

    return await in_transaction(pool, attempt)
