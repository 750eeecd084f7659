"""The contract check judges a change against the merge base, not only against the working
tree: a branch that rewrites a contract together with the code still fails when the new
contract breaks the one the main line holds."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from contracts.generate import check, default_base, render, topic_schema
from shared.topics import INTAKE_EVENTS
from tests.unit.deploy.test_topic_contracts import TOPICS


def git(root: Path, *arguments: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *arguments],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def with_an_event_type_the_code_no_longer_has(schema: dict[str, Any]) -> dict[str, Any]:
    old = copy.deepcopy(schema)
    first = next(iter(old["discriminator"]["mapping"]))
    gone = copy.deepcopy(old["$defs"][first])
    gone["properties"]["type"] = {"const": "Gone", "type": "string", "default": "Gone"}
    old["$defs"]["Gone"] = gone
    old["discriminator"]["mapping"]["Gone"] = "#/$defs/Gone"
    old["oneOf"].append({"$ref": "#/$defs/Gone"})
    return old


def write_contracts(root: Path, changed: dict[str, dict[str, Any]] | None = None) -> None:
    (root / "contracts").mkdir(exist_ok=True)
    for topic in TOPICS:
        schema = (changed or {}).get(topic) or topic_schema(topic)
        (root / "contracts" / f"{topic}.schema.json").write_text(render(schema))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clone whose main line holds an older intake contract with one more event type."""
    git(tmp_path, "init", "-q", "-b", "main")
    old = with_an_event_type_the_code_no_longer_has(topic_schema(INTAKE_EVENTS))
    write_contracts(tmp_path, {INTAKE_EVENTS: old})
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "the contracts on main")
    return tmp_path


def test_a_branch_that_rewrites_a_contract_with_the_code_fails_against_the_merge_base(
    repo: Path,
) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write_contracts(repo)  # the rewritten contract, equal to what the code generates
    git(repo, "commit", "-q", "-am", "drop an event type, contract and all")

    base, why = default_base(repo)
    assert base == git(repo, "rev-parse", "main") and "merge base with main" in why
    assert check(None, repo) == 1
    assert check("HEAD", repo) == 0  # what the working tree alone would have let through


def test_on_the_main_line_the_last_commit_is_judged_against_its_parent(repo: Path) -> None:
    parent = git(repo, "rev-parse", "HEAD")
    write_contracts(repo)
    git(repo, "commit", "-q", "-am", "drop an event type on main itself")

    assert default_base(repo)[0] == parent
    assert check(None, repo) == 1


def test_a_clone_with_one_commit_and_no_main_compares_with_that_commit(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    write_contracts(tmp_path)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first")

    assert default_base(tmp_path) == (git(tmp_path, "rev-parse", "HEAD"), "HEAD (the first commit)")
    assert check(None, tmp_path) == 0


def test_without_git_history_only_the_working_tree_is_checked(tmp_path: Path) -> None:
    write_contracts(tmp_path)
    assert default_base(tmp_path) == (None, "no git history: the working tree only")
    assert check(None, tmp_path) == 0
    assert json.loads((tmp_path / "contracts" / f"{INTAKE_EVENTS}.schema.json").read_text())
