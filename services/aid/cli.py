"""Operator commands for aid: ``python -m services.aid.cli --help``."""

from __future__ import annotations

import asyncio

import typer
from rich.progress import Progress

from services.aid.main import MIGRATIONS, event_store
from services.aid.projections import READ_MODEL_TABLES
from services.aid.settings import AidSettings
from shared.database import create_pool
from shared.migrations import upgrade
from shared.rebuild import rebuild_read_models

cli = typer.Typer(help="Aid's operator commands: read-model rebuilds.")


@cli.callback()
def aid() -> None:
    """Aid's operator commands (configured like the service: AID_DATABASE_URL ...)."""


@cli.command("rebuild")
def rebuild() -> None:
    """Rebuild aid's read models from its event store, with progress."""

    async def run() -> int:
        settings = AidSettings()
        await asyncio.to_thread(upgrade, settings.database_url, MIGRATIONS)
        pool = await create_pool(settings.database_url, 2)
        try:
            with Progress() as progress:
                task = progress.add_task("replaying events", total=None)
                return await rebuild_read_models(
                    pool, event_store(), READ_MODEL_TABLES,
                    lambda done, total: progress.update(task, completed=done, total=total),
                )  # fmt: skip
        finally:
            await pool.close()

    typer.echo(f"replayed {asyncio.run(run())} events into {', '.join(READ_MODEL_TABLES)}")


if __name__ == "__main__":
    cli()
