"""tracing: POST /v1/arrivals on intake with 100 % sampling and spans exported vs intake with
the OpenTelemetry SDK disabled."""

from __future__ import annotations

import asyncio
import os

from benchmarks.cases.accept import Side, accept_rounds
from benchmarks.payloads import Arrivals
from benchmarks.results import ratio_measure
from benchmarks.run import Run

ZIPKIN_DEFAULT = "http://127.0.0.1:9411/api/v2/spans"


async def case_tracing(run: Run, arrivals: Arrivals) -> None:
    endpoint = os.environ.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT", ZIPKIN_DEFAULT)
    traced_env = {
        "OTEL_TRACES_EXPORTER": "zipkin_json",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": endpoint,
    }
    untraced_env = {"OTEL_SDK_DISABLED": "true"}
    traced, untraced = await asyncio.gather(
        run.service("intake", "traced", traced_env), run.service("intake", "untraced", untraced_env)
    )
    on, off = Side(traced, 201), Side(untraced, 201)
    await accept_rounds(run, arrivals, on, (off,), "tracing")
    await asyncio.gather(run.stop(traced), run.stop(untraced))
    run.measures.append(
        ratio_measure(
            "tracing_on_vs_off",
            "POST /v1/arrivals as in http_accept, intake with 100 % sampling and spans exported "
            "(zipkin_json, BatchSpanProcessor) vs intake with OTEL_SDK_DISABLED=true",
            "arrivals/s",
            "tracing off",
            on.rates,
            off.rates,
            cpu_s_per_1000_events=on.cpu_per_thousand(),
            baseline_cpu_s_per_1000_events=off.cpu_per_thousand(),
            details={"exporter_endpoint": endpoint},
        )
    )


# --------------------------------------------------------------------------- end to end (R1)
