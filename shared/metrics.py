"""Prometheus metrics of one service process, served at GET /metrics (text exposition).

Every app has its own ``CollectorRegistry`` (tests run three services in one process). What is
counted as it happens: HTTP requests (a histogram by method, route template and status), messages
processed and dead-lettered by the consumer, events published by the outbox relay. What is read on
scrape (at most every ``cache_seconds``): consumer lag per partition, projection lag, outbox
backlog, and the gauges a service registers over its read models.

Projection lag: the projections are inline (the read model is written in the transaction that
appends the event, or handles the incoming one), so newest event vs newest projected is 0 by
construction. What we expose instead, as ``projection_lag_events``, is the consumer side: per
consumed topic and partition, the messages on the topic past the newest offset recorded in the
inbox, i.e. events that exist on Kafka but have not reached this service's read models yet. (A
message that was dead-lettered never reaches the inbox; it counts until a later one does.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.asgi import HttpMiddleware
from shared.topics import logical, physical

log = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "DomainGauge", "GaugeRows", "ServiceMetrics"]

#: rows of a domain gauge: (label values, value)
GaugeRows = list[tuple[tuple[str, ...], float]]

_OUTBOX_BACKLOG = """
SELECT count(*) FROM events
WHERE topic IS NOT NULL
  AND (transaction_id, global_position) > (
      COALESCE((SELECT transaction_id FROM outbox_checkpoint WHERE relay = 'main'), '0'::xid8),
      COALESCE((SELECT global_position FROM outbox_checkpoint WHERE relay = 'main'), 0))
"""


@dataclass(frozen=True)
class DomainGauge:
    """A gauge a service reads from its read models on scrape."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[asyncpg.Connection], Awaitable[GaugeRows]]


def counted(name: str, documentation: str, query: str) -> DomainGauge:
    """A gauge of one number, without labels: the value ``query`` selects (a count)."""

    async def read(conn: asyncpg.Connection) -> GaugeRows:
        return [((), float(await conn.fetchval(query)))]

    return DomainGauge(name, documentation, (), read)


@dataclass
class _Snapshot:
    families: list[Metric] = field(default_factory=list)
    taken_at: float = float("-inf")


class _SnapshotCollector(Collector):
    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return list(self._metrics._snapshot.families)


