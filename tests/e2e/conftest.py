"""The three services as separate processes, on the real stack."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.processes import ServiceProcess, launch
from tests.conftest import OPERATOR_KEY
from tests.stack import REPO, Stack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def traces_exporter() -> str:
    """Overridden by tests that want spans in the log files."""
    return "none"


@pytest.fixture
def processes(
    stack: Stack, databases: dict[str, str], namespace: str, tmp_path: Path, traces_exporter: str
) -> Iterator[dict[str, ServiceProcess]]:
    environment = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "OPERATOR_API_KEY": OPERATOR_KEY,
        "OTEL_TRACES_EXPORTER": traces_exporter,
    }
    ports = {name: free_port() for name in ("intake", "housing", "aid")}
    running = launch(environment, tmp_path / "logs", ports, databases)
    try:
        yield running
    finally:
        for process in running.values():
            process.stop()


def partner_key(intake: ServiceProcess) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "services.intake.cli", "add-partner", "wp-e2e", "--name", "E2E"],
        env=intake.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip().splitlines()[-1]
