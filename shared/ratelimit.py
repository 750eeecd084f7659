"""Per-key rate limiting: a token bucket per API key, answering 429 with ``Retry-After``.

A partner's client on a bad connection may retry without backoff; without a limit its storm
takes the database pool from every other partner. Each API key (a partner's, or a shelter
staff key) has a bucket of ``RATE_LIMIT_BURST`` requests that refills at
``RATE_LIMIT_PER_SECOND``. A request takes one token whatever it carries, so a batch of 1,000
arrivals counts as one request: a partner uploading batches one after another never comes near
the limit. A request that finds the bucket empty is answered at once with 429 as problem
details and ``Retry-After`` (whole seconds, at least 1): it costs no database connection.

Limits are per service instance: the buckets live in this process, so N instances behind a
balancer let a key through N times as fast. That is enough to stop a retry storm from starving
others on the same instance, which is what the limit is for; a shared store (Redis) would buy
exactness at the price of another moving part in a town's reception centre.

Who and what is never limited:

- the operator key (``OPERATOR_API_KEY``): one key shared by the coordination centre and, for
  now, the distribution sites, so a bucket per key would let one site's burst refuse every
  other site; it is in trusted hands, and an operator must be able to act during an incident;
- ``/healthz``, ``/readyz`` and ``/metrics``: probes and scrapes must never be refused, or an
  orchestrator would restart a healthy service.

Buckets are keyed by a keyed hash (BLAKE2b with a random secret of this process) of the
``X-API-Key``, never the key itself, so neither memory nor a log holds a key; requests without
a key are bucketed by client address. A key unknown to the service gets a bucket too (telling
known from unknown keys would cost the database lookup the limit exists to spare); the table
keeps at most ``max_keys`` buckets, evicting the one idle longest, so a flood of invented keys
costs bounded memory.

Why not slowapi or limits: slowapi limits per decorated route through Starlette's
``BaseHTTPMiddleware`` and answers in its own format, and limits offers fixed and moving
windows only (a fixed window lets twice the limit through at a boundary). A token bucket is a
few lines and gives the exact time until the next token, which is what ``Retry-After`` needs.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http import keys_match, problem_response
from shared.settings import ServiceSettings

#: never limited: liveness and readiness probes and the Prometheus scrape
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
#: buckets kept at most; past that the one idle longest goes (a full bucket again if it returns)
MAX_KEYS = 10_000


@dataclass
class TokenBucket:
    """``capacity`` tokens at most, refilled at ``rate`` per second; a request takes one."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take a token: 0.0 when there was one, else the seconds until there will be one."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """A token bucket per client, held in this process (see the module docstring)."""

    def __init__(
        self,
        per_second: float,
        burst: int,
        *,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a rate limit needs per_second > 0 and burst >= 1")
        self.per_second = per_second
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[bytes, TokenBucket] = OrderedDict()
        # a keyed hash: the bucket table never holds, nor reveals by a dictionary, an API key
        self._secret = secrets.token_bytes(32)

    def client_of(self, api_key: str) -> bytes:
        return hashlib.blake2b(api_key.encode(), key=self._secret, digest_size=16).digest()

    def wait_for(self, client: bytes) -> float:
        """0.0 when ``client`` may go ahead now (a token is taken), else seconds to wait."""
        now = self.clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = TokenBucket(self.burst, self.per_second, float(self.burst), now)
            self._buckets[client] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
        return bucket.take(now)


def retry_after(wait: float) -> int:
    """``Retry-After`` is whole seconds (RFC 9110); round up, and never say 0."""
    return max(1, math.ceil(wait))


class RateLimit:
    """ASGI middleware: refuse a client over its limit with 429 before any work is done."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: ServiceSettings,
        registry: CollectorRegistry | None = None,
        unlimited_paths: Collection[str] = UNLIMITED_PATHS,
    ) -> None:
        self.app = app
        self.settings = settings
        self.unlimited_paths = unlimited_paths
        self.limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        self.refused = Counter(
            "http_rate_limited_requests",
            "Requests refused with 429 because their API key (or address) exceeded its rate",
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.unlimited_paths:
            await self.app(scope, receive, send)
            return
        api_key = _header(scope, b"x-api-key")
        if api_key and keys_match(api_key, self.settings.operator_api_key):
            await self.app(scope, receive, send)
            return
        if api_key:
            client = self.limiter.client_of(api_key)
        else:
            address = scope.get("client") or ("unknown", 0)
            client = self.limiter.client_of(f"address:{address[0]}")
        wait = self.limiter.wait_for(client)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        self.refused.inc()
        seconds = retry_after(wait)
        response = problem_response(
            429,
            "Too many requests",
            f"This API key sent more than {self.limiter.burst} requests in a burst, or more "
            f"than {self.limiter.per_second:g} per second for a while. Wait {seconds} s "
            "(Retry-After) and send again; a POST keeps its Idempotency-Key, so nothing is "
            "registered twice.",
        )
        response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None
