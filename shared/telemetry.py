"""OpenTelemetry setup and the W3C trace context carried through Kafka headers.

Configuration comes only from the standard OTEL_* variables: ``OTEL_TRACES_EXPORTER`` names an
exporter entry point (``zipkin_json`` for the local Zipkin, ``console``, ``none``), and the
exporter reads its own endpoint variable (``OTEL_EXPORTER_ZIPKIN_ENDPOINT``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Span
from opentelemetry.util._importlib_metadata import entry_points

log = logging.getLogger(__name__)


def configure_tracing(service_name: str) -> TracerProvider | None:
    """Install the process-wide tracer provider for one service (once per process).

    Returns None when another provider is already installed, e.g. by a test that collects spans
    in memory for all services of one process.
    """
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return None
    provider = tracer_provider(service_name, list(_exporters_from_environment()))
    trace.set_tracer_provider(provider)
    return provider


def tracer_provider(service_name: str, exporters: Sequence[SpanExporter]) -> TracerProvider:
    """A service's tracer provider, exporting to ``exporters``. With none, nobody reads a span:
    none is recorded (no attributes, events or ends to keep), while trace and span ids are
    still made for the logs and carried on to the services downstream; with one,
    OTEL_TRACES_SAMPLER decides (parent-based by default)."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=None if exporters else ALWAYS_OFF,
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _exporters_from_environment() -> Iterable[SpanExporter]:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "none")
    for name in (part.strip() for part in names.split(",")):
        if not name or name == "none":
            continue
        found = list(entry_points(group="opentelemetry_traces_exporter", name=name))
        if not found:
            log.warning("unknown OTEL_TRACES_EXPORTER %r: no spans exported to it", name)
            continue
        yield found[0].load()()


#: attributes of an HTTP server span that may hold the query string (old and new conventions)
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target")


def without_query_string(span: Span, scope: dict[str, Any]) -> None:
    """A server request hook: the span's URL attributes keep the path, not the query (it may
    hold a date, a site, a search term). ``url.query`` cannot be removed, so it is emptied."""
    attributes = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(name, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def kafka_headers_to_carrier(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    return {key: value.decode("utf-8", "replace") for key, value in headers}


def context_from_carrier(carrier: Mapping[str, str]) -> otel_context.Context:
    """The trace context stored with an event or received in Kafka headers."""
    return propagate.extract(dict(carrier))


def current_traceparent_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier
