"""What runs inside every service process besides its HTTP routes: the database pool and its
migrations, the Kafka consumer (FastStream) and the outbox relay. Services wire it in their
``main`` module; nothing here knows a domain."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.specification import AsyncAPI
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

from shared.body_limit import BodySizeLimit
from shared.collector import settle_collector
from shared.consumer import Handler, IdempotentConsumer
from shared.database import create_pool
from shared.http import Problem, install_problem_details
from shared.idempotency import Fingerprints
from shared.logs import configure_logging
from shared.metrics import CONTENT_TYPE_LATEST, HttpMetricsMiddleware, ServiceMetrics
from shared.migrations import upgrade
from shared.openapi import problem_responses
from shared.outbox import OutboxRelay
from shared.ratelimit import RateLimit
from shared.schemas.registry import TOPIC_TYPES
from shared.server_spans import instrument
from shared.settings import ServiceSettings
from shared.telemetry import configure_tracing, without_query_string
from shared.topics import physical
from shared.topics_admin import ensure_topics

log = logging.getLogger(__name__)

# how long each step of a shutdown may take before the next one goes on without it
STOP_STEP_SECONDS = 10.0

S = TypeVar("S", bound=ServiceSettings)
LoopName = Literal["uvloop", "asyncio"]
HttpName = Literal["httptools", "h11"]


@dataclass
class ServiceRuntime:
    """The plumbing of one service process."""

    name: str
    settings: ServiceSettings
    migrations_dir: Path
    publishes_to: str | None = None
    consumes: Sequence[str] = ()
    handler: Handler | None = None
    #: (seconds, job): jobs run every so often while the service runs, e.g. expiring holds
    periodic: Sequence[tuple[float, Callable[[asyncpg.Pool], Awaitable[object]]]] = ()
    _pool: asyncpg.Pool | None = None
    broker: KafkaBroker = field(init=False)
    metrics: ServiceMetrics = field(init=False)
    #: keyed fingerprints of the requests this service answers once per Idempotency-Key
    fingerprints: Fingerprints = field(init=False)
    consumer: IdempotentConsumer | None = field(init=False, default=None)
    relay: OutboxRelay | None = field(init=False, default=None)
    _relay_task: asyncio.Task[None] | None = field(init=False, default=None)
    _jobs: list[asyncio.Task[None]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        secret = self.settings.fingerprint_key.get_secret_value().encode()
        self.fingerprints = Fingerprints(secret, self.name)
        self.broker = KafkaBroker(
            self.settings.kafka_bootstrap_servers,
            client_id=self.name,
            enable_idempotence=True,
            acks="all",
            middlewares=[KafkaTelemetryMiddleware()],
            logger=logging.getLogger(f"{self.name}.kafka"),
            log_level=logging.DEBUG,
        )
        namespace = self.settings.kafka_topic_namespace
        self.metrics = ServiceMetrics(self.name)
        self.metrics.bootstrap_servers = self.settings.kafka_bootstrap_servers
        self.metrics.namespace = namespace
        self.metrics.consumed_topics = tuple(self.consumes)
        self.metrics.has_outbox = self.publishes_to is not None
        self.metrics.pool_provider = lambda: self.pool
        for topic in self.consumes:  # the series exist before the first message
            self.metrics.consumer_processed.labels(topic=topic)
            self.metrics.consumer_dead_lettered.labels(topic=topic)
        if self.publishes_to:
            self.metrics.relay_published.labels(topic=self.publishes_to)
            # documentation only: the outbox relay publishes, this publisher describes the
            # topic and its event union in the service's AsyncAPI document
            self.broker.publisher(
                physical(self.publishes_to, namespace),
                title=self.publishes_to,
                description=f"Every event of {self.name}, keyed by its stream id; CloudEvents "
                "headers (ce_id, ce_type, ...), W3C traceparent. Contract: contracts/"
                f"{self.publishes_to}.schema.json.",
                schema=TOPIC_TYPES[self.publishes_to],
            )
        if self.consumes:
            assert self.handler is not None, "a consuming service needs a handler"
            self.metrics.group_id = physical(self.name, namespace)
            self.consumer = IdempotentConsumer(
                service=self.name,
                broker=self.broker,
                pool_provider=lambda: self.pool,
                handler=self.handler,
                topics=tuple(self.consumes),
                namespace=namespace,
                metrics=self.metrics,
                batch_max_events=self.settings.consumer_batch_max_events,
            )

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "the pool opens when the service starts"
        return self._pool

    async def start(self) -> None:
        await asyncio.to_thread(upgrade, self.settings.database_url, self.migrations_dir)
        self._pool = await create_pool(self.settings.database_url, self.settings.db_pool_max)
        namespace = self.settings.kafka_topic_namespace
        contracts = [*self.consumes, *([self.publishes_to] if self.publishes_to else [])]
        topics = [physical(topic, namespace) for topic in contracts]
        if self.consumer is not None:
            topics.append(self.consumer.dead_letter_topic)
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            topics,
            self.settings.kafka_partitions,
            self.settings.kafka_replication_factor,
        )
        await self.broker.start()
        if self.publishes_to:
            self.relay = OutboxRelay(
                self.pool,
                self.settings.kafka_bootstrap_servers,
                source=f"/services/{self.name}",
                namespace=namespace,
                metrics=self.metrics,
            )
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.name}-relay")
        for every, job in self.periodic:
            self._jobs.append(asyncio.create_task(self._repeat(every, job)))
        log.info("%s started", self.name)

    async def _repeat(self, every: float, job: Callable[[asyncpg.Pool], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await job(self.pool)
            except Exception:  # a failed round is logged; the next one tries again
                log.exception("periodic job %s failed", getattr(job, "__name__", job))

    async def stop(self) -> None:
        """Stop the relay, the periodic jobs, the consumers and the pool. Every step is bounded:
        an operator's restart (and a test's teardown) must end even if one of them hangs."""
        tasks = [*self._jobs, *([self._relay_task] if self._relay_task else [])]
        for task in tasks:
            task.cancel()
        if tasks:
            _, still_running = await asyncio.wait(tasks, timeout=STOP_STEP_SECONDS)
            for task in still_running:
                log.warning("%s: task %s ignored its cancellation", self.name, task.get_name())
        await self._bounded("stopping the consumers", self.broker.stop())
        await self._bounded("closing the metrics", self.metrics.close())
        # a handler cut off mid-query may hold its connection: do not hang shutdown
        pool = self._pool
        if pool is not None and not await self._bounded("closing the pool", pool.close()):
            pool.terminate()

    async def _bounded(self, step: str, work: Awaitable[object]) -> bool:
        """Await one step of the shutdown for at most STOP_STEP_SECONDS; say if it did not end."""
        try:
            async with asyncio.timeout(STOP_STEP_SECONDS):
                await work
        except TimeoutError:
            log.warning("%s: %s took over %s s; going on", self.name, step, STOP_STEP_SECONDS)
            return False
        return True

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


def service_app(
    runtime: ServiceRuntime, *, title: str, description: str, routers: Sequence[APIRouter] = ()
) -> FastAPI:
    """A FastAPI app for one service: problem details, tracing, health, OpenAPI at /docs, and
    the service's own ``routers`` after these."""
    # FastAPI's own telemetry stands aside for the instrumentation below (one server span per
    # request); left on, it still checks the providers on every request for nothing
    app = FastAPI(
        title=title, description=description, version="1", lifespan=runtime.lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )  # fmt: skip
    app.state.runtime = runtime
    install_problem_details(app)
    app.add_middleware(BodySizeLimit)
    # inside the metrics middleware, so that a 429 is counted with the other answers
    app.add_middleware(RateLimit, settings=runtime.settings, registry=runtime.metrics.registry)
    app.add_middleware(HttpMetricsMiddleware, metrics=runtime.metrics)
    # one server span per request: the ASGI receive/send sub-spans carry nothing an operator
    # follows a journey by, and cost as much as the request's own span
    instrument(
        app,
        excluded_urls="healthz,readyz,metrics",
        exclude_spans=["receive", "send"],
        server_request_hook=without_query_string,
    )

    @app.get("/asyncapi.json", tags=["contracts"])
    async def asyncapi() -> Any:
        """The AsyncAPI 3.0 document of the topics this service publishes and consumes."""
        document = AsyncAPI(
            runtime.broker, title=title, version="1", description=description,
            schema_version="3.0.0",
        )  # fmt: skip
        return document.to_specification().to_jsonable()

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok", "service": runtime.name}

    @app.get("/readyz", tags=["health"], responses=problem_responses(503))
    async def readyz() -> dict[str, str]:
        """The database answers; the service can take requests."""
        relay = runtime._relay_task
        if relay is not None and relay.done():
            raise Problem(503, "Relay stopped", "The outbox relay stopped; see the service log.")
        async with runtime.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        return {"status": "ready", "service": runtime.name}

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus metrics (text exposition): lag, backlog, requests, domain gauges."""
        return Response(await runtime.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def server_choice(installed: Callable[[str], bool] = _installed) -> tuple[LoopName, HttpName]:
    """The event loop and HTTP parser uvicorn runs a service with: uvloop and httptools (C
    implementations: 13-17 % less CPU per arrival in intake, measured for issue #17) when
    installed, else the
    standard library's loop and h11, so a machine without them still runs."""
    loop: LoopName = "uvloop" if installed("uvloop") else "asyncio"
    http: HttpName = "httptools" if installed("httptools") else "h11"
    return loop, http


def serve(create_app: Callable[[S], FastAPI], settings: S) -> None:
    """Run one service process (blocking): its app made from ``settings``, with JSON logs and
    tracing configured."""
    app = create_app(settings)
    configure_logging()
    configure_tracing(app.state.runtime.name)
    if settings.trace_database_statements:
        AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    settle_collector()  # last, once what the process keeps for good is built
    loop, http = server_choice()
    log.info("%s serves HTTP with loop=%s, http=%s", app.state.runtime.name, loop, http)
    # the client address is the TCP peer: X-Forwarded-For is not trusted (no proxy in front;
    # the rate limit counts failed authentications per address, shared/ratelimit.py)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        loop=loop,
        http=http,
        proxy_headers=False,
    )
