"""Load generators: a lean HTTP/1.1 keep-alive client, a closed loop for throughput and an
open loop for latency that does not suffer from coordinated omission.

The client writes prepared request bytes on a raw asyncio stream and reads the status line,
the headers and a Content-Length body: a few microseconds of Python per request, so that the
load generator (which shares the machine's two cores with the server it measures) costs much
less than httpx would, and costs the same for a service and for its baseline.

The open loop fixes every send's *intended* time before it starts (``schedule``): request i is
due at ``start + i / rate`` whatever happened to the ones before it. A request is sent by its
own task, on an idle connection or a new one, so a slow answer never delays the next send; and
latency counts from the intended time, so even a load generator that falls behind (starved of
CPU) reports the delay instead of hiding it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: latencies recorded in microseconds, 1 µs .. 10 min, 3 significant digits
HISTOGRAM_RANGE_US = (1, 600_000_000, 3)


class HttpError(Exception):
    pass


def request_bytes(
    method: str, path: str, host: str, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, rest = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding":
                raise HttpError("chunked answers are not supported by this client")
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


@dataclass
class ClosedLoopResult:
    ok: int
    failed: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    first_failure: str | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def closed_loop(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    *,
    concurrency: int,
    seconds: float | None = None,
    count: int | None = None,
    expect: int,
    on_answer: Callable[[int, bytes], None] | None = None,
) -> ClosedLoopResult:
    """``concurrency`` connections, each sending its next request when the answer to its
    previous one is in, for ``seconds`` or until ``count`` requests were sent."""
    assert (seconds is None) != (count is None), "seconds or count"
    connections = [await Connection.open(host, port) for _ in range(concurrency)]
    result = ClosedLoopResult(0, 0, 0.0)
    sent = 0
    start = time.perf_counter()
    deadline = start + seconds if seconds is not None else float("inf")

    async def worker(conn: Connection) -> None:
        nonlocal sent
        while time.perf_counter() < deadline and (count is None or sent < count):
            index = sent
            sent += 1
            status, body = await conn.request(make_request(index))
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == expect:
                result.ok += 1
                if on_answer is not None:
                    on_answer(index, body)
            else:
                result.failed += 1
                result.first_failure = result.first_failure or f"{status}: {body[:300]!r}"

    try:
        await asyncio.gather(*(worker(conn) for conn in connections))
    finally:
        result.seconds = time.perf_counter() - start
        for conn in connections:
            conn.close()
    return result


def schedule(rate: float, seconds: float) -> list[float]:
    """Intended send times, as offsets in seconds from the start: evenly spaced at ``rate``
    per second over ``seconds`` (the last one strictly before the end)."""
    if rate <= 0 or seconds <= 0:
        return []
    count = int(rate * seconds + 1e-9)
    return [index / rate for index in range(count)]


@dataclass
class OpenLoopResult:
    intended: int
    answered: int
    failed: int
    send_seconds: float
    #: how late the generator sent, relative to the schedule (s): max and p99
    max_send_lag_s: float
    p99_send_lag_s: float
    statuses: dict[int, int] = field(default_factory=dict)
    first_failure: str | None = None

    @property
    def achieved_rate(self) -> float:
        return self.answered / self.send_seconds if self.send_seconds else 0.0


async def open_loop(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    offsets: Sequence[float],
    *,
    expect: int,
    on_answer: Callable[[int, float, bytes], Awaitable[None] | None],
    max_connections: int = 256,
) -> OpenLoopResult:
    """Send request i at ``start + offsets[i]`` (intended time), each from its own task, on an
    idle keep-alive connection or a new one; ``on_answer(i, intended_perf_counter, body)``."""
    idle: list[Connection] = []
    opened = 0
    limit = asyncio.Semaphore(max_connections)
    lags: list[float] = []
    result = OpenLoopResult(len(offsets), 0, 0, 0.0, 0.0, 0.0)
    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.05

    async def one(index: int, intended: float) -> None:
        nonlocal opened
        async with limit:
            conn = idle.pop() if idle else None
            if conn is None:
                conn = await Connection.open(host, port)
                opened += 1
            try:
                status, body = await conn.request(make_request(index))
            except Exception as error:
                conn.close()
                result.failed += 1
                result.first_failure = result.first_failure or repr(error)
                return
            idle.append(conn)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if status != expect:
            result.failed += 1
            result.first_failure = result.first_failure or f"{status}: {body[:300]!r}"
            return
        result.answered += 1
        done = on_answer(index, intended, body)
        if done is not None:
            await done

    for index, offset in enumerate(offsets):
        intended = start + offset
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, time.perf_counter() - intended))
        task = asyncio.create_task(one(index, intended))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    # the span of the actual sends, stretched by one interval: n sends at the achieved rate
    last_send = start + offsets[-1] + lags[-1] if offsets else start
    spread = last_send - start
    result.send_seconds = spread * len(offsets) / (len(offsets) - 1) if len(offsets) > 1 else 0.0
    for conn in idle:
        conn.close()
    if lags:
        ordered = sorted(lags)
        result.max_send_lag_s = ordered[-1]
        result.p99_send_lag_s = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return result


class Latencies:
    """Latencies into an HDR histogram (``hdrhistogram`` from PyPI, the bench group) and the
    exact samples; percentiles from the histogram when it is installed, else exact."""

    def __init__(self) -> None:
        self.samples_us: list[int] = []
        try:
            from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped,unused-ignore]
        except ImportError:  # pragma: no cover - the bench group installs it
            self._histogram: Any = None
        else:
            self._histogram = HdrHistogram(*HISTOGRAM_RANGE_US)

    def record(self, seconds: float) -> None:
        micros = max(1, min(HISTOGRAM_RANGE_US[1], round(seconds * 1_000_000)))
        self.samples_us.append(micros)
        if self._histogram is not None:
            self._histogram.record_value(micros)

    def __len__(self) -> int:
        return len(self.samples_us)

    def percentile_ms(self, percentile: float) -> float | None:
        if not self.samples_us:
            return None
        if self._histogram is not None:
            return float(self._histogram.get_value_at_percentile(percentile)) / 1000
        return exact_percentile(self.samples_us, percentile) / 1000

    def exact_ms(self, percentile: float) -> float | None:
        if not self.samples_us:
            return None
        return exact_percentile(self.samples_us, percentile) / 1000

    @property
    def source(self) -> str:
        return "hdrhistogram" if self._histogram is not None else "exact"


def exact_percentile(values: Sequence[float], percentile: float) -> float:
    """The smallest sample at or above ``percentile`` % of all (nearest-rank)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percentile // 100))  # ceil without floats drifting
    return ordered[min(len(ordered), int(rank)) - 1]
