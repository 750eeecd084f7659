"""The field app's built files (the bundled script intake inlines into the page, the vendored QR
decoder and its licence) are committed; they must be what the pinned build makes of today's
sources (services/intake/fieldapp-build: `make fieldapp`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.stack import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

BUILD = REPO / "services" / "intake" / "fieldapp-build"
APP = REPO / "services" / "intake" / "fieldapp"
BUILT = ("dist/app.js", "vendor/jsQR.js", "vendor/jsQR.LICENSE")


def test_the_committed_script_and_qr_decoder_are_what_the_pinned_build_makes(
    tmp_path: Path,
) -> None:
    if not (BUILD / "node_modules" / "esbuild").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BUILD, check=True)
    environment = {**os.environ, "FIELDAPP_BUILD_OUT": str(tmp_path)}
    subprocess.run(["npm", "run", "build"], cwd=BUILD, check=True, env=environment)
    stale = [name for name in BUILT if (tmp_path / name).read_bytes() != (APP / name).read_bytes()]
    assert stale == [], f"out of date: {stale}; run `make fieldapp` and commit the result"
