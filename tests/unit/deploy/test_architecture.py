"""No service imports another (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess

from tests.stack import REPO


def test_the_import_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports")
    assert lint_imports, "import-linter is a dev dependency: run `uv sync`"
    result = subprocess.run([lint_imports], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Services never import each other KEPT" in result.stdout
