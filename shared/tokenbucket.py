"""Token buckets per client, held in this process: the arithmetic under the rate limits of
``shared.ratelimit`` (why a token bucket, and what is limited, is told there).

Kept apart from the ASGI middleware because this part is pure bookkeeping (tokens, clocks,
bounded tables, an address's block) that tests drive with a fake clock, while the middleware
is about requests, keys and answers.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import Scope

#: buckets kept at most; past that the one idle longest goes (a full bucket again if it returns)
MAX_KEYS = 10_000


@dataclass
class TokenBucket:
    """``capacity`` tokens at most, refilled at ``rate`` per second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def take(self, now: float, cost: float = 1.0, taken: float = 0.0) -> float:
        """Take ``cost`` tokens: 0.0 when it may go ahead, else the seconds until it may. A
        cost above the capacity needs a full bucket (but for the ``taken`` tokens the same
        request took already) and leaves it in debt."""
        self.refill(now)
        needed = min(cost, self.capacity - taken)
        if self.tokens >= needed:
            self.tokens -= cost
            return 0.0
        return (needed - self.tokens) / self.rate

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def spend(self, now: float, cost: float = 1.0) -> None:
        """Take ``cost`` tokens whatever is left: what was already done is paid for."""
        self.refill(now)
        self.tokens -= cost


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

    def _bucket(self, client: bytes, now: float) -> TokenBucket:
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = TokenBucket(self.burst, self.per_second, float(self.burst), now)
            self._buckets[client] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
        return bucket

    def wait_for(self, client: bytes, cost: float = 1.0, taken: float = 0.0) -> float:
        """0.0 when ``client`` may go ahead now (``cost`` tokens taken), else seconds to wait."""
        now = self.clock()
        return self._bucket(client, now).take(now, cost, taken)

    def peek(self, client: bytes) -> float:
        """Like ``wait_for``, but taking nothing: is there a token left?"""
        now = self.clock()
        bucket = self._bucket(client, now)
        bucket.refill(now)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / bucket.rate

    def spend(self, client: bytes, cost: float = 1.0) -> None:
        """Take tokens for something already done, into debt if need be."""
        now = self.clock()
        self._bucket(client, now).spend(now, cost)


class Remembered:
    """Keyed hashes of API keys that authenticated here, the ones idle longest forgotten first."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._clients: OrderedDict[bytes, None] = OrderedDict()

    def __contains__(self, client: bytes) -> bool:
        return client in self._clients

    def add(self, client: bytes) -> None:
        self._clients[client] = None
        self._clients.move_to_end(client)
        if len(self._clients) > self.max_keys:
            self._clients.popitem(last=False)

    def forget(self, client: bytes) -> None:
        self._clients.pop(client, None)


def address_of(scope: Scope) -> str:
    """The peer address (never X-Forwarded-For); an IPv6 address by its /64."""
    host = (scope.get("client") or ("unknown", 0))[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return str(host)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)
