"""The week's HTTP client: the welcome points, desks and counters of the town, on keep-alive
connections of the lean client the other benchmarks use (benchmarks/loadgen.py).

The week shares the machine's two cores with the services it measures. With httpx, the
runner's own CPU was about a fifth of the machine during a 3,000-person week (21.7 CPU-s in
61.5 s, about two fifths of its profile in httpx, httpcore, h11 and anyio): time the services
could not have. A partner's or a volunteer's client runs on their own machine, so the week
should cost the machine what the services cost, not what one Python HTTP client costs.

Every change is a POST with an Idempotency-Key, sent again with the same key and body when its
answer is lost (a transport error, a 5xx, a 429): what the services promise partners.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from benchmarks.loadgen import Connection, request_bytes

#: times a request is sent before its error is raised
RETRIES = 5
#: the longest an answer may take (a day's first arrivals wait for intake's migrations' plans)
ANSWER_TIMEOUT_S = 120.0
#: what a connection breaking under a request raises: it is opened again and the request sent
#: again with its key
TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError)


@dataclass(frozen=True)
class Answer:
    """A service's answer to one request."""

    method: str
    path: str
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Service:
    """The keep-alive connections to one service: an idle one is reused, else one is opened
    (at most as many as requests in flight, which the caller's gate bounds)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None, url
        self.host, self.port = parts.hostname, parts.port
        self.authority = f"{self.host}:{self.port}"
        self._idle: list[Connection] = []

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send ``raw`` on an idle connection, or on a new one if the server had closed it
        meanwhile (uvicorn closes a connection idle for a few seconds: between two days'
        phases, say) or if none is idle; a new connection's error is raised."""
        while self._idle:
            conn = self._idle.pop()
            if conn.reader.at_eof():
                conn.close()
                continue
            try:
                return await self._on(conn, raw)
            except (ConnectionError, asyncio.IncompleteReadError):
                continue  # closed by the server as this was sent: nothing was read of it
        return await self._on(await Connection.open(self.host, self.port), raw)

    async def _on(self, conn: Connection, raw: bytes) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                answer = await conn.request(raw)
        except BaseException:
            conn.close()
            raise
        self._idle.append(conn)
        return answer

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


class Api:
    """Requests to the three services, at most ``concurrency`` in flight, a lost answer's
    request sent again with the same key and body (``retried`` told its endpoint and cause);
    ``api_key`` is the key a request goes with unless it names another."""

    def __init__(
        self,
        urls: dict[str, str],
        concurrency: int,
        api_key: str,
        retried: Callable[[str], None],
    ) -> None:
        self.services = {name: Service(url) for name, url in urls.items()}
        self.gate = asyncio.Semaphore(concurrency)
        self.api_key, self.retried = api_key, retried

    async def post(
        self, service: str, path: str, body: Any, key: str, api_key: str | None = None
    ) -> Answer:
        content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        to = self.services[service]
        headers = {"X-API-Key": api_key or self.api_key, "Idempotency-Key": key,
                   "Content-Type": "application/json"}  # fmt: skip
        raw = request_bytes("POST", path, to.authority, headers, content)
        for attempt in range(1, RETRIES + 1):
            try:
                async with self.gate:
                    status, answer = await to.send(raw)
                if status < 500 and status != 429:
                    return Answer("POST", path, status, answer)
                why = str(status)
            except TRANSPORT_ERRORS as error:
                if attempt == RETRIES:
                    raise
                why = type(error).__name__
            self.retried(f"{_route(path)} {why}")
            await asyncio.sleep(0.2 * attempt)
        return Answer("POST", path, status, answer)

    async def get(self, service: str, path: str) -> Any:
        to = self.services[service]
        raw = request_bytes("GET", path, to.authority, {"X-API-Key": self.api_key})
        status, content = await to.send(raw)
        if status >= 400:
            raise RuntimeError(f"GET {path} answered {status}: {content[:600]!r}")
        return json.loads(content)

    def close(self) -> None:
        for service in self.services.values():
            service.close()


def _route(path: str) -> str:
    """A path with its ids replaced, to count retries per endpoint."""
    return "/".join("{id}" if len(part) == 36 else part for part in path.split("/"))
