"""accept: POST /v1/arrivals on the real intake process vs R0 (FastAPI + uvicorn, 202); its
rounds (``accept_rounds``) also serve the tracing case."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from benchmarks.children import Child
from benchmarks.loadgen import closed_loop
from benchmarks.meters import CpuMeter, per_thousand, summed
from benchmarks.payloads import Arrivals
from benchmarks.results import ratio_measure
from benchmarks.run import Run, count_events, interleaved, log, wait_for_relay


async def accept_rounds(
    run: Run,
    arrivals: Arrivals,
    ours: Child,
    theirs: Child,
    their_expect: int,
    label: str,
) -> tuple[list[float], list[float], dict[str, Any]]:
    """Interleaved closed-loop rounds of POST /v1/arrivals on ``ours`` (an intake) and
    ``theirs`` (R0 or another intake); each intake round ends when its relay has drained."""
    args = run.args
    host = "127.0.0.1"
    mine: list[float] = []
    other: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_other: list[dict[str, float | None]] = []
    live_rates: list[float] = []
    counts = {"ours": 0, "theirs": 0}
    monitors: dict[str, asyncpg.Connection] = {}
    for child in (ours, theirs):
        if child.url:
            monitors[child.name] = await run.monitor(child.url)

    async def one(
        child: Child,
        expect: int,
        into: list[float],
        cpu_into: list[dict[str, float | None]],
        side: str,
    ) -> None:
        monitor = monitors.get(child.name)
        databases = [child.database] if child.database else []
        process = "intake" if child.partner_key and child.name == "accept" else child.name
        meter = CpuMeter({process: child.pid}, databases, monitor or run.admin)
        before = await count_events(monitor) if monitor else 0
        await meter.start()
        result = await closed_loop(
            host,
            child.port,
            arrivals.requester(f"{host}:{child.port}", child.partner_key, f"{label}-{child.name}"),
            concurrency=args.http_concurrency,
            seconds=args.http_seconds,
            expect=expect,
        )
        if monitor is not None:
            stored = await count_events(monitor) - before
            live_rates.append(stored / result.seconds)
            await wait_for_relay(monitor)
        cpu_into.append(await meter.stop())
        if result.failed:
            raise RuntimeError(
                f"{child.name}: {result.failed} failed, first {result.first_failure}"
            )
        into.append(result.rate)
        counts[side] += result.ok

    profile = run.profiler(label, ours.pid)
    for index, baseline_first in interleaved(args.rounds):
        if index == 1:
            profile.start(ours.pid)
        order = ("theirs", "ours") if baseline_first else ("ours", "theirs")
        for side in order:
            if side == "ours":
                await one(ours, 201, mine, cpu_mine, "ours")
            else:
                await one(theirs, their_expect, other, cpu_other, "theirs")
        if index == 1:
            profile.stop()
        log(
            f"{label} round {index + 1}: {ours.name} {mine[-1]:.0f}/s, "
            f"{theirs.name} {other[-1]:.0f}/s"
        )
    return (
        mine,
        other,
        {
            "cpu_mine": per_thousand(summed(cpu_mine), counts["ours"]),
            "cpu_theirs": per_thousand(summed(cpu_other), counts["theirs"]),
            "live_events_per_s": live_rates,
        },
    )


async def case_accept(run: Run, arrivals: Arrivals) -> Child:
    intake, r0 = await asyncio.gather(run.service("intake", "accept"), run.r0())
    mine, theirs, extra = await accept_rounds(run, arrivals, intake, r0, 202, "http_accept")
    await run.stop(r0)
    live = extra["live_events_per_s"]
    run.shared["live_events_per_s"] = live[: len(mine)]
    run.measures.append(
        ratio_measure(
            "http_accept",
            "POST /v1/arrivals (about 0.9 KB, 1-3 people) answered 201 with the append "
            f"committed; {run.args.http_concurrency} keep-alive connections, closed loop",
            "arrivals/s",
            "R0 FastAPI 202",
            mine,
            theirs,
            cpu_s_per_1000_events=extra["cpu_mine"],
            baseline_cpu_s_per_1000_events=extra["cpu_theirs"],
            details={
                "events_appended_per_s": live,
                "round_seconds": run.args.http_seconds,
                "cpu_unit": "per 1000 requests (arrivals)",
            },
        )
    )
    return intake
