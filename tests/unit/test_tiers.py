"""Every test carries its tier's marker, taken from its folder, and a misspelt marker is an
error (--strict-markers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import tier_of
from tests.stack import REPO


def test_this_test_is_marked_unit_by_its_folder(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("unit") is not None
    assert request.node.get_closest_marker("integration") is None


def test_the_tier_is_the_first_folder_under_tests() -> None:
    tests = REPO / "tests"
    assert tier_of(tests / "unit" / "deploy" / "test_compose.py") == "unit"
    assert tier_of(tests / "integration" / "test_housing.py") == "integration"
    assert tier_of(tests / "e2e" / "test_board.py") == "e2e"
    assert tier_of(tests / "faults" / "test_fault_suite.py") == "faults"


@pytest.mark.parametrize(
    "path", [REPO / "tests" / "test_loose.py", REPO / "tests" / "misc" / "test_x.py", Path("/x.py")]
)
def test_a_test_outside_the_tier_folders_is_refused(path: Path) -> None:
    with pytest.raises(pytest.UsageError):
        tier_of(path)


def test_unknown_markers_are_refused(request: pytest.FixtureRequest) -> None:
    assert request.config.option.strict_markers is True
