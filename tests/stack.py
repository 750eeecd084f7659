"""Where the tests find a real Kafka and a real Postgres.

In order of preference: endpoints given in the environment (``KAFKA_BOOTSTRAP_SERVERS`` and
``PG_ADMIN_URL``), then testcontainers where a Docker engine answers, then the Docker-free
stack of deploy/local (started here when it does not run yet).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from demo.processes import local_stack

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stack:
    kafka_bootstrap_servers: str
    pg_admin_url: str

    def database_url(self, database: str) -> str:
        base, _, _ = self.pg_admin_url.rpartition("/")
        return f"{base}/{database}"


def _docker_engine_answers() -> bool:
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


def _from_testcontainers() -> Stack:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    kafka = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    postgres = PostgresContainer("postgres:16", username="postgres", password="postgres")
    kafka.start()
    postgres.start()
    url = postgres.get_connection_url(driver=None)
    return Stack(kafka.get_bootstrap_server(), url.rsplit("/", 1)[0] + "/postgres")


def _from_local_stack() -> Stack:
    endpoints = local_stack(REPO)
    return Stack(endpoints["KAFKA_BOOTSTRAP_SERVERS"], endpoints["PG_ADMIN_URL"])


def discover() -> Stack:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    postgres = os.environ.get("PG_ADMIN_URL")
    if kafka and postgres:
        return Stack(kafka, postgres)
    if _docker_engine_answers():
        return _from_testcontainers()
    return _from_local_stack()
