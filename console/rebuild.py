"""``resettle rebuild``: a service's read models rebuilt from its events, compared with before."""

from __future__ import annotations

import asyncio
from enum import StrEnum

import asyncpg
import typer
from rich.table import Table

from console.config import SERVICES, with_pool
from console.terminal import JsonOption, out, print_json, progress_bar
from shared.rebuild import rebuild_read_models


class ServiceName(StrEnum):
    intake = "intake"
    housing = "housing"
    aid = "aid"


Snapshot = dict[str, list[str]]


async def _snapshot(pool: asyncpg.Pool, tables: tuple[str, ...]) -> Snapshot:
    """Every read-model row as text, sorted, in one consistent snapshot."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return {
            table: [row[0] for row in await conn.fetch(f"SELECT t::text FROM {table} t ORDER BY 1")]
            for table in tables
        }


def _differences(before: Snapshot, after: Snapshot) -> dict[str, dict[str, int]]:
    changed: dict[str, dict[str, int]] = {}
    for table in before:
        if before[table] != after.get(table):
            old, new = set(before[table]), set(after.get(table, []))
            changed[table] = {
                "rows_before": len(before[table]),
                "rows_after": len(after.get(table, [])),
                "only_before": len(old - new),
                "only_after": len(new - old),
            }
    return changed


def rebuild(service: ServiceName, as_json: JsonOption = False) -> None:
    """Rebuild a service's read models from its events and check they equal those before.

    Exits 1 naming the tables that differ (a repaired or a damaged read model).
    """
    target = SERVICES[service.value]

    async def work(pool: asyncpg.Pool) -> tuple[int, Snapshot, Snapshot]:
        store = target.event_store()
        before = await _snapshot(pool, target.tables)
        with progress_bar() as progress:
            task = progress.add_task(f"replaying {target.name}'s events", total=None)
            replayed = await rebuild_read_models(
                pool, store, target.tables,
                lambda done, total: progress.update(task, completed=done, total=total),
            )  # fmt: skip
        after = await _snapshot(pool, target.tables)
        return replayed, before, after

    replayed, before, after = asyncio.run(with_pool(target, work))
    differences = _differences(before, after)
    if as_json:
        print_json(
            {
                "service": target.name,
                "replayed": replayed,
                "tables": list(target.tables),
                "equal": not differences,
                "differences": differences,
            }
        )
    else:
        out.print(f"replayed {replayed} events into {', '.join(target.tables)}")
        if differences:
            table = Table(title="read models that differ from before the rebuild")
            for column in ("table", "rows before", "rows after", "only before", "only after"):
                table.add_column(column)
            for name, diff in differences.items():
                table.add_row(name, *(str(value) for value in diff.values()))
            out.print(table)
        else:
            out.print("[green]equal[/green]: the read models are as they were before")
    if differences:
        raise typer.Exit(1)
