"""The run's child processes: the services, R0 and R5 (``Child``), and ``benchmarks.workers`` jobs
(``Worker``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

from benchmarks.common import REPO
from demo.processes import ServiceProcess


@dataclass
class Child:
    """A service or baseline process of the run."""

    name: str
    process: ServiceProcess
    pid: int
    database: str | None = None
    url: str | None = None
    namespace: str | None = None
    partner_key: str | None = None

    @property
    def port(self) -> int:
        return self.process.port


@dataclass
class BaselineProcess(ServiceProcess):
    """R0 or R5: ``python -m benchmarks.<name>_app PORT [ARGUMENTS...]``."""

    arguments: tuple[str, ...] = ()

    def start(self) -> None:
        log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"benchmarks.{self.name}_app", str(self.port), *self.arguments],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


class Worker:
    """A ``benchmarks.workers`` child: ready line, go line, one JSON line of figures. It exits
    by itself when its stdin closes (the harness ended), and ``Worker.kill_all`` ends those a
    failed case leaves."""

    live: ClassVar[set[Worker]] = set()

    def __init__(self, job: str, arguments: dict[str, Any]) -> None:
        self.job, self.arguments = job, arguments
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, patience: float = 60.0) -> int:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.workers",
            self.job,
            json.dumps(self.arguments),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        Worker.live.add(self)
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), patience)
        if line.strip() != b"ready":
            await self.process.wait()
            raise RuntimeError(f"worker {self.job} failed to start ({line[-500:]!r})")
        return self.process.pid

    def go(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"go\n")

    async def result(self, patience: float = 300.0) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), patience)
        except TimeoutError:
            self.process.kill()
            raise
        await self.process.wait()
        Worker.live.discard(self)
        if not line.strip():
            raise RuntimeError(f"worker {self.job} exited {self.process.returncode}, no result")
        result: dict[str, Any] = json.loads(line)
        return result

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    @classmethod
    def kill_all(cls) -> None:
        for worker in list(cls.live):
            worker.kill()
        cls.live.clear()


def add_partner(env: dict[str, str]) -> str:
    """A partner key from intake's own CLI (which also migrates the fresh database)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.intake.cli",
            "add-partner",
            "bench-partner",
            "--name",
            "Benchmark welcome point",
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"add-partner failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def start_process(process: ServiceProcess) -> int:
    process.start()
    process.wait_ready(timeout=120)
    assert process.process is not None
    return process.process.pid
