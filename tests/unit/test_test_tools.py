"""`make test` gets what its tests need before the first one, or stops at once saying how."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.stack import REPO

MISSING = {"CHROMIUM": "/nonexistent/chromium", "RESETTLE_INSTALL": "no"}


def run(*command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_make_test_checks_its_tools_before_the_lint_and_the_first_test() -> None:
    planned = run("make", "-n", "test").stdout
    assert planned.index("test-tools.sh") < planned.index("ruff") < planned.index("pytest")


def test_a_missing_chromium_stops_the_check_with_the_command_to_install_it() -> None:
    checked = run("bash", "deploy/local/test-tools.sh", **MISSING)
    assert checked.returncode == 1
    assert "sudo apt-get install -y chromium" in checked.stderr


def test_a_chromium_present_passes_the_check() -> None:
    assert run("bash", "deploy/local/test-tools.sh", CHROMIUM=sys.executable).returncode == 0


def test_a_missing_npm_stops_the_check_with_the_command_to_install_it() -> None:
    checked = run(
        "bash", "deploy/local/test-tools.sh",
        CHROMIUM=sys.executable, NPM="/nonexistent/npm", RESETTLE_INSTALL="no",
    )  # fmt: skip
    assert checked.returncode == 1
    assert "sudo apt-get install -y npm" in checked.stderr


def test_pytest_stops_before_the_first_test_when_a_selected_test_lacks_its_browser() -> None:
    session = run(
        sys.executable, "-m", "pytest", "tests/e2e/test_board.py", "-p", "no:cacheprovider",
        **MISSING,
    )  # fmt: skip
    assert session.returncode == 4, session.stdout + session.stderr
    assert "apt-get install -y chromium" in session.stdout + session.stderr
    assert " passed" not in session.stdout and " failed" not in session.stdout


def test_pytest_runs_as_before_when_no_selected_test_needs_a_browser() -> None:
    session = run(
        sys.executable, "-m", "pytest", "tests/unit/test_transliteration.py", "-q",
        "-p", "no:cacheprovider", **MISSING,
    )  # fmt: skip
    assert session.returncode == 0, session.stdout + session.stderr
