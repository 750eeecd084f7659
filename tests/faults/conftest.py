"""The fault suite runs on its own private Kafka and Postgres (started here, stopped and purged
at the end, also after a failure), with the three services as separate processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from demo.processes import ServiceProcess, launch
from tests.conftest import OPERATOR_KEY
from tests.e2e.conftest import free_port, partner_key
from tests.faults.private_stack import PrivateStack

#: the figures of each run, printed in the terminal summary (so CI logs show them)
REPORTS: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTS:
        terminalreporter.section("fault suite")
        for report in REPORTS:
            terminalreporter.write_line(report)


@pytest.fixture(scope="session")
def private_stack() -> Iterator[PrivateStack]:
    stack = PrivateStack()
    try:
        stack.up()
        yield stack
    finally:
        stack.purge()


@dataclass
class System:
    """The three services of one run, with their databases and topic namespace."""

    processes: dict[str, ServiceProcess]
    databases: dict[str, str]
    namespace: str
    partner_key: str

    @property
    def urls(self) -> dict[str, str]:
        return {name: process.url for name, process in self.processes.items()}


StartSystem = Callable[..., Awaitable[System]]


@pytest.fixture
async def start_system(private_stack: PrivateStack, tmp_path: Path) -> AsyncIterator[StartSystem]:
    """Start intake, housing and aid on fresh databases and a fresh namespace; stopped after
    the test. ``extra_environment`` reaches the three processes."""
    started: list[System] = []

    async def start(extra_environment: dict[str, str] | None = None) -> System:
        suffix = uuid4().hex[:10]
        admin = await asyncpg.connect(private_stack.pg_admin_url)
        try:
            databases = {}
            for service in ("intake", "housing", "aid"):
                await admin.execute(f'CREATE DATABASE "faults_{service}_{suffix}"')
                databases[service] = private_stack.database_url(f"faults_{service}_{suffix}")
        finally:
            await admin.close()
        namespace = f"f{suffix}"
        environment = {
            "KAFKA_BOOTSTRAP_SERVERS": private_stack.kafka_bootstrap_servers,
            "KAFKA_TOPIC_NAMESPACE": namespace,
            "OPERATOR_API_KEY": OPERATOR_KEY,
            "OTEL_TRACES_EXPORTER": "none",
            **(extra_environment or {}),
        }
        ports = {name: free_port() for name in ("intake", "housing", "aid")}
        processes = await asyncio.to_thread(
            launch, environment, tmp_path / f"logs-{suffix}", ports, databases
        )
        system = System(processes, databases, namespace, "")
        started.append(system)
        system.partner_key = await asyncio.to_thread(partner_key, processes["intake"])
        return system

    yield start
    for system in started:
        for process in system.processes.values():
            with suppress(Exception):
                process.stop()
