"""accept: POST /v1/arrivals on the real intake process vs R0 (FastAPI + uvicorn, 202) and vs
R5 (FastAPI + uvicorn, intake's request model, one INSERT committed, 201); its rounds
(``accept_rounds``) also serve the tracing case."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from benchmarks.children import Child
from benchmarks.loadgen import closed_loop
from benchmarks.meters import CpuMeter, per_thousand, summed
from benchmarks.payloads import Arrivals
from benchmarks.results import ratio_measure
from benchmarks.run import Run, count_events, interleaved, log, wait_for_relay


@dataclass
class Side:
    """One process under the HTTP load, what it must answer, and its figures per round."""

    child: Child
    expect: int
    rates: list[float] = field(default_factory=list)
    cpu: list[dict[str, float | None]] = field(default_factory=list)
    answered: int = 0

    def cpu_per_thousand(self) -> dict[str, float | None]:
        return per_thousand(summed(self.cpu), self.answered)


async def accept_rounds(
    run: Run, arrivals: Arrivals, ours: Side, baselines: Sequence[Side], label: str
) -> list[float]:
    """Interleaved closed-loop rounds of POST /v1/arrivals on ``ours`` (an intake) and each
    baseline (R0, R5 or another intake), the baselines first in odd rounds and last in even
    ones; each intake round ends when its relay has drained. Returns the events intake
    appended per second in each of its rounds."""
    args = run.args
    host = "127.0.0.1"
    live_rates: list[float] = []
    monitors: dict[str, asyncpg.Connection] = {}
    for side in (ours, *baselines):
        if side.child.url:
            monitors[side.child.name] = await run.monitor(side.child.url)

    async def one(side: Side) -> None:
        child = side.child
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
            expect=side.expect,
        )
        if monitor is not None:
            stored = await count_events(monitor) - before
            live_rates.append(stored / result.seconds)
            await wait_for_relay(monitor)
        side.cpu.append(await meter.stop())
        if result.failed:
            raise RuntimeError(
                f"{child.name}: {result.failed} failed, first {result.first_failure}"
            )
        side.rates.append(result.rate)
        side.answered += result.ok

    profile = run.profiler(label, ours.child.pid)
    for index, baseline_first in interleaved(args.rounds):
        if index == 1:
            profile.start(ours.child.pid)
        for side in (*baselines, ours) if baseline_first else (ours, *baselines):
            await one(side)
        if index == 1:
            profile.stop()
        others = ", ".join(f"{side.child.name} {side.rates[-1]:.0f}/s" for side in baselines)
        log(f"{label} round {index + 1}: {ours.child.name} {ours.rates[-1]:.0f}/s, {others}")
    return live_rates


async def case_accept(run: Run, arrivals: Arrivals) -> Child:
    intake, r0, r5 = await asyncio.gather(run.service("intake", "accept"), run.r0(), run.r5())
    ours, bare, durable = Side(intake, 201), Side(r0, 202), Side(r5, 201)
    live = await accept_rounds(run, arrivals, ours, (bare, durable), "http_accept")
    await asyncio.gather(run.stop(r0), run.stop(r5))
    run.shared["live_events_per_s"] = live[: len(ours.rates)]
    what = (
        "POST /v1/arrivals (about 0.9 KB, 1-3 people) answered 201 with the append "
        f"committed; {run.args.http_concurrency} keep-alive connections, closed loop"
    )
    for name, baseline, label in (
        ("http_accept", bare, "R0 FastAPI 202"),
        ("http_accept_vs_r5", durable, "R5 FastAPI + 1 INSERT"),
    ):
        run.measures.append(
            ratio_measure(
                name,
                what,
                "arrivals/s",
                label,
                ours.rates,
                baseline.rates,
                cpu_s_per_1000_events=ours.cpu_per_thousand(),
                baseline_cpu_s_per_1000_events=baseline.cpu_per_thousand(),
                details={
                    "events_appended_per_s": live,
                    "round_seconds": run.args.http_seconds,
                    "cpu_unit": "per 1000 requests (arrivals)",
                },
            )
        )
    return intake
