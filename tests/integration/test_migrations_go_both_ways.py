"""A revision that can be undone is undone cleanly, and one that cannot says so. An operator
who rolls a release back runs the downgrades; one that fails half-way leaves the database
between two schemas at 3 a.m. Revisions that touch the event store or an erasure refuse to go
back (restore from a backup); the others must leave exactly the schema they started from.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from shared.migrations import sqlalchemy_url, upgrade

pytestmark = pytest.mark.integration
SERVICES = Path(__file__).parents[2] / "services"

#: the schema as the catalogue has it: tables, columns, constraints and indexes by name
SCHEMA = """
SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
    SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type,
                  is_nullable, coalesce(column_default, '')) AS line
    FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
) AS schema
"""


def migrations(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SERVICES / service / "migrations"))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url))
    return config


async def schema_of(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(await conn.fetchval(SCHEMA) or "")
    finally:
        await conn.close()


async def revision_of(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(await conn.fetchval("SELECT version_num FROM alembic_version"))
    finally:
        await conn.close()


#: the revisions with a real downgrade (the rest refuse theirs)
UNDONE = [
    ("intake", "0009", "0008"),
    ("intake", "0012", "0011"),
    ("housing", "0008", "0007"),
    ("housing", "0009", "0008"),
    ("housing", "0010", "0009"),
]


@pytest.mark.parametrize(("service", "revision", "before"), UNDONE)
async def test_a_revision_with_a_downgrade_leaves_the_schema_it_started_from(
    databases: dict[str, str], service: str, revision: str, before: str
) -> None:
    url = databases[service]
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations", before)
    schema_before = await schema_of(url)
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations", revision)
    assert await schema_of(url) != schema_before

    await asyncio.to_thread(command.downgrade, migrations(service, url), before)
    assert await revision_of(url) == before
    assert await schema_of(url) == schema_before

    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations", revision)
    assert await revision_of(url) == revision


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
async def test_going_back_past_an_irreversible_revision_is_refused_and_changes_nothing(
    databases: dict[str, str], service: str
) -> None:
    url = databases[service]
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations")
    at_head, head = await schema_of(url), await revision_of(url)
    undone = {undone_before for name, _, undone_before in UNDONE if name == service}
    config = migrations(service, url)
    if undone:  # first the revisions that can go back, then the one that refuses
        await asyncio.to_thread(command.downgrade, config, min(undone))
    with pytest.raises(NotImplementedError, match="restore from a backup"):
        await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations")
    assert (await revision_of(url), await schema_of(url)) == (head, at_head)
