"""The size ratchet of ``make lint`` (quality/sizes.py) on small synthetic trees: a new offender
fails, a known one passes while it does not grow, growth fails, shrinking is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality.sizes import FUNCTION_LIMIT, MODULE_LIMIT, main, offenders


def module(lines: int) -> str:
    return "".join(f"x{index} = {index}\n" for index in range(lines))


def function(name: str, lines: int, indent: str = "") -> str:
    """A function of exactly ``lines`` lines, ``def`` line included."""
    body = "".join(f"{indent}    y{index} = {index}\n" for index in range(lines - 1))
    return f"{indent}def {name}() -> None:\n{body}"


def write(repo: Path, relative: str, text: str) -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def check(repo: Path, *extra: str) -> int:
    return main(["--repo", str(repo), "--known", str(repo / "known.txt"), *extra])


def test_a_new_long_module_fails_the_check_and_is_listed_with_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "services/intake/app.py", module(MODULE_LIMIT + 1))
    write(tmp_path, "known.txt", "")
    assert check(tmp_path) == 1
    listed = f"NEW    services/intake/app.py: {MODULE_LIMIT + 1} lines (limit {MODULE_LIMIT})"
    assert listed in capsys.readouterr().out


def test_a_module_at_the_limit_is_no_offender(tmp_path: Path) -> None:
    write(tmp_path, "shared/outbox.py", module(MODULE_LIMIT))
    write(tmp_path, "shared/runner.py", function("run", FUNCTION_LIMIT))
    assert offenders(tmp_path) == {}


def test_a_known_offender_that_did_not_grow_passes_and_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "services/housing/app.py", function("place", FUNCTION_LIMIT + 5))
    write(tmp_path, "known.txt", f"services/housing/app.py::place {FUNCTION_LIMIT + 5}\n")
    assert check(tmp_path) == 0
    assert "known  services/housing/app.py::place" in capsys.readouterr().out


def test_a_known_offender_that_grew_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "services/housing/app.py", function("place", FUNCTION_LIMIT + 6))
    write(tmp_path, "known.txt", f"services/housing/app.py::place {FUNCTION_LIMIT + 5}\n")
    assert check(tmp_path) == 1
    assert "GREW   services/housing/app.py::place" in capsys.readouterr().out


def test_an_offender_under_its_limit_now_can_leave_the_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "console/main.py", module(20))
    write(tmp_path, "known.txt", f"console/main.py {MODULE_LIMIT + 40}\n")
    assert check(tmp_path) == 0
    assert "console/main.py: under its limit now, can be removed" in capsys.readouterr().out


def test_methods_and_nested_functions_are_measured_by_the_syntax_tree(tmp_path: Path) -> None:
    nested = function("inner", FUNCTION_LIMIT + 1, indent="        ")
    source = (
        "class Relay:\n"
        "    def run(self) -> None:\n"
        '        """A docstring that says\n'
        "def not_a_function():\n"
        '        """\n' + nested
    )
    write(tmp_path, "shared/outbox.py", source)
    found = offenders(tmp_path)
    assert set(found) == {"shared/outbox.py::Relay.run", "shared/outbox.py::Relay.run.inner"}
    assert found["shared/outbox.py::Relay.run.inner"].lines == FUNCTION_LIMIT + 1


def test_tests_and_benchmarks_are_not_measured(tmp_path: Path) -> None:
    write(tmp_path, "services/aid/tests/test_long.py", module(MODULE_LIMIT * 2))
    write(tmp_path, "shared/benchmarks/long.py", module(MODULE_LIMIT * 2))
    write(tmp_path, "tests/unit/test_long.py", module(MODULE_LIMIT * 2))
    assert offenders(tmp_path) == {}


def test_update_writes_todays_offenders_so_that_the_check_passes(tmp_path: Path) -> None:
    write(tmp_path, "demo/oral.py", module(MODULE_LIMIT + 3) + function("play", 70))
    assert check(tmp_path) == 1
    assert check(tmp_path, "--update") == 0
    listed = (tmp_path / "known.txt").read_text()
    assert f"demo/oral.py {MODULE_LIMIT + 3 + 70}\n" in listed
    assert "demo/oral.py::play 70\n" in listed
    assert check(tmp_path) == 0
