"""Operator commands for intake: ``python -m services.intake.cli --help``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from uuid import UUID

import asyncpg
import typer
from rich.progress import Progress

from services.intake.app import erase
from services.intake.main import MIGRATIONS, event_store
from services.intake.partners import Scope, create_partner, is_partner_id, revoke, rotate_key
from services.intake.projections import READ_MODEL_TABLES
from services.intake.rotation import BATCH_SIZE, Rewrapped, rewrap_keys
from services.intake.settings import IntakeSettings
from services.intake.vault import MasterKeyMissing, Vault
from shared.database import create_pool
from shared.decider import in_transaction
from shared.decision import DomainError
from shared.migrations import upgrade
from shared.rebuild import rebuild_read_models

cli = typer.Typer(
    help="Intake's operator commands: partners, erasure, read-model rebuilds, master key rotation."
)
T = TypeVar("T")


@cli.callback()
def intake() -> None:
    """Intake's operator commands (configured like the service: INTAKE_DATABASE_URL ...)."""


def _with_pool(work: Callable[[asyncpg.Pool, IntakeSettings], Awaitable[T]]) -> T:
    async def run() -> T:
        settings = IntakeSettings()
        await asyncio.to_thread(upgrade, settings.database_url, MIGRATIONS)
        pool = await create_pool(settings.database_url, 2)
        try:
            return await work(pool, settings)
        finally:
            await pool.close()

    return asyncio.run(run())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@cli.command("add-partner")
def add_partner(
    partner_id: Annotated[str, typer.Argument(help="Short id, e.g. 'welcome-point-syrym'.")],
    name: Annotated[str, typer.Option(help="Organisation name.")],
    scope: Annotated[
        list[Scope] | None, typer.Option(help="Scopes to grant (repeat the option).")
    ] = None,
    rotate: Annotated[
        bool,
        typer.Option(help="If the partner exists, also replace its name and scopes by these."),
    ] = False,
) -> None:
    """Register a partner and print its API key once (only its hash is stored).

    Run again for a partner that exists, it prints a new key (the old one stops at once) and
    keeps the partner's name and scopes, so the README's first call can be run twice."""
    scopes = set(scope or [Scope.REGISTER_ARRIVALS, Scope.READ_OWN_CASES])
    if not is_partner_id(partner_id):
        raise _fail(
            f"{partner_id!r} is not a partner id: 2 to 63 lowercase letters, digits and "
            "hyphens, starting with a letter or digit (it is published on the topics)"
        )

    async def work(pool: asyncpg.Pool, _: IntakeSettings) -> tuple[str, bool]:
        async with pool.acquire() as conn, conn.transaction():
            exists = await conn.fetchval(
                "SELECT true FROM partners WHERE partner_id = $1 FOR UPDATE", partner_id
            )
            if exists and not rotate:
                key = await rotate_key(conn, partner_id)
                assert key is not None  # the row is locked: it cannot have gone
                return key, True
            key = await create_partner(conn, partner_id, name, scopes, rotate_if_exists=rotate)
            return key, bool(exists)

    try:
        key, existed = _with_pool(work)
    except asyncpg.UniqueViolationError:  # registered by someone else in the same instant
        raise _fail(f"partner {partner_id!r} was just registered; run the command again") from None
    if existed:
        typer.echo(f"partner {partner_id!r} exists: a new key, the old one stops now", err=True)
    typer.echo(key)


@cli.command("rotate-key")
def rotate(partner_id: str) -> None:
    """Issue a new key to a partner and print it; the old key stops at once."""

    async def work(pool: asyncpg.Pool, _: IntakeSettings) -> str | None:
        async with pool.acquire() as conn:
            return await rotate_key(conn, partner_id)

    key = _with_pool(work)
    if key is None:
        raise _fail(f"no partner {partner_id!r}")
    typer.echo(key)


@cli.command("revoke-partner")
def revoke_partner(partner_id: str) -> None:
    """Stop a partner's key (rotate-key gives it a new one)."""

    async def work(pool: asyncpg.Pool, _: IntakeSettings) -> bool:
        async with pool.acquire() as conn:
            return await revoke(conn, partner_id)

    if not _with_pool(work):
        raise _fail(f"no partner {partner_id!r}")
    typer.echo(f"revoked {partner_id}")


@cli.command("erase-person")
def erase_person(
    person_id: UUID,
    reason: Annotated[
        str | None, typer.Option(help="Accepted for old scripts; not kept (it may name them).")
    ] = None,
) -> None:
    """Erase a person and the records merged into them: their key is destroyed (events stay,
    unreadable), stored requests that carried them are neutralised, and housing and aid
    forget their free text when the erasure reaches them."""

    async def work(pool: asyncpg.Pool, settings: IntakeSettings) -> int:
        vault = Vault(settings.master_keyring())
        store = event_store(vault)
        return await in_transaction(
            pool, lambda conn: erase(conn, store, vault, person_id, datetime.now(UTC))
        )

    try:
        changed = _with_pool(work)
    except DomainError as error:
        raise _fail(str(error)) from None
    typer.echo(f"erased {person_id}" if changed else f"{person_id} was erased already")


@cli.command("rebuild")
def rebuild() -> None:
    """Rebuild intake's read models from its event store, with progress."""

    async def work(pool: asyncpg.Pool, settings: IntakeSettings) -> int:
        store = event_store(Vault(settings.master_keyring()))
        with Progress() as progress:
            task = progress.add_task("replaying events", total=None)
            return await rebuild_read_models(
                pool, store, READ_MODEL_TABLES,
                lambda done, total: progress.update(task, completed=done, total=total),
            )  # fmt: skip

    typer.echo(f"replayed {_with_pool(work)} events into {', '.join(READ_MODEL_TABLES)}")


@cli.command("rewrap-keys")
def rewrap(
    batch_size: Annotated[int, typer.Option(min=1, help="People per transaction.")] = BATCH_SIZE,
) -> None:
    """Rewrap every person key, and reindex every person, under the current master key version
    (INTAKE_MASTER_KEY_VERSION), with progress; then the older versions can be removed from
    INTAKE_MASTER_KEYS and destroyed (README, Rotating the master key)."""

    async def work(pool: asyncpg.Pool, settings: IntakeSettings) -> tuple[int, Rewrapped]:
        vault = Vault(settings.master_keyring())
        with Progress() as progress:
            task = progress.add_task(f"rewrapping under version {vault.current}", total=None)
            done = await rewrap_keys(
                pool, vault,
                lambda done, total: progress.update(task, completed=done, total=total),
                batch_size,
            )  # fmt: skip
        return vault.current, done

    try:
        current, done = _with_pool(work)
    except MasterKeyMissing as error:
        raise _fail(str(error)) from None
    typer.echo(f"rewrapped {done.keys} person keys and reindexed {done.reindexed} people")
    older = sorted(version for version in done.versions if version != current)
    if older:
        raise _fail(f"keys are still under versions {older}: run rewrap-keys again")
    typer.echo(
        f"every person key is under master key version {current}: remove the other versions "
        f"from INTAKE_MASTER_KEYS (and INTAKE_MASTER_KEY), then destroy them once every backup "
        f"made under them has expired"
    )


if __name__ == "__main__":
    cli()
