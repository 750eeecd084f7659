"""Fixtures shared by every test layer: the real stack, fresh databases, a topic namespace,
and the three services running in this process (for traces in memory); and each test's tier
marker, given by its folder."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.stack import REPO, Stack, discover

# one provider for the whole test process: spans of all in-process services land here
SPANS = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_provider)

OPERATOR_KEY = "operator-test-key"
T = TypeVar("T")

#: the folders under tests/ that hold tests, each the marker of its tier (pyproject.toml)
TIERS = ("unit", "integration", "e2e", "faults")


def tier_of(path: Path) -> str:
    """The tier of a test file: the first folder under tests/ (a test anywhere else has none)."""
    try:
        parts = path.resolve().relative_to(REPO / "tests").parts
    except ValueError:  # outside tests/
        parts = ()
    if len(parts) < 2 or parts[0] not in TIERS:
        raise pytest.UsageError(f"{path}: a test lives in one of tests/{{{','.join(TIERS)}}}/")
    return parts[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test carries its tier's marker, so that ``-m unit`` (or ``-m "not e2e"``) selects
    by folder and no test file has to remember its ``pytestmark``."""
    for item in items:
        item.add_marker(tier_of(item.path))


@pytest.fixture(scope="session")
def stack() -> Stack:
    return discover()


@pytest.fixture
async def namespace(stack: Stack) -> AsyncIterator[str]:
    """A fresh prefix for topics and consumer groups; its topics are deleted afterwards so
    that the broker does not fill up with partitions run after run."""
    prefix = f"t{uuid4().hex[:12]}"
    yield prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap_servers)
    try:
        # bounded: topics left behind cost only disk, a hung teardown costs the whole run
        async with asyncio.timeout(60):
            await admin.start()
            mine = [t for t in await admin.list_topics() if t.startswith(f"{prefix}.")]
            if mine:
                await admin.delete_topics(mine)
    except (TimeoutError, KafkaError) as error:
        warnings.warn(f"topics of {prefix} left behind: {error!r}", stacklevel=1)
    finally:
        await admin.close()


@pytest.fixture
async def databases(stack: Stack) -> AsyncIterator[dict[str, str]]:
    """Three fresh, empty databases, one per service, dropped afterwards."""
    suffix = uuid4().hex[:10]
    names = {service: f"test_{service}_{suffix}" for service in ("intake", "housing", "aid")}
    admin = await asyncpg.connect(stack.pg_admin_url)
    try:
        for name in names.values():
            await admin.execute(f'CREATE DATABASE "{name}"')
        yield {service: stack.database_url(name) for service, name in names.items()}
    finally:
        for name in names.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def settings_for(
    service: str, stack: Stack, databases: dict[str, str], namespace: str, port: int = 0
) -> dict[str, Any]:
    return {
        "database_url": databases[service],
        "kafka_bootstrap_servers": stack.kafka_bootstrap_servers,
        "kafka_topic_namespace": namespace,
        "operator_api_key": OPERATOR_KEY,
        "http_port": port,
        "db_pool_max": 5,
    }


@dataclass
class RunningServices:
    clients: dict[str, httpx.AsyncClient]
    apps: dict[str, FastAPI]
    databases: dict[str, str]
    namespace: str
    partner_key: str

    def client(self, service: str) -> httpx.AsyncClient:
        if service not in self.clients:
            raise AssertionError(f"{service} does not run in this test (see service_names)")
        return self.clients[service]

    @property
    def intake(self) -> httpx.AsyncClient:
        return self.client("intake")

    @property
    def housing(self) -> httpx.AsyncClient:
        return self.client("housing")

    @property
    def aid(self) -> httpx.AsyncClient:
        return self.client("aid")

    def pool(self, service: str) -> asyncpg.Pool:
        pool: asyncpg.Pool = self.apps[service].state.runtime.pool
        return pool


def build_app(service: str, settings: dict[str, Any]) -> FastAPI:
    if service == "intake":
        from services.intake.main import create_app as create_intake
        from services.intake.settings import IntakeSettings

        return create_intake(IntakeSettings(**settings))
    if service == "housing":
        from services.housing.main import create_app as create_housing
        from services.housing.settings import HousingSettings

        return create_housing(HousingSettings(**settings))
    from services.aid.main import create_app as create_aid
    from services.aid.settings import AidSettings

    return create_aid(AidSettings(**settings))


@pytest.fixture
def service_names() -> tuple[str, ...]:
    """Which services a test runs; a test module may narrow it."""
    return ("intake", "housing", "aid")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes for every service it runs (e.g. the rate limit)."""
    return {}


@pytest.fixture
async def services(
    stack: Stack,
    databases: dict[str, str],
    namespace: str,
    service_names: tuple[str, ...],
    settings_overrides: dict[str, Any],
) -> AsyncIterator[RunningServices]:
    """Intake, housing and aid, each with its own database, in this process."""
    from services.intake.partners import Scope, create_partner

    apps = {
        name: build_app(
            name, {**settings_for(name, stack, databases, namespace), **settings_overrides}
        )
        for name in service_names
    }
    for app in apps.values():
        await app.state.runtime.start()
    async with apps["intake"].state.runtime.pool.acquire() as conn:
        partner_key = await create_partner(
            conn, "wp-test", "Test welcome point", {Scope.REGISTER_ARRIVALS, Scope.READ_OWN_CASES}
        )
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
        for name, app in apps.items()
    }
    try:
        yield RunningServices(
            clients,
            apps,
            databases,
            namespace,
            partner_key,
        )
    finally:
        for client in clients.values():
            await client.aclose()
        for app in apps.values():
            await app.state.runtime.stop()


async def eventually(
    check: Callable[[], Awaitable[T | None]], timeout: float = 40.0, what: str = "condition"
) -> T:
    """Poll until ``check`` returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop before the first test, with the command to run, when a selected test needs a
    tool this machine lacks (``make test`` installs it first: deploy/local/test-tools.sh)."""
    from tests.tools import missing_tools

    needs = missing_tools(item.path for item in session.items)
    if needs:
        pytest.exit("; ".join(needs), returncode=pytest.ExitCode.USAGE_ERROR)
