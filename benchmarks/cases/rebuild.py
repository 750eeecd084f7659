"""rebuild: shared.rebuild on intake's read models vs R2 (asyncpg COPY of the same rows), and vs
the live projection path (events/s appended and projected during accept)."""

from __future__ import annotations

import contextlib
import os
import statistics
import time

from benchmarks.children import Child
from benchmarks.loadgen import closed_loop
from benchmarks.meters import CpuMeter, per_thousand, summed
from benchmarks.payloads import ROW_COLUMNS, Arrivals
from benchmarks.results import Measure, ratio_measure
from benchmarks.run import Run, interleaved, log, profiled, wait_for_relay
from benchmarks.workload import BASELINE_DDL


async def case_rebuild(run: Run, arrivals: Arrivals, intake: Child | None) -> None:
    from services.intake.main import event_store
    from services.intake.projections import READ_MODEL_TABLES
    from services.intake.settings import IntakeSettings
    from services.intake.vault import Vault
    from shared.database import create_pool
    from shared.rebuild import rebuild_read_models

    args = run.args
    if intake is None:  # fill an intake with the accept workload, unmeasured
        intake = await run.service("intake", "accept")
        host = "127.0.0.1"
        await closed_loop(
            host,
            intake.port,
            arrivals.requester(f"{host}:{intake.port}", intake.partner_key, "rebuild-fill"),
            concurrency=args.http_concurrency,
            count=args.rebuild_arrivals,
            expect=201,
        )
    assert intake.url is not None and intake.database is not None
    monitor = await run.monitor(intake.url)
    await wait_for_relay(monitor)
    await run.stop(intake)  # nothing else writes while rebuilding
    settings = IntakeSettings(database_url=intake.url)
    store = event_store(Vault.from_base64(settings.master_key.get_secret_value()))
    pool = await create_pool(intake.url, 2)
    columns = (*ROW_COLUMNS, "recorded_at")
    rows = [tuple(row) for row in await monitor.fetch(f"SELECT {', '.join(columns)} FROM events")]
    await monitor.execute(BASELINE_DDL.format(table="r2_events"))
    mine: list[float] = []
    theirs: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_theirs: list[dict[str, float | None]] = []
    replayed = 0
    try:
        for index, baseline_first in interleaved(args.rounds):
            for side in ("r2", "ours") if baseline_first else ("ours", "r2"):
                meter = CpuMeter({}, [intake.database], monitor)
                if side == "r2":
                    await monitor.execute("TRUNCATE r2_events")
                    await meter.start()
                    start = time.perf_counter()
                    await monitor.copy_records_to_table("r2_events", records=rows, columns=columns)
                    theirs.append(len(rows) / (time.perf_counter() - start))
                    cpu_theirs.append(await meter.stop())
                else:
                    await meter.start()
                    start = time.perf_counter()
                    with (
                        profiled(run, "rebuild", os.getpid())
                        if index == 1
                        else (contextlib.nullcontext())
                    ):
                        replayed = await rebuild_read_models(pool, store, READ_MODEL_TABLES)
                    mine.append(replayed / (time.perf_counter() - start))
                    cpu_mine.append(await meter.stop())
            log(f"rebuild round {index + 1}: {mine[-1]:.0f} events/s, R2 {theirs[-1]:.0f}/s")
    finally:
        await pool.close()
    run.measures.append(
        ratio_measure(
            "rebuild_vs_r2",
            f"shared.rebuild.rebuild_read_models of intake's read models ({replayed} events of "
            "the accept case, real projectors), one REPEATABLE READ transaction",
            "events/s",
            "R2 COPY of the same rows",
            mine,
            theirs,
            cpu_s_per_1000_events=per_thousand(summed(cpu_mine), replayed * len(mine)),
            baseline_cpu_s_per_1000_events=per_thousand(
                summed(cpu_theirs), len(rows) * len(theirs)
            ),
            details={"events": replayed, "r2_rows": len(rows)},
        )
    )
    live = run.shared.get("live_events_per_s")
    if live:
        run.measures.append(
            Measure(
                name="rebuild_vs_live_projection",
                what="the rebuild's events/s over the live path's: events appended and "
                "projected inline per second while http_accept ran",
                value=statistics.median(mine),
                unit="events/s",
                baseline="live projection (accept)",
                baseline_value=statistics.median(live),
                ratio=statistics.median(mine) / statistics.median(live),
                rounds=mine,
                baseline_rounds=list(live),
            )
        )


# --------------------------------------------------------------------------- main
