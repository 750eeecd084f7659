"""A page of the outbox relay's events (shared.outbox) in runs of one topic and trace: each run
is sent under one producer span."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import asyncpg
from opentelemetry import context as otel_context
from opentelemetry import trace

from shared.event_headers import Headers, append_headers
from shared.telemetry import context_from_carrier


def trace_runs(
    rows: Sequence[asyncpg.Record],
) -> Iterator[tuple[str, otel_context.Context, list[tuple[asyncpg.Record, Headers]]]]:
    """A page's events in runs of one topic and trace, each with the headers of its append, in
    order: runs, not groups, so that no event of a stream is sent before an earlier one of
    another trace. The events of one append share their metadata: it is parsed, and its trace
    context extracted, once per append."""
    appends: dict[str, tuple[Headers, otel_context.Context, int]] = {}
    run: list[tuple[asyncpg.Record, Headers]] = []
    current: tuple[str, int] | None = None
    context = otel_context.Context()
    for row in rows:
        if row["metadata"] not in appends:
            metadata = json.loads(row["metadata"])
            extracted = context_from_carrier(metadata)
            trace_id = trace.get_current_span(extracted).get_span_context().trace_id
            appends[row["metadata"]] = append_headers(metadata), extracted, trace_id
        headers, row_context, trace_id = appends[row["metadata"]]
        if (row["topic"], trace_id) != current:
            if current is not None:
                yield current[0], context, run
            current, context, run = (row["topic"], trace_id), row_context, []
        run.append((row, headers))
    if current is not None:
        yield current[0], context, run
