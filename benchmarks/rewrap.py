"""What a master key rotation costs: ``rewrap-keys`` over N people, with its baseline.

    uv run python -m benchmarks.rewrap --people 1000 --people 100000

For each size, a fresh database at intake's newest migration is filled with N people as intake
holds them (a wrapped key under master key version 1, sealed details of about 300 bytes with
a document, their blind index entries), written with COPY; then ``rewrap_keys`` moves them all
to version 2, 500 per transaction, as the command does. Baseline, in the same run on the same
server: writing those rows in the first place (sealing, indexing and COPY). Reported per size:
seconds, seconds per 1,000 people, the ratio rewrap / baseline; a table on stdout and
``benchmarks/results/rewrap-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from benchmarks.common import database_url, machine_facts, shown, write_result
from services.intake.main import MIGRATIONS
from services.intake.projections import INDEX_COLUMNS, index_of
from services.intake.rotation import rewrap_keys
from services.intake.vault import NONCE_BYTES, MasterKeys, Vault
from shared.database import create_pool
from shared.migrations import upgrade

FILL_BATCH = 1000
OLD, NEW = os.urandom(32), os.urandom(32)


def person_payload(number: int) -> dict[str, Any]:
    born = date(1970, 1, 1) + timedelta(days=number % 15000)
    return {
        "details": {
            "given_name": f"Алексей{number % 997}", "family_name": f"Смирнов{number % 1009}",
            "patronymic": "Иванович", "birth_date": born.isoformat(), "sex": "male",
            "languages": ["ru"],
            "documents": [{"type": "foreign_passport", "number": f"75 {number:07d}",
                           "issuing_country": "RU"}],
        },
        "partner_reference": None,
    }  # fmt: skip


def sealed_for(vault: Vault, person_id: UUID, payload: Any) -> tuple[bytes, str]:
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(payload, ensure_ascii=False).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, person_id.bytes)
    return vault.wrap(person_id, key), base64.b64encode(sealed).decode()


async def fill(pool: asyncpg.Pool, people: int) -> None:
    """N people under version 1, as registrations would leave them."""
    vault = Vault(MasterKeys({1: OLD}, 1))
    arrival, now = uuid4(), datetime.now(UTC)
    for start in range(0, people, FILL_BATCH):
        keys, details, index = [], [], []
        for number in range(start, min(start + FILL_BATCH, people)):
            person_id, payload = uuid4(), person_payload(number)
            wrapped, sealed = sealed_for(vault, person_id, payload)
            keys.append((person_id, wrapped, 1))
            details.append((person_id, arrival, "wp-bench", 0, sealed, now))
            index.extend(index_of(vault, person_id, payload))
        async with pool.acquire() as conn, conn.transaction():
            await conn.copy_records_to_table(
                "person_keys", records=keys, columns=("person_id", "wrapped_key", "key_version")
            )
            await conn.copy_records_to_table(
                "person_details", records=details,
                columns=("person_id", "arrival_id", "partner_id", "member_index", "sealed",
                         "updated_at"),
            )  # fmt: skip
            await conn.copy_records_to_table("person_index", records=index, columns=INDEX_COLUMNS)


async def measure(admin_url: str, people: int) -> dict[str, Any]:
    name = f"bench_rewrap_{uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(admin_url, name)
    try:
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        pool = await create_pool(url, 2)
        try:
            started = time.perf_counter()
            await fill(pool, people)
            filled = time.perf_counter() - started
            async with pool.acquire() as conn:
                await conn.execute("ANALYZE")
            rotated = Vault(MasterKeys({1: OLD, 2: NEW}, 2))
            started = time.perf_counter()
            done = await rewrap_keys(pool, rotated)
            rewrapped = time.perf_counter() - started
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    assert done.versions == {2: people} and done.keys == people
    return {
        "people": people, "rewrap_s": round(rewrapped, 2), "baseline_fill_s": round(filled, 2),
        "rewrap_s_per_1000": round(rewrapped / people * 1000, 3),
        "ratio_rewrap_to_fill": round(rewrapped / filled, 2),
    }  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, action="append", help="sizes (repeatable)")
    args = parser.parse_args()
    started, machine = datetime.now(UTC), machine_facts()
    admin_url = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5433/postgres")
    rows = [await measure(admin_url, people) for people in args.people or [1000, 100_000]]
    print("people | rewrap s | s per 1,000 | fill (baseline) s | rewrap / fill")
    for row in rows:
        print(
            f"{row['people']:,} | {row['rewrap_s']} | {row['rewrap_s_per_1000']} | "
            f"{row['baseline_fill_s']} | {row['ratio_rewrap_to_fill']}"
        )
    result = {"results": rows, "machine": machine, "loadavg_at_end": os.getloadavg()}
    print(f"written to {shown(write_result(result, 'rewrap', started))}")


if __name__ == "__main__":
    asyncio.run(main())
