"""Master key rotation: rewrap-keys moves every person key and index entry to the new version,
everyone stays readable and findable with only the new key, and a person erased before the
rotation stays erased for someone who kept the deleted wrapped key (old WAL, a base backup)
and for someone holding a dump made after the old master key is gone."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import glob
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.intake.queries import search_persons
from services.intake.rotation import keys_by_version, rewrap_keys
from services.intake.vault import NONCE_BYTES, MasterKeys, Vault
from tests.conftest import OPERATOR_KEY, RunningServices, build_app, settings_for
from tests.factories import arrival, person
from tests.stack import Stack

pytestmark = pytest.mark.integration

OLD_KEY = base64.b64encode(os.urandom(32)).decode()
NEW_KEY = base64.b64encode(os.urandom(32)).decode()
OPERATOR = {"X-API-Key": OPERATOR_KEY}
ERASED_NAME = "Стертый"
#: family names after a correction, one word each (search drops digits)
CORRECTED = ("Алексеева", "Борисова", "Васильева", "Григорьева", "Дмитриева")


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"master_keys": {1: OLD_KEY}}


async def register(services: RunningServices, *members: dict[str, Any]) -> list[str]:
    answer = await services.intake.post(
        "/v1/arrivals",
        json=arrival(*members, keep_together=False),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )
    assert answer.status_code == 201, answer.text
    return list(answer.json()["person_ids"])


def rewrap_keys_command(services: RunningServices, stack: Stack) -> str:
    """The operator's command, as a process configured like the service after the switch:
    both versions known, the new one current."""
    env = {
        **os.environ,
        "INTAKE_DATABASE_URL": services.databases["intake"],
        "INTAKE_MASTER_KEYS": f'{{"1": "{OLD_KEY}", "2": "{NEW_KEY}"}}',
        "INTAKE_MASTER_KEY_VERSION": "2",
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
    }
    env.pop("INTAKE_MASTER_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "services.intake.cli", "rewrap-keys", "--batch-size", "7"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_rewrap_moves_every_key_to_the_new_version_and_everyone_reads_with_it_alone(
    services: RunningServices, stack: Stack, namespace: str
) -> None:
    people = []
    for index in range(6):  # 24 people: several batches of 7
        people += await register(
            services, *(person(given=f"Ротация{index}", family=f"Семья{n}") for n in range(4))
        )
    corrected = await services.intake.post(
        f"/v1/persons/{people[0]}/corrections",
        json={"field": "family_name", "value": "Исправленная", "reason": "misread"},
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )
    assert corrected.status_code == 200, corrected.text
    async with services.pool("intake").acquire() as conn:
        assert await keys_by_version(conn) == {1: len(people)}

    printed = await asyncio.to_thread(rewrap_keys_command, services, stack)

    assert f"rewrapped {len(people)} person keys" in printed
    async with services.pool("intake").acquire() as conn:
        assert await keys_by_version(conn) == {2: len(people)}
        index_versions = await conn.fetch("SELECT DISTINCT key_version FROM person_index")
        assert [row["key_version"] for row in index_versions] == [2]
    # intake restarted with the new master key alone: the old one is gone from the settings
    settings = settings_for("intake", stack, services.databases, namespace)
    app = build_app("intake", {**settings, "master_keys": {2: NEW_KEY}})
    await app.state.runtime.start()
    try:
        async with _client(app) as intake:
            for person_id in people:
                seen = await intake.get(
                    f"/v1/persons/{person_id}", headers={"X-API-Key": services.partner_key}
                )
                assert seen.status_code == 200, seen.text
                assert seen.json()["personal"]["given_name"].startswith("Ротация"), seen.text
            found = await intake.post(
                "/v1/person-searches", json={"name": "Исправленная Ротация0"},
                headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
            )  # fmt: skip
            assert [hit["person_id"] for hit in found.json()] == [people[0]], found.text
    finally:
        await app.state.runtime.stop()


async def test_a_person_erased_before_a_rotation_opens_neither_from_old_copies_nor_a_dump(
    services: RunningServices, stack: Stack
) -> None:
    erased, kept = await register(
        services, person(given=ERASED_NAME, family="Беглецов"), person(given="Оставшийся")
    )
    async with services.pool("intake").acquire() as conn:
        # what an attacker keeps from an old WAL segment or base backup: the wrapped key
        stolen = await conn.fetchval(
            "SELECT wrapped_key FROM person_keys WHERE person_id = $1", UUID(erased)
        )
        sealed = await conn.fetchval(
            "SELECT sealed FROM person_details WHERE person_id = $1", UUID(erased)
        )
    assert ERASED_NAME in _open(_unwrap(stolen, OLD_KEY, erased), sealed, erased)  # the threat
    erasure = await services.intake.post(
        f"/v1/persons/{erased}/erasure", json={"reason": "the person asked"},
        headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert erasure.status_code == 200, erasure.text

    await asyncio.to_thread(rewrap_keys_command, services, stack)
    # the old master key is removed and destroyed: only the new one exists anywhere

    with pytest.raises(InvalidTag):
        _unwrap(stolen, NEW_KEY, erased)
    dump = await asyncio.to_thread(pg_dump, services.databases["intake"])
    assert sealed in dump  # the events keep the sealed details: only the key opens them
    assert stolen.hex() not in dump
    person_keys = copied_rows(dump, "person_keys")
    openings = []
    for row in person_keys:
        wrapped = bytes.fromhex(row["wrapped_key"].removeprefix("\\\\x"))
        for owner in (row["person_id"], erased):  # as stored, and tried against the erased
            with contextlib.suppress(InvalidTag):
                openings.append(_open(_unwrap(wrapped, NEW_KEY, owner), sealed, erased))
    assert openings == []
    assert [row["person_id"] for row in person_keys] == [kept]
    # and the dump's one key does open its own person: the search above could find a key
    kept_row = next(row for row in person_keys if row["person_id"] == kept)
    kept_key = _unwrap(bytes.fromhex(kept_row["wrapped_key"].removeprefix("\\\\x")), NEW_KEY, kept)
    async with services.pool("intake").acquire() as conn:
        kept_sealed = await conn.fetchval(
            "SELECT sealed FROM person_details WHERE person_id = $1", UUID(kept)
        )
    assert "Оставшийся" in _open(kept_key, kept_sealed, kept)
    # nor can the erased person be matched by the new index key: nothing indexes them
    vault = Vault(MasterKeys({2: base64.b64decode(NEW_KEY)}, 2))
    assert vault.blind("name", "стертый") not in dump
    assert ERASED_NAME not in dump


async def test_a_rewrap_beside_erasures_and_corrections_leaves_everyone_right(
    services: RunningServices, stack: Stack, namespace: str
) -> None:
    people = []
    for index in range(6):
        people += await register(
            services, *(person(given=f"Соседний{index}", family=f"Род{n}") for n in range(5))
        )
    erased, corrected = people[:5], people[5:10]
    settings = settings_for("intake", stack, services.databases, namespace)
    switched = build_app("intake", {**settings, "master_keys": {1: OLD_KEY, 2: NEW_KEY}})
    both = Vault(MasterKeys({1: base64.b64decode(OLD_KEY), 2: base64.b64decode(NEW_KEY)}, 2))
    await switched.state.runtime.start()
    try:
        async with _client(switched) as intake:

            async def meanwhile() -> None:
                for index, (gone, renamed) in enumerate(zip(erased, corrected, strict=True)):
                    answers = await asyncio.gather(
                        intake.post(f"/v1/persons/{gone}/erasure", json={"reason": "asked"},
                                    headers={**OPERATOR, "Idempotency-Key": str(uuid4())}),
                        intake.post(f"/v1/persons/{renamed}/corrections", json={
                            "field": "family_name", "value": CORRECTED[index],
                            "reason": "misread"}, headers=partner_headers(services)),
                    )  # fmt: skip
                    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]

            await asyncio.gather(rewrap_keys(services.pool("intake"), both, batch_size=3),
                                 meanwhile())  # fmt: skip
            await rewrap_keys(services.pool("intake"), both)  # whoever a race left behind
    finally:
        await switched.state.runtime.stop()

    new_only = Vault(MasterKeys({2: base64.b64decode(NEW_KEY)}, 2))
    async with services.pool("intake").acquire() as conn:
        assert await keys_by_version(conn) == {2: len(people) - len(erased)}
        assert await conn.fetchval("SELECT count(*) FROM person_index WHERE key_version <> 2") == 0
        left = await conn.fetchval(
            "SELECT count(*) FROM person_index WHERE person_id = ANY($1::uuid[])",
            [UUID(gone) for gone in erased],
        )
        assert left == 0
        for index, renamed in enumerate(corrected):
            found = await search_persons(conn, new_only, CORRECTED[index], None, 5)
            assert [hit["person_id"] for hit in found] == [renamed]


class PausedVault(Vault):
    """A vault whose rewrap stops where a batch has deleted its people's old index entries
    and not yet written the new ones, until the test lets it go on."""

    def __init__(self, master: MasterKeys) -> None:
        super().__init__(master)
        self.reached, self.go = asyncio.Event(), asyncio.Event()

    async def open_each(
        self, conn: asyncpg.Connection, sealed: Mapping[UUID, str]
    ) -> Iterator[tuple[UUID, Any]]:
        self.reached.set()
        await self.go.wait()
        return await super().open_each(conn, sealed)


async def test_an_erasure_that_waits_on_a_rewrap_batch_leaves_no_index_entry_of_the_person(
    services: RunningServices,
) -> None:
    erased, kept = await register(services, person(given=ERASED_NAME), person(given="Другой"))
    pool = services.pool("intake")
    paused = PausedVault(
        MasterKeys({1: base64.b64decode(OLD_KEY), 2: base64.b64decode(NEW_KEY)}, 2)
    )
    rewrap = asyncio.create_task(rewrap_keys(pool, paused))
    await asyncio.wait_for(paused.reached.wait(), 30)  # the batch holds both people
    erasing = services.intake.post(
        f"/v1/persons/{erased}/erasure", json={"reason": "asked"},
        headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    erasure = asyncio.create_task(erasing)
    await _until_someone_waits_on_a_lock(pool)  # the erasure, on a row the batch holds
    paused.go.set()
    await rewrap
    answer = await erasure
    assert answer.status_code == 200, answer.text

    async with pool.acquire() as conn:
        left = await conn.fetch(
            "SELECT person_id, key_version FROM person_index WHERE person_id = $1", UUID(erased)
        )
        assert left == []
        assert await conn.fetchval(
            "SELECT count(*) FROM person_index WHERE person_id = $1 AND key_version = 2",
            UUID(kept),
        ) > 0  # fmt: skip


async def _until_someone_waits_on_a_lock(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        for _ in range(600):
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the erasure never waited on the rewrap batch's rows")


def partner_headers(services: RunningServices) -> dict[str, str]:
    return {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}


def _unwrap(wrapped: bytes, master: str, person_id: str) -> bytes:
    wrapping = AESGCM(base64.b64decode(master))
    return wrapping.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], UUID(person_id).bytes)


def _open(data_key: bytes, sealed: str, person_id: str) -> str:
    raw = base64.b64decode(sealed)
    opened = AESGCM(data_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], UUID(person_id).bytes)
    return opened.decode()


def pg_dump(database_url: str) -> str:
    """The whole database as pg_dump writes it (the binary next to initdb)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    assert binaries, "pg_dump not found next to the PostgreSQL server binaries"
    done = subprocess.run(
        [binaries[-1], "--dbname", database_url], capture_output=True, text=True, check=True
    )
    return done.stdout


def copied_rows(dump: str, table: str) -> list[dict[str, str]]:
    """The rows of one table in a plain pg_dump (its COPY block)."""
    lines = dump.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"COPY public.{table} ("))
    columns = lines[start].split("(", 1)[1].split(")", 1)[0].split(", ")
    rows = []
    for line in lines[start + 1 :]:
        if line == "\\.":
            break
        rows.append(dict(zip(columns, line.split("\t"), strict=True)))
    return rows


def _client(app: Any) -> Any:
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")
