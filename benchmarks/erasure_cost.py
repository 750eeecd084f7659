"""What an erasure costs in intake's database when it holds 100,000 people: a rough measure,
not a benchmark with a baseline (``make bench`` does not run it).

A fresh database gets intake's migrations and ``--people`` people: ``--erasures`` times two
registered through the application's own use case (each with its stored request; every tenth
erased one has a duplicate merged into it), the rest written with set-based SQL as the same
rows (case member, key, sealed details, index entries, two events, a stored request) so that
every table and index an erasure touches has the size it would have. Then the chosen people are
erased one transaction each, as the API does. Prints the time per erasure and the plans of the
statements that find what to forget (merged records, stored requests carrying the person).

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
from shared.idempotency import Claim, ids_in
from shared.migrations import upgrade

PARTNER = Partner("wp-measure", "Measure", frozenset({Scope.REGISTER_ARRIVALS}))


#: names are letters only (digits are not part of a name's words): index 12 -> "бв"
LETTERS = str.maketrans("0123456789", "абвгдежзик")

FILLER = """
CREATE TEMP TABLE filler AS
    SELECT gen_random_uuid() AS person_id, gen_random_uuid() AS arrival_id, n
    FROM generate_series(1, $1) AS n;
INSERT INTO cases (arrival_id, partner_id, member_count, keep_together, arrival_date,
                   crossing_point, registered_at, correlation_id)
    SELECT arrival_id, 'wp-filler', 1, false, '2022-09-24', 'syrym', now(), '' FROM filler;
INSERT INTO case_members (person_id, arrival_id, age_band, sex, relation, needs, languages, status)
    SELECT person_id, arrival_id, '18-29', 'male', 'self', '{}', '{ru}', 'active' FROM filler;
INSERT INTO person_keys (person_id, wrapped_key)
    SELECT person_id, decode(md5(n::text) || md5(n::text) || md5(n::text), 'hex') FROM filler;
INSERT INTO person_details (person_id, arrival_id, partner_id, member_index, sealed, updated_at)
    SELECT person_id, arrival_id, 'wp-filler', 0, repeat(md5(n::text), 12), now() FROM filler;
INSERT INTO person_index (person_id, kind, value)
    SELECT person_id, kind, md5(kind || n)
    FROM filler, unnest('{name,document,name_dob}'::text[]) AS kind;
INSERT INTO events (stream_id, version, event_id, event_type, schema_version, data, metadata)
    SELECT person_id::text, version, gen_random_uuid(), 'Filler', 1, '{}', '{}'
    FROM filler, generate_series(1, 2) AS version;
INSERT INTO idempotency_keys (client_id, idempotency_key, request_hash, status_code, response,
                              carried_ids)
    SELECT 'wp-filler', n::text, md5(n::text), 201, '{}', ARRAY[person_id, arrival_id]
    FROM filler;
"""


def _arrival(index: int) -> ArrivalRequest:
    return ArrivalRequest.model_validate({
        "arrival_date": "2022-09-24", "crossing_point": "syrym", "keep_together": False,
        "members": [{"given_name": "Имя" + str(index).translate(LETTERS), "family_name": "Фамилия",
                     "birth_date": str(date(1980 + index % 20, 1 + index % 12, 1 + index % 28)),
                     "sex": "male", "documents": [{"type": "foreign_passport",
                                                    "number": f"M{index:08d}"}]}],
    })  # fmt: skip


async def _register(pool: asyncpg.Pool, store: EventStore, vault: Vault, people: int) -> list[UUID]:
    ids: list[UUID] = []
    for start in range(0, people, 100):
        async with pool.acquire() as conn, conn.transaction():
            for index in range(start, min(start + 100, people)):
                # the arrival claims its key and remembers its answer, as a request does
                claim = Claim(PARTNER.partner_id, f"measure-{index}", "0" * 64, ids_in)
                accepted = await register_arrival(
                    conn, store, vault, PARTNER, _arrival(index), datetime.now(UTC), claim
                )
                ids.append(UUID(accepted.response["person_ids"][0]))
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
        ids = await _register(pool, store, vault, 2 * erasures)
        async with pool.acquire() as conn:
            for statement in FILLER.split(";\n"):
                if statement.strip():
                    await conn.execute(statement.replace("$1", str(people - len(ids))))
        chosen = ids[::2]
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
