"""Start the three services as separate processes and wait until they answer."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("intake", "housing", "aid")
DEFAULT_PORTS = {"intake": 8001, "housing": 8002, "aid": 8003}


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # the child keeps its own copy of the descriptor: ours is closed at once, so that
        # restarting a service (the fault suite does it often) leaks no file
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}.main"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal reaches the demo, which stops us
            )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or an OOM kill would do it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        stop_all([self], timeout)

    def kill_group(self) -> None:
        """SIGKILL to the service's whole session: whatever it spawned goes with it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def stop_all(processes: Iterable[ServiceProcess], timeout: float = 8.0) -> None:
    """SIGTERM to every service at once, then SIGKILL to each one's process group if it has
    not gone within ``timeout`` s: stopping one after another, each with its own grace
    period, is what left housing and aid listening after Ctrl-C."""
    running = [p for p in processes if p.process is not None and p.process.poll() is None]
    for service in running:
        assert service.process is not None
        service.process.terminate()
    deadline = time.monotonic() + timeout
    for service in running:
        assert service.process is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            service.process.wait(timeout=max(0.0, deadline - time.monotonic()))
    # the group, not only the leader: a worker the service started must not outlive it
    for service in running:
        service.kill_group()


def launch(
    environment: dict[str, str],
    log_dir: Path,
    ports: dict[str, int] | None = None,
    database_urls: dict[str, str] | None = None,
) -> dict[str, ServiceProcess]:
    """Start intake, housing and aid; return once all three are ready."""
    ports = ports or DEFAULT_PORTS
    log_dir.mkdir(parents=True, exist_ok=True)
    repo = Path(__file__).resolve().parent.parent
    processes = {}
    for name in SERVICES:
        env = {**os.environ, **environment, f"{name.upper()}_HTTP_PORT": str(ports[name])}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
        if database_urls:
            env[f"{name.upper()}_DATABASE_URL"] = database_urls[name]
        processes[name] = ServiceProcess(name, ports[name], env, log_dir / f"{name}.log")
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_ready()
    except BaseException:  # Ctrl-C while they start too: nothing may be left behind
        stop_all(processes.values())
        raise
    return processes


def local_stack(repo: Path) -> dict[str, str]:
    """Start deploy/local (idempotent: reuses what runs) and return the endpoints it prints."""
    script = repo / "deploy" / "local" / "stack.sh"
    subprocess.run(["bash", str(script), "up"], check=True, stdout=sys.stderr)
    printed = subprocess.run(
        ["bash", str(script), "env"], check=True, capture_output=True, text=True
    ).stdout
    endpoints = {}
    for line in printed.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            endpoints[name] = shlex.split(value)[0] if value else ""
    return endpoints
