"""latency: accept -> visible in housing's read model at 50 % and 80 % of the e2e maximum, open
loop (the maximum comes from e2e or ``--max-rate``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from uuid import UUID

from benchmarks.cases.pipeline import Pipeline, pipeline, published_and_consumed, wait_consumed
from benchmarks.loadgen import Latencies, open_loop, schedule
from benchmarks.meters import CpuMeter, per_thousand
from benchmarks.payloads import Arrivals
from benchmarks.results import Measure
from benchmarks.run import Run, log


async def case_latency(run: Run, arrivals: Arrivals) -> None:
    args = run.args
    p = await pipeline(run)
    maximum = args.max_rate or run.shared.get("e2e_max_arrivals_per_s")
    if maximum is None:
        raise RuntimeError("latency needs the e2e maximum: run e2e too, or give --max-rate")
    await wait_consumed(p)
    for fraction in (0.5, 0.8):
        await latency_at(run, p, arrivals, fraction, maximum)


async def latency_at(
    run: Run, p: Pipeline, arrivals: Arrivals, fraction: float, maximum: float
) -> None:
    """One offered rate: the open loop, the poller of housing's placements, three rows."""
    args = run.args
    host = "127.0.0.1"
    rate = fraction * maximum
    offsets = schedule(rate, args.latency_seconds)
    pending: dict[UUID, tuple[float, float]] = {}  # person: (intended send, answer read)
    latencies = Latencies()
    #: the two parts of each latency: intake's answer (intended send -> 201 read), and the
    #: pipeline after it (201 read -> placement seen: relay, Kafka, housing, the poll)
    to_answer, after_answer = Latencies(), Latencies()
    polls = 0

    def answered(index: int, intended: float, body: bytes) -> None:
        person = UUID(json.loads(body)["person_ids"][0])
        now = time.perf_counter()
        pending[person] = (intended, now)
        to_answer.record(now - intended)

    sending = True

    async def poller() -> None:
        nonlocal polls
        while sending or pending:
            if pending:
                rows = await p.housing_monitor.fetch(
                    "SELECT person_id FROM placements WHERE person_id = ANY($1::uuid[])",
                    list(pending),
                )
                seen = time.perf_counter()
                polls += 1
                for row in rows:
                    intended, answer = pending.pop(row["person_id"])
                    latencies.record(seen - intended)
                    after_answer.record(seen - answer)
            await asyncio.sleep(args.poll_ms / 1000)

    published_before, _ = await published_and_consumed(p)
    watcher = asyncio.create_task(poller())
    meter = CpuMeter(
        {"intake": p.intake.pid, "housing": p.housing.pid},
        [p.intake.database or "", p.housing.database or ""],
        run.admin,
        kafka=True,
    )
    await meter.start()
    result = await open_loop(
        host,
        p.intake.port,
        arrivals.requester(f"{host}:{p.intake.port}", p.intake.partner_key, f"latency{fraction}"),
        offsets,
        expect=201,
        on_answer=answered,
    )
    sending = False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watcher, args.latency_patience)
    spent = await meter.stop()
    spent.pop("harness", None)
    unseen = len(pending)
    now = time.perf_counter()
    for intended, _ in pending.values():  # never seen: counted as at least this late
        latencies.record(now - intended)
    pct = int(fraction * 100)
    details = {
        "offered_rate_arrivals_per_s": rate,
        "achieved_send_rate_per_s": result.achieved_rate,
        "max_arrivals_per_s": maximum,
        "intended_requests": result.intended,
        "answered": result.answered,
        "failed": result.failed,
        "first_failure": result.first_failure,
        "not_visible_within_patience": unseen,
        "max_send_lag_ms": 1000 * result.max_send_lag_s,
        "p99_send_lag_ms": 1000 * result.p99_send_lag_s,
        "poll_interval_ms": args.poll_ms,
        "polls": polls,
        "seconds": args.latency_seconds,
        "histogram": latencies.source,
        "exact_ms": {str(q): latencies.exact_ms(q) for q in (50, 99, 99.9)},
        "intended_to_answer_ms": {str(q): to_answer.exact_ms(q) for q in (50, 99)},
        "answer_to_visible_ms": {str(q): after_answer.exact_ms(q) for q in (50, 99)},
    }
    published_after, _ = await published_and_consumed(p)
    cpu = per_thousand(spent, published_after - published_before)
    for label, q in (("p50", 50.0), ("p99", 99.0), ("p999", 99.9)):
        run.measures.append(
            Measure(
                name=f"accept_to_visible_{label}_at_{pct}pct",
                what=f"{label} from the intended send time of POST /v1/arrivals to its first "
                f"person's placement row in housing's database, open loop at {pct} % of "
                f"the e2e maximum ({rate:.1f} arrivals/s, {args.latency_seconds:g} s)",
                value=latencies.percentile_ms(q),
                unit="ms",
                cpu_s_per_1000_events=cpu if label == "p99" else {},
                details=details,
            )
        )
    log(
        f"latency at {pct}%: {rate:.1f}/s offered, {result.achieved_rate:.1f}/s sent, "
        f"p50 {latencies.percentile_ms(50)} p99 {latencies.percentile_ms(99)} ms, "
        f"unseen {unseen}; answer p50 {to_answer.exact_ms(50)} p99 {to_answer.exact_ms(99)}, "
        f"answer -> visible p50 {after_answer.exact_ms(50)} p99 {after_answer.exact_ms(99)} ms"
    )
    await wait_consumed(p)


# --------------------------------------------------------------------------- rebuild (R2)
