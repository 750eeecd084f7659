"""Rate limiting: a token bucket per API key that authenticated, and one per client address
for failed authentications; over either, 429 with ``Retry-After``.

A partner's client on a bad connection may retry without backoff; without a limit its storm
takes the database pool from every other partner. Each API key that has authenticated (a
partner's, or a shelter staff key) has a bucket of ``RATE_LIMIT_BURST`` tokens that refills at
``RATE_LIMIT_PER_SECOND``. A request takes one token; a registration takes one more for each
further person it carries (``charge``), so a batch of 1,000 arrivals of 50 people costs 50,000
tokens, not one. A cost above the burst needs a full bucket and leaves it in debt: such a batch
goes through, and the key waits for the refill afterwards. A request that finds its bucket
empty is answered at once with 429 as problem details and ``Retry-After`` (whole seconds, at
least 1): it costs no database connection.

A key this process has not seen authenticate (an invented one, a typo, a revoked key) gets no
bucket of its own: its client address pays, from a bucket of ``RATE_LIMIT_FAILED_AUTH_BURST``
tokens refilling at ``RATE_LIMIT_FAILED_AUTH_PER_SECOND``: such a request goes ahead while the
address has a token left, and an answer 401 takes one (into debt when many were in flight
together); a valid key is remembered as authenticated and costs its address nothing. So a
flood of random keys from one address reaches the database about
``RATE_LIMIT_FAILED_AUTH_BURST`` times (plus the requests in flight at once) and is then
refused at once, while partners whose keys already authenticated, even from the same address,
keep their own buckets. A valid key that this process has never seen, sent from an address
that is flooding, waits with the flood (until the address's bucket refills). IPv6 clients are
counted per /64, the block one subscriber usually holds. The address is the ASGI client, the
peer of the TCP connection: ``X-Forwarded-For`` is not trusted (the services run behind no
proxy, and ``serve`` starts uvicorn without proxy headers), so it cannot buy fresh buckets.

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
``X-API-Key`` or the address, never the key itself, so neither memory nor a log holds a key;
requests without a key are bucketed by client address. The tables keep at most ``max_keys``
buckets (and remembered keys), evicting the one idle longest, so memory stays bounded.

Why not slowapi or limits: slowapi limits per decorated route through Starlette's
``BaseHTTPMiddleware`` and answers in its own format, and limits offers fixed and moving
windows only (a fixed window lets twice the limit through at a boundary). A token bucket is a
few lines and gives the exact time until the next token, which is what ``Retry-After`` needs.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from prometheus_client import CollectorRegistry, Counter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asgi import HttpMiddleware
from shared.http import Problem, keys_match, problem_response
from shared.settings import ServiceSettings

# the buckets live in shared.tokenbucket; importers of this module keep their names
from shared.tokenbucket import MAX_KEYS, RateLimiter, Remembered, TokenBucket, address_of

#: never limited: liveness and readiness probes and the Prometheus scrape
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
#: where the middleware leaves the caller's bucket and itself for ``charge`` (request.state)
STATE_CLIENT, STATE_LIMIT = "rate_limit_client", "rate_limit"

__all__ = [
    "MAX_KEYS",
    "UNLIMITED_PATHS",
    "RateLimit",
    "RateLimiter",
    "Remembered",
    "TokenBucket",
    "address_of",
    "charge",
    "retry_after",
    "too_many",
]


def retry_after(wait: float) -> int:
    """``Retry-After`` is whole seconds (RFC 9110); round up, and never say 0."""
    return max(1, math.ceil(wait))


def too_many(wait: float, detail: str) -> Problem:
    seconds = retry_after(wait)
    return Problem(
        429,
        "Too many requests",
        f"{detail} Wait {seconds} s (Retry-After) and send again; a POST keeps its "
        "Idempotency-Key, so nothing is registered twice.",
        headers={"Retry-After": str(seconds)},
    )


def charge(request: Request, cost: int) -> None:
    """Take ``cost`` more tokens from the caller's bucket (e.g. one per further person a
    registration carries), or refuse with 429. The operator key has no bucket."""
    client: bytes | None = getattr(request.state, STATE_CLIENT, None)
    limit: RateLimit | None = getattr(request.state, STATE_LIMIT, None)
    if client is None or limit is None or cost <= 0:
        return
    if wait := limit.limiter.wait_for(client, cost, taken=1.0):
        limit.refused.inc()
        raise too_many(
            wait,
            f"This request carries {cost + 1} people, and each costs one of the "
            f"{limit.limiter.burst} requests your key may send at once ("
            f"{limit.limiter.per_second:g} per second for a while).",
        )


class RateLimit(HttpMiddleware):
    """ASGI middleware: refuse a client over its limit with 429 before any work is done."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: ServiceSettings,
        registry: CollectorRegistry | None = None,
        unlimited_paths: Collection[str] = UNLIMITED_PATHS,
    ) -> None:
        super().__init__(app)
        self.settings = settings
        self.unlimited_paths = unlimited_paths
        self.limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        self.failures = RateLimiter(
            settings.rate_limit_failed_auth_per_second, settings.rate_limit_failed_auth_burst
        )
        self.authenticated = Remembered()
        self.refused = Counter(
            "http_rate_limited_requests",
            "Requests refused with 429 because their API key (or address) exceeded its rate",
            registry=registry,
        )

    def passes_over(self, scope: Scope) -> bool:
        return super().passes_over(scope) or scope["path"] in self.unlimited_paths

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        api_key = _header(scope, b"x-api-key")
        if api_key and keys_match(api_key, self.settings.operator_api_key):
            await self.app(scope, receive, send)
            return
        address = address_of(scope)
        client = self.limiter.client_of(api_key or f"address:{address}")
        if api_key and client in self.authenticated:
            await self._as_known(client, scope, receive, send)
            return
        failures = self.failures.client_of(address)
        if wait := self.failures.peek(failures):
            await self._refuse(wait, "Too many failed authentications from your address.",
                               scope, receive, send)  # fmt: skip
            return
        # the key's own bucket too (made only for what got past the address): a new partner's
        # first burst, all in flight before its first answer, is still limited
        if wait := self.limiter.wait_for(client):
            detail = "This API key (or your address, without one) sent too many requests."
            await self._refuse(wait, detail, scope, receive, send)
            return
        status = await self._run(client, scope, receive, send)
        if status == 401:
            # paid after the fact, into debt: requests in flight together all count
            self.failures.spend(failures)
        elif api_key:
            self.authenticated.add(client)

    async def _as_known(self, client: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        if wait := self.limiter.wait_for(client):
            detail = (
                f"This API key sent more than {self.limiter.burst} requests in a burst, or "
                f"more than {self.limiter.per_second:g} per second for a while."
            )
            await self._refuse(wait, detail, scope, receive, send)
            return
        if await self._run(client, scope, receive, send) == 401:
            self.authenticated.forget(client)  # revoked or rotated since

    async def _run(self, client: bytes, scope: Scope, receive: Receive, send: Send) -> int:
        """Run the request; its status (0 when it sent none)."""
        scope.setdefault("state", {}).update({STATE_CLIENT: client, STATE_LIMIT: self})
        status = 0

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watched)
        return status

    async def _refuse(
        self, wait: float, detail: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self.refused.inc()
        problem = too_many(wait, detail)
        response = problem_response(problem.status, problem.title, problem.detail)
        response.headers.update(problem.headers)
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None
