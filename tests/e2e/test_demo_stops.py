"""``make run`` stops what it started: Ctrl-C (SIGINT to the terminal's process group) or
SIGTERM ends the demo and the three services within 10 s, and frees their ports.

The demo is started as ``make run`` starts it (``python -m demo.run``), in a process group of
its own, on this test's databases, topic namespace and free ports. The shared stack (Kafka,
Postgres, Zipkin) is not the demo's to stop, and keeps running.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import OPERATOR_KEY
from tests.e2e.conftest import free_port
from tests.stack import REPO, Stack

pytestmark = pytest.mark.e2e

SERVING = "Services keep running"
UV = shutil.which("uv")
DEMO = (
    [UV, "run", "--frozen", "--no-sync", "python", "-m", "demo.run"]
    if UV
    else [sys.executable, "-m", "demo.run"]
)


def children_of(root: int) -> set[int]:
    """Every live descendant of ``root``, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # the command name may hold spaces and parentheses: fields start after the last ')'
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_demo(
    stack: Stack, databases: dict[str, str], namespace: str, log: Path
) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    ports = {name: free_port() for name in ("intake", "housing", "aid")}
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "OPERATOR_API_KEY": OPERATOR_KEY,
        "OTEL_TRACES_EXPORTER": "none",
        **{f"{name.upper()}_HTTP_PORT": str(port) for name, port in ports.items()},
        **{f"{name.upper()}_DATABASE_URL": url for name, url in databases.items()},
    }
    with log.open("wb") as out:
        demo = subprocess.Popen(
            # as the Makefile starts it: uv forwards a signal it gets to the demo too, so the
            # demo sees Ctrl-C twice (once from the terminal, once from uv)
            DEMO,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, as the terminal gives `make run`
        )
    return demo, ports


def wait_until_serving(demo: subprocess.Popen[bytes], log: Path, ports: dict[str, int]) -> None:
    deadline = time.monotonic() + 240
    while SERVING not in log.read_text(errors="replace"):
        assert demo.poll() is None, f"the demo exited early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"the demo did not finish:\n{log.read_text()}"
        time.sleep(0.5)
    for port in ports.values():
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_to_the_demo_stops_every_service_it_started_within_ten_seconds(
    stop: signal.Signals,
    stack: Stack,
    databases: dict[str, str],
    namespace: str,
    tmp_path: Path,
) -> None:
    log = tmp_path / "demo.log"
    demo, ports = start_demo(stack, databases, namespace, log)
    started: set[int] = set()
    try:
        wait_until_serving(demo, log, ports)
        started = children_of(demo.pid)
        assert len(started) >= 3, "the three services should run as the demo's children"

        os.killpg(demo.pid, stop)
        demo.wait(timeout=10)
        # the services' own children are theirs to end; give them a moment to be reaped
        deadline = time.monotonic() + 2
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)

        assert [pid for pid in started if alive(pid)] == []
        assert [port for port in ports.values() if listening(port)] == []
        assert "stopping the services" in log.read_text()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