class ServiceMetrics:
    """The metrics of one service; its runtime wires the sources in."""

    def __init__(self, service: str, *, cache_seconds: float = 3.0) -> None:
        self.service = service
        self.cache_seconds = cache_seconds
        self.registry = CollectorRegistry(auto_describe=False)
        self.http_requests = Histogram(
            "http_request_duration_seconds",
            "HTTP requests by method, route template and status, with their latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.consumer_processed = self._by_topic(
            "consumer_messages_processed",
            "Messages the consumer handled (first time or skipped as duplicates), by topic",
        )
        self.consumer_dead_lettered = self._by_topic(
            "consumer_dead_lettered",
            "Messages the consumer sent to its dead-letter topic, by original topic",
        )
        self.relay_published = self._by_topic(
            "outbox_relay_published_events",
            "Events the outbox relay published to Kafka (acknowledged), by topic",
        )
        self.gauges: list[DomainGauge] = []
        self._snapshot = _Snapshot()
        self._lock = asyncio.Lock()
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self.registry.register(_SnapshotCollector(self))
        # set by the runtime
        self.bootstrap_servers = ""
        self.namespace = ""
        self.group_id: str | None = None
        self.consumed_topics: Sequence[str] = ()
        self.has_outbox = False
        self.pool_provider: Callable[[], asyncpg.Pool] | None = None

    def _by_topic(self, name: str, documentation: str) -> Counter:
        """A counter of messages labelled by their topic, in this service's registry."""
        return Counter(name, documentation, ["topic"], registry=self.registry)

    def register_gauge(self, gauge: DomainGauge) -> None:
        self.gauges.append(gauge)

    # --- on scrape -------------------------------------------------------------------------

    async def exposition(self) -> bytes:
        """The text exposition, refreshing what is read on scrape when the cache is stale."""
        async with self._lock:
            if time.monotonic() - self._snapshot.taken_at >= self.cache_seconds:
                self._snapshot = _Snapshot(await self._read(), time.monotonic())
        return generate_latest(self.registry)

    async def _read(self) -> list[Metric]:
        families: list[Metric] = []
        scrape_errors = GaugeMetricFamily(
            "metrics_scrape_errors", "Sources that failed on the last scrape", labels=["source"]
        )
        for source, read in (
            ("kafka", self._kafka_lag),
            ("outbox", self._outbox_backlog),
            ("read_models", self._domain_gauges),
        ):
            try:
                families.extend(await read())
                scrape_errors.add_metric([source], 0)
            except Exception:  # a scrape never fails as a whole; the error is a series
                log.exception("reading %s metrics failed", source)
                scrape_errors.add_metric([source], 1)
        families.append(scrape_errors)
        return families

    async def _kafka_lag(self) -> list[Metric]:
        if self.group_id is None or not self.consumed_topics:
            return []
        lag = GaugeMetricFamily(
            "kafka_consumer_lag",
            "Messages past the committed offset of the service's consumer group",
            labels=["topic", "partition"],
        )
        projection = GaugeMetricFamily(
            "projection_lag_events",
            "Messages on a consumed topic past the newest offset in the inbox (see shared.metrics)",
            labels=["topic", "partition"],
        )
        admin, offsets = await self._kafka_clients()
        names = [physical(topic, self.namespace) for topic in self.consumed_topics]
        partitions = [
            TopicPartition(topic["topic"], number)
            for topic in await admin.describe_topics(names)
            if not topic.get("error_code")
            for number in sorted(entry["partition"] for entry in topic["partitions"])
        ]
        if not partitions:
            return [lag, projection]
        ends: dict[TopicPartition, int] = await offsets.end_offsets(partitions)
        starts: dict[TopicPartition, int] = await offsets.beginning_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(self.group_id, partitions=partitions)
        inboxed = await self._inbox_offsets()
        for tp in partitions:
            entry = committed.get(tp)
            position = entry.offset if entry is not None and entry.offset >= 0 else starts[tp]
            labels = [logical(tp.topic, self.namespace), str(tp.partition)]
            lag.add_metric(labels, max(ends[tp] - position, 0))
            newest = inboxed.get((labels[0], tp.partition))
            seen = newest + 1 if newest is not None else starts[tp]
            projection.add_metric(labels, max(ends[tp] - max(seen, starts[tp]), 0))
        return [lag, projection]

    async def _inbox_offsets(self) -> dict[tuple[str, int], int]:
        assert self.pool_provider is not None
        rows = await self.pool_provider().fetch(
            "SELECT topic, kafka_partition, max(kafka_offset) AS newest FROM inbox "
            "GROUP BY topic, kafka_partition"
        )
        return {(row["topic"], row["kafka_partition"]): row["newest"] for row in rows}

    async def _kafka_clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._offsets is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers, client_id=f"{self.service}-metrics"
            )
            offsets = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=f"{self.service}-metrics",
                enable_auto_commit=False,
            )
            await admin.start()
            try:
                await offsets.start()
            except Exception:
                await admin.close()
                raise
            self._admin, self._offsets = admin, offsets
        return self._admin, self._offsets

    async def _outbox_backlog(self) -> list[Metric]:
        if not self.has_outbox or self.pool_provider is None:
            return []
        backlog = GaugeMetricFamily(
            "outbox_backlog_events",
            "Committed events with a topic past the outbox relay's checkpoint",
        )
        backlog.add_metric([], await self.pool_provider().fetchval(_OUTBOX_BACKLOG))
        return [backlog]

    async def _domain_gauges(self) -> list[Metric]:
        if not self.gauges or self.pool_provider is None:
            return []
        families: list[Metric] = []
        async with self.pool_provider().acquire() as conn:
            for gauge in self.gauges:
                family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labels)
                for labels, value in await gauge.read(conn):
                    family.add_metric(list(labels), value)
                families.append(family)
        return families

    async def close(self) -> None:
        try:
            if self._admin is not None:
                await self._admin.close()
            if self._offsets is not None:
                await self._offsets.stop()
        except Exception:
            log.exception("closing the metrics' Kafka clients failed")
        self._admin = self._offsets = None
        self._snapshot = _Snapshot()


class HttpMetricsMiddleware(HttpMiddleware):
    """Times every HTTP request; labels it by route template (never a raw path with ids)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None)
            self.metrics.http_requests.labels(
                method=scope.get("method", ""),
                route=template or "unmatched",
                status=str(status),
            ).observe(time.perf_counter() - started)
