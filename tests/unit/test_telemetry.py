"""What a service's tracer provider records: nothing when no exporter would read it, every span
when one would; the trace context travels on either way."""

from __future__ import annotations

from opentelemetry import propagate
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry import tracer_provider


def test_without_an_exporter_spans_are_not_recorded_but_their_trace_context_travels_on() -> None:
    tracer = tracer_provider("intake", []).get_tracer("test")

    with tracer.start_as_current_span("post /v1/arrivals") as span:
        recording = span.is_recording()  # an ended span never is
        carrier: dict[str, str] = {}
        propagate.inject(carrier)

    assert not recording
    context = span.get_span_context()
    assert context.is_valid  # the logs still name the trace and span
    assert carrier["traceparent"].split("-")[1] == format(context.trace_id, "032x")


def test_with_an_exporter_every_span_is_recorded_and_exported() -> None:
    exported = InMemorySpanExporter()
    provider = tracer_provider("intake", [exported])

    with provider.get_tracer("test").start_as_current_span("post /v1/arrivals") as span:
        span.set_attribute("http.route", "/v1/arrivals")
    provider.force_flush()

    assert [(one.name, one.attributes) for one in exported.get_finished_spans()] == [
        ("post /v1/arrivals", {"http.route": "/v1/arrivals"})
    ]
