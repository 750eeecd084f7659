"""Master key rotation: every living person key rewrapped, and every person reindexed, under the
vault's current master key version, a batch per transaction.

Why: erasure deletes a person's wrapped key, but the deleted row lives on in WAL segments and
base backups made before it, and with the master key of that time the person is readable
again. Once every living key is under a new version, the old master key can be removed from
the settings and destroyed, and those old copies become noise (README, Rotating the master key).

A running service may keep working during a rewrap: a batch locks the rows it rewraps (the
keys, and the sealed details it reindexes from) and lookups try every configured version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from services.intake.projections import INDEX_COLUMNS, index_of
from services.intake.vault import Vault

#: people per transaction: short enough not to hold up registrations, long enough to be cheap
BATCH_SIZE = 500


@dataclass(frozen=True)
class Rewrapped:
    keys: int
    reindexed: int
    #: person keys per master key version, after the rewrap
    versions: dict[int, int]


async def keys_by_version(conn: asyncpg.Connection) -> dict[int, int]:
    rows = await conn.fetch(
        "SELECT key_version, count(*) AS n FROM person_keys GROUP BY 1 ORDER BY 1"
    )
    return {row["key_version"]: row["n"] for row in rows}


async def _behind(conn: asyncpg.Connection, current: int) -> int:
    """People whose key or index entries are under another version than the current one."""
    count: int = await conn.fetchval(
        """
        SELECT count(*) FROM (
            SELECT person_id FROM person_keys WHERE key_version <> $1
            UNION SELECT person_id FROM person_index WHERE key_version <> $1) behind
        """,
        current,
    )
    return count


#: who is still behind, in person id order from ``after`` on: both walk a primary key in order
#: and stop at the batch's end, where a union of the two would sort both tables every batch
_KEYS_BEHIND = """
SELECT person_id FROM person_keys WHERE key_version <> $1 AND ($2::uuid IS NULL OR person_id > $2)
ORDER BY person_id LIMIT $3
"""
_INDEX_BEHIND = """
SELECT DISTINCT person_id FROM person_index
WHERE key_version <> $1 AND ($2::uuid IS NULL OR person_id > $2) ORDER BY person_id LIMIT $3
"""


async def _batches(
    conn: asyncpg.Connection, current: int, batch_size: int
) -> AsyncIterator[list[UUID]]:
    """People whose key is behind, then people whose index entries alone are behind (made by
    an instance that had not switched yet)."""
    for query in (_KEYS_BEHIND, _INDEX_BEHIND):
        after: UUID | None = None
        while rows := await conn.fetch(query, current, after, batch_size):
            people = [row["person_id"] for row in rows]
            yield people
            after = people[-1]


async def _rewrap_batch(conn: asyncpg.Connection, vault: Vault, people: list[UUID]) -> int:
    """Rewrap and reindex these people in one transaction; the number of keys rewrapped.
    A person erased meanwhile has no key any more and is skipped."""
    async with conn.transaction():
        # details, then keys: the order an erasure takes them in (its projection deletes the
        # details, then the index, then the key is destroyed). The details are locked before
        # they are read, so a correction or an erasure being projected is wholly before this
        # batch or wholly after it: either touches a person's index only once it holds their
        # details, and so never misses the entries a batch writes
        details = await conn.fetch(
            "SELECT person_id, sealed FROM person_details WHERE person_id = ANY($1::uuid[]) "
            "ORDER BY person_id FOR UPDATE",
            people,
        )
        keys = await conn.fetch(
            "SELECT person_id, wrapped_key, key_version FROM person_keys "
            "WHERE person_id = ANY($1::uuid[]) ORDER BY person_id FOR UPDATE",
            people,
        )
        rewrapped = [
            (person_id, vault.wrap(person_id, vault.unwrap(person_id, wrapped, version)))
            for person_id, wrapped, version in keys
            if version != vault.current
        ]
        await conn.execute(
            """
            UPDATE person_keys k SET wrapped_key = u.wrapped, key_version = $3
            FROM unnest($1::uuid[], $2::bytea[]) AS u(person_id, wrapped)
            WHERE k.person_id = u.person_id
            """,
            [person_id for person_id, _ in rewrapped],
            [wrapped for _, wrapped in rewrapped],
            vault.current,
        )
        # the index is rebuilt from the sealed details; a person without a key is erased and
        # keeps no entries at all
        sealed = {row["person_id"]: row["sealed"] for row in details}
        keyed = {row["person_id"] for row in keys}
        stale = [person for person in people if person in sealed or person not in keyed]
        await conn.execute("DELETE FROM person_index WHERE person_id = ANY($1::uuid[])", stale)
        opened = await vault.open_each(conn, sealed)
        await conn.copy_records_to_table(
            "person_index",
            records=[row for person_id, payload in opened
                     for row in index_of(vault, person_id, payload)],
            columns=INDEX_COLUMNS,
        )  # fmt: skip
    return len(rewrapped)


async def rewrap_keys(
    pool: asyncpg.Pool,
    vault: Vault,
    progress: Callable[[int, int], None] = lambda done, total: None,
    batch_size: int = BATCH_SIZE,
) -> Rewrapped:
    """Bring every person key and index entry under the vault's current master key version.
    Safe to stop and run again: it picks up whoever is still behind."""
    async with pool.acquire() as conn:
        total = await _behind(conn, vault.current)
        progress(0, total)
        done = keys = 0
        async for people in _batches(conn, vault.current, batch_size):
            for attempt in range(1, 4):
                try:
                    keys += await _rewrap_batch(conn, vault, people)
                    break
                except asyncpg.DeadlockDetectedError:  # with a request on the same people
                    if attempt == 3:
                        raise
            done += len(people)
            progress(done, max(total, done))
        return Rewrapped(keys=keys, reindexed=done, versions=await keys_by_version(conn))
