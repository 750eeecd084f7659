"""Operator commands for intake's partners: ``python -m services.intake.cli --help``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import asyncpg
import typer

from services.intake.main import MIGRATIONS
from services.intake.partners import Scope, create_partner
from services.intake.settings import IntakeSettings
from shared.database import create_pool
from shared.migrations import upgrade

cli = typer.Typer(help="Manage the partner organisations that may post to intake.")


@cli.callback()
def intake() -> None:
    """Intake's operator commands (the full console comes with the operators' issue)."""


@cli.command("add-partner")
def add_partner(
    partner_id: Annotated[str, typer.Argument(help="Short id, e.g. 'welcome-point-syrym'.")],
    name: Annotated[str, typer.Option(help="Organisation name.")],
    scope: Annotated[
        list[Scope] | None, typer.Option(help="Scopes to grant (repeat the option).")
    ] = None,
    rotate: Annotated[
        bool, typer.Option(help="If the partner exists, replace its key (the old one stops).")
    ] = False,
) -> None:
    """Register a partner and print its API key once (only its hash is stored)."""
    scopes = set(scope or [Scope.REGISTER_ARRIVALS, Scope.READ_OWN_CASES])

    async def run() -> str:
        settings = IntakeSettings()
        await asyncio.to_thread(upgrade, settings.database_url, MIGRATIONS)
        pool = await create_pool(settings.database_url, 2)
        try:
            async with pool.acquire() as conn:
                return await create_partner(conn, partner_id, name, scopes, rotate_if_exists=rotate)
        finally:
            await pool.close()

    try:
        typer.echo(asyncio.run(run()))
    except asyncpg.UniqueViolationError:
        typer.echo(
            f"partner {partner_id!r} exists already; add --rotate to issue it a new key", err=True
        )
        raise typer.Exit(1) from None


if __name__ == "__main__":
    cli()
