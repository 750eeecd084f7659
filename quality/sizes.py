"""Module and function sizes, as a ratchet (issue #18): no module over ``MODULE_LIMIT`` lines and
no function over ``FUNCTION_LIMIT`` lines in the service code, tests and benchmarks aside.

Today's code has offenders, so the check compares with a committed list of them and their sizes
(``quality/known_oversize.txt``): it fails on a new offender or on a known one that grew, lists
every offender (known ones marked) and names those that fell under the limit, which can leave
the list. ``python -m quality.sizes --update`` rewrites the list from the code as it is.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MODULE_LIMIT = 300
FUNCTION_LIMIT = 60
ROOTS = ("services", "shared", "console", "demo")
#: folders whose code may be long: test scenarios and measurement scripts
EXEMPT_PARTS = frozenset({"tests", "benchmarks"})
REPO = Path(__file__).resolve().parent.parent
KNOWN = Path(__file__).resolve().parent / "known_oversize.txt"


@dataclass(frozen=True)
class Offender:
    """A module (``name`` is its path) or a function (``path::Qualified.name``) over its limit."""

    name: str
    lines: int
    limit: int


def python_files(repo: Path, roots: Sequence[str] = ROOTS) -> Iterator[Path]:
    for root in roots:
        for path in sorted((repo / root).rglob("*.py")):
            relative = path.relative_to(repo)
            if not EXEMPT_PARTS & set(relative.parts):
                yield path


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(qualified name, lines from ``def`` to its last line) of every function, nested ones
    and methods included, each under its own name."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, (node.end_lineno or node.lineno) - node.lineno + 1
            yield from functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def offenders(repo: Path, roots: Sequence[str] = ROOTS) -> dict[str, Offender]:
    found: dict[str, Offender] = {}
    for path in python_files(repo, roots):
        source = path.read_text(encoding="utf-8")
        module = path.relative_to(repo).as_posix()
        lines = len(source.splitlines())
        if lines > MODULE_LIMIT:
            found[module] = Offender(module, lines, MODULE_LIMIT)
        for name, length in functions(ast.parse(source, filename=str(path))):
            key = f"{module}::{name}"
            if length > FUNCTION_LIMIT and length > found.get(key, Offender(key, 0, 0)).lines:
                found[key] = Offender(key, length, FUNCTION_LIMIT)
    return found


def read_known(path: Path) -> dict[str, int]:
    known: dict[str, int] = {}
    if not path.exists():
        return known
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, lines = line.rsplit(maxsplit=1)
            known[name] = int(lines)
    return known


def write_known(path: Path, found: dict[str, Offender]) -> None:
    header = (
        "# Modules over 300 lines and functions over 60 lines today (issue #18): the size check\n"
        "# fails on any other offender and on any of these that grows. Shrink them, never add.\n"
        "# Rewritten by `uv run python -m quality.sizes --update`.\n"
    )
    body = "".join(f"{name} {found[name].lines}\n" for name in sorted(found))
    path.write_text(header + body, encoding="utf-8")


def verdict(found: dict[str, Offender], known: dict[str, int]) -> tuple[list[str], list[str]]:
    """(report lines, failures): every offender with its standing, then what can leave the list."""
    report: list[str] = []
    failures: list[str] = []
    for name in sorted(found):
        offender, before = found[name], known.get(name)
        size = f"{offender.lines} lines (limit {offender.limit})"
        if before is None:
            failures.append(name)
            report.append(f"NEW    {name}: {size}")
        elif offender.lines > before:
            failures.append(name)
            report.append(f"GREW   {name}: {size}, was {before}")
        else:
            report.append(f"known  {name}: {size}")
    for name in sorted(set(known) - set(found)):
        report.append(f"gone   {name}: under its limit now, can be removed from the list")
    return report, failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality.sizes", description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the list of known ones")
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    parser.add_argument("--known", type=Path, default=KNOWN, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    found = offenders(args.repo)
    if args.update:
        write_known(args.known, found)
        print(f"{len(found)} offenders written to {args.known}")
        return 0
    report, failures = verdict(found, read_known(args.known))
    print("\n".join(report))
    if failures:
        print(
            f"\n{len(failures)} new or grown: split them under the limit "
            f"(modules {MODULE_LIMIT} lines, functions {FUNCTION_LIMIT} lines)",
            file=sys.stderr,
        )
        return 1
    print(f"\n{len(found)} known offenders, none new or grown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
