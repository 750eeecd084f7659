"""One server span per request, named by its route template (``POST /v1/arrivals``, never the
raw path with its ids), through OpenTelemetry's FastAPI instrumentation, with the span's name
found once per route rather than once per request.

The instrumentation names each span by matching the request against every route of the app
again, after the router has matched it (about a twentieth of intake's CPU per arrival, issue
#17). A request on a route without parameters always gets the same name and route attribute,
so those are kept by (method, path); a path with ids is matched again each time, so that
nothing of it is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor, _get_default_span_details
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from starlette.types import ASGIApp

#: (method, path) pairs kept at most: a service has a few dozen routes without parameters; a
#: client sending odd methods cannot grow it further
KEPT_NAMES = 512

SpanDetails = tuple[str, dict[str, str]]


class RouteSpanNames:
    """The span name and attributes of a request, as the FastAPI instrumentation gives them,
    kept for routes without parameters."""

    def __init__(self, details: Callable[[Any], SpanDetails] = _get_default_span_details) -> None:
        self._details = details
        self._static: dict[tuple[str, str], SpanDetails] = {}

    def kept(self) -> list[tuple[str, str]]:
        """The (method, path) pairs whose span details are kept."""
        return list(self._static)

    def __call__(self, scope: Any) -> SpanDetails:
        key = (scope.get("method", ""), scope.get("path", ""))
        found = self._static.get(key)
        if found is None:
            found = self._details(scope)
            # the template is the path itself only on a route without parameters
            if found[1].get(HTTP_ROUTE) == key[1] and len(self._static) < KEPT_NAMES:
                self._static[key] = found
        name, attributes = found
        return name, dict(attributes)  # the middleware's to add to


def instrument(app: FastAPI, **options: Any) -> None:
    """``FastAPIInstrumentor.instrument_app(app, **options)``, its spans named by
    :class:`RouteSpanNames`."""
    FastAPIInstrumentor.instrument_app(app, **options)
    instrumented = app.build_middleware_stack
    names = RouteSpanNames()
    app.state.span_names = names

    def build_middleware_stack() -> ASGIApp:
        stack = instrumented()
        # the instrumentation wraps its middleware in one ServerErrorMiddleware
        tracing = getattr(stack, "app", None)
        if isinstance(tracing, OpenTelemetryMiddleware):
            tracing.default_span_details = names
        return stack

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
