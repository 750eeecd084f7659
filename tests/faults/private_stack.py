"""The fault suite's own Kafka and Postgres: a second deploy/local stack on other ports, with its
own data, so that restarting the broker or the database server never disturbs the tests that
share the main stack."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.stack import REPO

STACK_SCRIPT = REPO / "deploy" / "local" / "stack.sh"
INSTANCE = "faults"


@dataclass(frozen=True)
class PrivateStack:
    kafka_port: int = int(os.environ.get("FAULTS_KAFKA_PORT", "19092"))
    kafka_controller_port: int = int(os.environ.get("FAULTS_KAFKA_CONTROLLER_PORT", "19093"))
    pg_port: int = int(os.environ.get("FAULTS_PGPORT", "15433"))

    @property
    def kafka_bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def pg_admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"

    def database_url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{database}"

    @property
    def kafka_log(self) -> Path:
        return REPO / ".local" / "instances" / INSTANCE / "logs" / "kafka.log"

    def _run(self, *arguments: str) -> None:
        environment = {
            **os.environ,
            "STACK_INSTANCE": INSTANCE,
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
            "PGPORT": str(self.pg_port),
            "STACK_ZIPKIN": "0",
            "KAFKA_HEAP": "384m",  # two brokers on a small machine
        }
        subprocess.run(
            ["bash", str(STACK_SCRIPT), *arguments],
            env=environment,
            check=True,
            stdout=sys.stderr,
            timeout=240,
        )

    def up(self) -> None:
        self._run("up")

    def purge(self) -> None:
        self._run("down", "--purge")

    def restart(self, component: str) -> None:
        """Stop the broker or the database server (cleanly, as an operator would) and start
        it again; returns once it answers."""
        self._run("restart", component)
