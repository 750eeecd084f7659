"""The README's partner snippet, as a newcomer pastes it into a shell after `make run`.

The snippet is read from README.md itself, so this test breaks when the README drifts from
what the code does. Only the port changes: the services run on this test's free ports.
"""

from __future__ import annotations

import json
import re
import subprocess

import httpx
import pytest

from demo.processes import DEFAULT_PORTS, ServiceProcess
from tests.stack import REPO

pytestmark = pytest.mark.e2e

SECTION = "### A partner's first call"


def readme_snippet(section: str) -> str:
    text = (REPO / "README.md").read_text()
    after = text[text.index(section) :]
    found = re.search(r"```bash\n(.*?)```", after, re.DOTALL)
    assert found, f"no bash block under {section!r} in README.md"
    return found.group(1)


def run_snippet(snippet: str, intake: ServiceProcess) -> dict[str, object]:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet],
        cwd=REPO,
        env=intake.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_the_readmes_first_partner_call_runs_twice_in_a_row_with_the_same_answer(
    processes: dict[str, ServiceProcess],
) -> None:
    intake = processes["intake"]
    snippet = readme_snippet(SECTION)
    default = f"http://127.0.0.1:{DEFAULT_PORTS['intake']}"
    assert default in snippet
    snippet = snippet.replace(default, intake.url)

    first = run_snippet(snippet, intake)
    again = run_snippet(snippet, intake)

    assert set(first) >= {"arrival_id", "person_ids", "correlation_id"}, first
    assert len(first["person_ids"]) == 2  # type: ignore[arg-type]
    # a new key for the same partner, the same Idempotency-Key and body: nothing new
    assert again["arrival_id"] == first["arrival_id"]
    assert again["person_ids"] == first["person_ids"]


def test_add_partner_run_twice_prints_a_new_working_key_each_time(
    processes: dict[str, ServiceProcess],
) -> None:
    intake = processes["intake"]
    command = 'uv run python -m services.intake.cli add-partner wp-twice --name "Twice"'
    keys = []
    for _ in range(2):
        done = subprocess.run(
            ["bash", "-c", command], cwd=REPO, env=intake.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        keys.append(done.stdout.strip())
    assert all(key.startswith("rk_") for key in keys)
    assert keys[0] != keys[1]
    assert "exists" in done.stderr

    old = httpx.get(f"{intake.url}/v1/arrivals", headers={"X-API-Key": keys[0]})
    new = httpx.get(f"{intake.url}/v1/arrivals", headers={"X-API-Key": keys[1]})
    assert (old.status_code, new.status_code) == (401, 200)
