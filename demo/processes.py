"""Start the three services as separate processes and wait until they answer."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
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

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


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
    for process in processes.values():
        process.start()
    try:
        for process in processes.values():
            process.wait_ready()
    except Exception:
        for process in processes.values():
            process.stop()
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
