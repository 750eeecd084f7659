"""Schema migrations with Alembic: one migration history per service database.

Each service keeps its revisions in ``services/<name>/migrations``; its ``env.py`` calls
:func:`run_alembic_env`. A revision is a frozen file: it holds the DDL it ran, or calls the
released steps that several revisions run (``shared.schema_steps``, themselves frozen), never
an import of the live DDL; a change to a table is a new revision
(tests/unit/test_migrations_frozen.py, tests/unit/test_schema_steps.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def sqlalchemy_url(database_url: str) -> str:
    """asyncpg takes ``postgresql://``; SQLAlchemy needs the driver named."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+asyncpg://" + database_url[len(prefix) :]
    return database_url


def upgrade(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Bring a database to the newest revision, or to ``revision`` (blocking: call it off the
    event loop)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url))
    command.upgrade(config, revision)


def run_alembic_env() -> None:
    """The body of every service's ``env.py`` (online migrations over asyncpg)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "upgrade() sets sqlalchemy.url"

    def migrate(connection: Connection) -> None:
        # several instances of a service start together (replicas of one Deployment): one
        # migrates, the others wait here and then find the schema at head. A session lock, so
        # it outlives the commit below and ends with the connection.
        connection.exec_driver_sql("SELECT pg_advisory_lock(hashtext('alembic-upgrade'))")
        connection.commit()
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(main())


def run_sql(script: str) -> None:
    """Run a DDL script inside a revision, one statement at a time (asyncpg prepares each
    statement, and a prepared statement holds one command). Statements end with ';' at a line
    end; keep semicolons out of comments."""
    for statement in script.split(";\n"):
        if statement.strip() and not all(
            line.strip().startswith("--") or not line.strip() for line in statement.splitlines()
        ):
            op.execute(statement)
