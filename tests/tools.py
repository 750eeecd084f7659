"""Tools some tests need beyond Python, Kafka and Postgres, and the command to get each."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

#: test module -> (executable, how to install it)
NEEDS = {
    "test_board.py": (
        "chromium",
        "Debian's chromium is missing (the board's browser test drives it): "
        "run `sudo apt-get install -y chromium` (or `make test`, which installs it as root)",
    ),
}


def missing_tools(paths: Iterable[Path]) -> list[str]:
    """What the selected tests need and this machine lacks, as instructions."""
    wanted = {NEEDS[path.name] for path in paths if path.name in NEEDS}
    browser = os.environ.get("CHROMIUM")
    return sorted(
        advice
        for tool, advice in wanted
        if shutil.which(browser if tool == "chromium" and browser else tool) is None
    )
