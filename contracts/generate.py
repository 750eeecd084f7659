"""Write (or check) the JSON Schema of every topic: ``contracts/<topic>.schema.json``.

    uv run python -m contracts.generate            # rewrite the files (make contracts)
    uv run python -m contracts.generate --check    # exit 1 if a file differs from the code,
                                                   # or if the code breaks the contracts of
                                                   # the merge base (see below)
    uv run python -m contracts.generate --check --base v1.2
                                                   # against the contracts at another git ref

The check judges a change against the contracts as they were where the branch left the main
line (``git merge-base HEAD origin/main``, else ``main``), not only against the files in the
working tree: a change that rewrites a contract together with the code would pass the latter.
On the main line itself (the merge base is HEAD) the change under judgement is the last
commit, so the base is its first parent; a clone with neither remote nor ``main`` compares
with HEAD's parent the same way; with no git history at all, only the working tree is checked.

The schema is the *validation* schema of the topic's TypeAdapter: what a consumer's
``adapter.validate_json`` accepts, which is the contract a subscriber relies on. (Our events
have no custom serializers or computed fields, so today the serialization schema is the same;
tests/unit/deploy/test_topic_contracts.py keeps it so.)

A committed contract only grows additively: rewriting refuses a file whose new schema would
break a consumer of the committed one (see contracts/compat.py), unless ``--allow-breaking``;
a breaking change belongs on a new version of the topic (``.v2``), published side by side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from contracts.compat import breaking_changes
from shared.schemas.registry import TOPIC_ADAPTERS

CONTRACTS_DIR = Path(__file__).resolve().parent
REPO = CONTRACTS_DIR.parent
#: where a branch leaves the main line, in the order looked for
MAIN_LINES = ("origin/main", "main")
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def topic_schema(topic: str) -> dict[str, Any]:
    """The JSON Schema of one topic, as generated from the code."""
    schema = TOPIC_ADAPTERS[topic].json_schema(mode="validation")
    return {"$schema": JSON_SCHEMA_DIALECT, "title": topic, **schema}


def contract_path(topic: str, directory: Path = CONTRACTS_DIR) -> Path:
    return directory / f"{topic}.schema.json"


def render(schema: dict[str, Any]) -> str:
    """The file's text: stable, readable, one trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def committed_schema(topic: str, directory: Path = CONTRACTS_DIR) -> dict[str, Any] | None:
    path = contract_path(topic, directory)
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def git(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *arguments], cwd=root, capture_output=True, text=True, check=False
    )


def default_base(root: Path = REPO) -> tuple[str | None, str]:
    """The commit whose contracts a change is judged against, and why that one."""
    head = git(root, "rev-parse", "--verify", "--quiet", "HEAD").stdout.strip()
    if not head:
        return None, "no git history: the working tree only"
    for branch in MAIN_LINES:
        base = git(root, "merge-base", "HEAD", branch).stdout.strip()
        if base and base != head:
            return base, f"the merge base with {branch}"
    parent = git(root, "rev-parse", "--verify", "--quiet", "HEAD^1").stdout.strip()
    if parent:
        return parent, "HEAD's first parent (on the main line, the last commit is the change)"
    return head, "HEAD (the first commit)"


def schema_at(ref: str, topic: str, root: Path = REPO) -> dict[str, Any] | None:
    """The contract of a topic as committed at a git ref (None when it did not exist there)."""
    relative = contract_path(topic).relative_to(REPO).as_posix()
    shown = git(root, "show", f"{ref}:{relative}")
    if shown.returncode != 0:
        return None
    loaded: dict[str, Any] = json.loads(shown.stdout)
    return loaded


def check(base: str | None, root: Path = REPO) -> int:
    if base is None:
        base, why = default_base(root)
        print(f"contracts: compared with {base or 'nothing'}: {why}", file=sys.stderr)
    failures = 0
    for topic in TOPIC_ADAPTERS:
        generated = topic_schema(topic)
        path = contract_path(topic, root / "contracts")
        if not path.exists() or path.read_text(encoding="utf-8") != render(generated):
            print(f"{path.name}: differs from the code; run `make contracts`", file=sys.stderr)
            failures += 1
        baselines = [("committed", committed_schema(topic, root / "contracts"))]
        if base is not None:
            baselines.append((base, schema_at(base, topic, root)))
        for label, baseline in baselines:
            for problem in breaking_changes(baseline, generated) if baseline else []:
                print(f"{topic} (against {label}): breaking: {problem}", file=sys.stderr)
                failures += 1
    return 1 if failures else 0


def write(allow_breaking: bool) -> int:
    refused = 0
    for topic in TOPIC_ADAPTERS:
        generated = topic_schema(topic)
        committed = committed_schema(topic)
        problems = breaking_changes(committed, generated) if committed else []
        if problems and not allow_breaking:
            for problem in problems:
                print(f"{topic}: breaking: {problem}", file=sys.stderr)
            print(
                f"{topic}: not rewritten; a breaking change needs a new topic version "
                "(or --allow-breaking while the topic has no subscriber)",
                file=sys.stderr,
            )
            refused += 1
            continue
        path = contract_path(topic)
        text = render(generated)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(CONTRACTS_DIR.parent)}")
    return 2 if refused else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on drift")
    parser.add_argument(
        "--base", help="with --check: the git ref to compare with (default: the merge base)"
    )
    parser.add_argument("--allow-breaking", action="store_true", help="rewrite even if breaking")
    arguments = parser.parse_args(argv)
    if arguments.check:
        return check(arguments.base)
    return write(arguments.allow_breaking)


if __name__ == "__main__":
    sys.exit(main())
