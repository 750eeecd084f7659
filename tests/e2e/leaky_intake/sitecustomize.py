"""A deliberate leak, for the canary scan's own test only (tests/e2e/test_canary.py puts this
folder on PYTHONPATH of the service processes; production never has it).

Python imports ``sitecustomize`` at start-up: this one makes every request body land in a log
line (as a careless debug statement would) and in an attribute of the request's span (as a
careless instrumentation would), so that the scan is proven to catch both in a real process.
"""

from __future__ import annotations

import logging

from opentelemetry import trace
from starlette.requests import Request

_read_body = Request.body


async def _leaking_body(self: Request) -> bytes:
    body = await _read_body(self)
    text = body.decode("utf-8", "replace")
    logging.getLogger("leak").warning("request body: %s", text)
    trace.get_current_span().set_attribute("leak.request_body", text)
    return body


Request.body = _leaking_body  # type: ignore[method-assign,assignment]
