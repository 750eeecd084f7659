"""What an erasure costs in intake's database when it holds 100,000 people: a rough measure,
not a benchmark with a baseline (``make bench`` does not run it).

A fresh database gets intake's migrations, ``--people`` registered people (arrivals through the
application's own use case, in batches of one transaction) and one stored request per arrival;
then ``--erasures`` of them are erased one transaction each, as the API does, with a merged
duplicate for every tenth. Prints the time per erasure and the plans of the statements that find
what to forget (merged records, stored requests carrying the person).

    uv run python -m benchmarks.erasure_cost --admin-url postgresql://postgres@127.0.0.1:5433/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import asyncpg

from services.intake.app import erase, merge, register_arrival
from services.intake.main import MIGRATIONS, event_store
from services.intake.partners import Partner, Scope
from services.intake.requests import ArrivalRequest
from services.intake.settings import DEVELOPMENT_MASTER_KEY
from services.intake.vault import Vault
from shared.eventstore import EventStore
from shared.idempotency import ids_in, remember
from shared.migrations import upgrade

PARTNER = Partner("wp-measure", "Measure", frozenset({Scope.REGISTER_ARRIVALS}))


def _arrival(index: int) -> ArrivalRequest:
    return ArrivalRequest.model_validate({
        "arrival_date": "2022-09-24", "crossing_point": "syrym", "keep_together": False,
        "members": [{"given_name": f"Имя{index}", "family_name": f"Фамилия{index}",
                     "birth_date": str(date(1980 + index % 20, 1 + index % 12, 1 + index % 28)),
                     "sex": "male", "documents": [{"type": "foreign_passport",
                                                    "number": f"M{index:08d}"}]}],
    })  # fmt: skip


async def _register(pool: asyncpg.Pool, store: EventStore, vault: Vault, people: int) -> list[UUID]:
    ids: list[UUID] = []
    for start in range(0, people, 500):
        async with pool.acquire() as conn, conn.transaction():
            for index in range(start, min(start + 500, people)):
                accepted = await register_arrival(
                    conn, store, vault, PARTNER, _arrival(index), datetime.now(UTC)
                )
                key, answer = f"measure-{index}", accepted.model_dump(mode="json")
                await conn.execute(
                    "INSERT INTO idempotency_keys (client_id, idempotency_key, request_hash) "
                    "VALUES ($1, $2, $3)", PARTNER.partner_id, key, "0" * 64,
                )  # fmt: skip
                await remember(conn, PARTNER.partner_id, key, 201, answer, ids_in(answer))
                ids.append(UUID(accepted.person_ids[0]))
        print(f"registered {len(ids)}", flush=True)
    return ids


async def measure(admin_url: str, people: int, erasures: int) -> None:
    name = f"erasure_cost_{uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rpartition("/")[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        vault = Vault.from_base64(DEVELOPMENT_MASTER_KEY)
        store = event_store(vault)
        ids = await _register(pool, store, vault, people)
        chosen = ids[:: max(1, len(ids) // erasures)][:erasures]
        async with pool.acquire() as conn, conn.transaction():  # every tenth has a duplicate
            for kept, duplicate in zip(chosen[::10], ids[1::10], strict=False):
                await merge(conn, store, duplicate, kept, datetime.now(UTC))
        async with pool.acquire() as conn:
            await conn.execute("ANALYZE")
            for label, sql in (
                ("merged records", "SELECT person_id FROM case_members WHERE merged_into = $1"),
                ("stored requests", "SELECT 1 FROM idempotency_keys WHERE carried_ids && $1"),
            ):
                argument = chosen[0] if label == "merged records" else [chosen[0]]
                plan = await conn.fetch(f"EXPLAIN ANALYZE {sql}", argument)
                print(f"-- {label}:\n" + "\n".join(row[0] for row in plan))
        took = []
        for person_id in chosen:
            started = time.perf_counter()
            async with pool.acquire() as conn, conn.transaction():
                await erase(conn, store, vault, person_id, datetime.now(UTC))
            took.append(time.perf_counter() - started)
        took.sort()
        print(f"{people} people, {len(took)} erasures: mean {statistics.mean(took) * 1000:.1f} ms,"
              f" median {took[len(took) // 2] * 1000:.1f} ms, p95 "
              f"{took[int(len(took) * 0.95)] * 1000:.1f} ms")  # fmt: skip
        await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5433/postgres")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--erasures", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.admin_url, arguments.people, arguments.erasures))


if __name__ == "__main__":
    main()
