"""The import-linter contracts of pyproject.toml: no service imports another, shared knows no
service, each service keeps its rooms in layers, and no domain reaches a database, broker, web
or tracer library."""

from __future__ import annotations

import shutil
import subprocess

from tests.stack import REPO


def test_the_import_contracts_are_all_there_and_kept() -> None:
    lint_imports = shutil.which("lint-imports")
    assert lint_imports, "import-linter is a dev dependency: run `uv sync`"
    result = subprocess.run([lint_imports], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    kept = {line.removesuffix(" KEPT") for line in result.stdout.splitlines() if "KEPT" in line}
    assert {
        "Services never import each other",
        "The shared library knows no service",
        "Intake's rooms (main, api, app, reads, projections, stores, domain)",
        "Housing's rooms (main, api, app, reads, projections, domain)",
        "Aid's rooms (main, api, app, reads, projections, stores, domain)",
        "Domains reach no database, broker, web or tracer library",
        "Read-model folds do no I/O (intake, housing)",
    } <= kept, result.stdout
