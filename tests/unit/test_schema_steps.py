"""The released schema steps are frozen: each returns, byte for byte, the text the revisions
that call it ran, so an edit of a released step fails here (a change to a table is a new step
called by a new revision, never an edit of one that ran)."""

from __future__ import annotations

import ast
import hashlib
import inspect
from pathlib import Path

import pytest

from shared import schema_steps
from tests.stack import REPO

REVISIONS = sorted(REPO.glob("services/*/migrations/versions/*.py"))

#: every step a revision calls, with the arguments it passes, and the SHA-256 of the text that
#: call returned when the revision was released
RELEASED: dict[tuple[str, tuple[str, ...]], str] = {
    ("event_store_v1", ()): "d07840229694f0afc0fceb1addf56ae0bd509c2f64372a3fde0fadf3acd00999",
    ("idempotency_keys_v1", ()): "5c2b57a4c16b3dfe752dfad107a680c40463b524b816d3d3a889330d8c0246b3",
    ("idempotency_keys_v2", ()): "290d09e5157f57b17b3b2fb14bb9284a93f2436ff318afd0093b006140cb9380",
    ("erased_persons_v1", ()): "60ab43fbb0b34afb2e87a61d46d19317a12cc029e79a1076c6b7b5ac3910100c",
    ("events_v2_topic", ("intake",)): (
        "3816449b481281222518fbf6ae6a637e4d367cfbfa707dcdddc9a98e596a66aa"
    ),
    ("events_v2_topic", ("housing",)): (
        "798cd07ddad7ea630059cdada4285ef81b4459e1d7420e8cb3f9b96234bd83aa"
    ),
    (
        "events_v2_topic",
        ("aid",),
    ): "f15c3d3f32ac187380b47d83386d3f9035c2d38ad4db1dbe027d783cf5b643b8",
    ("events_v2_actors_checked", ()): (
        "68c1e5a999449448d79377087eae3a94b74c16418d202e6259e32f6bbc91c546"
    ),
    ("events_v2_partner_ids_checked", ("coalesce(data ->> 'partner_id', 'p1')",)): (
        "7ac8ee43b43ae8665938ea0352987ddb20a394cd2359a4c5dd87c6973877adce"
    ),
    (
        "events_v2_partner_ids_checked",
        ("coalesce(data ->> 'partner_id', data ->> 'contact_partner_id', 'p1')",),
    ): "161ec7211cc539c8f89a274cd75b96d1655b294065e440a9bae235ab40712f84",
}


def text_of(step: str, arguments: tuple[str, ...]) -> str:
    made: str = getattr(schema_steps, step)(*arguments)
    return made


@pytest.mark.parametrize("call", sorted(RELEASED), ids=lambda call: f"{call[0]}{call[1]}")
def test_a_released_step_returns_the_text_its_revisions_ran(
    call: tuple[str, tuple[str, ...]],
) -> None:
    digest = hashlib.sha256(text_of(*call).encode()).hexdigest()
    assert digest == RELEASED[call], f"{call[0]} was released: write a new step, do not edit it"


def steps_called_by(path: Path) -> set[tuple[str, tuple[str, ...]]]:
    """The calls of a step in a revision (each argument a string written in place)."""
    steps = {name for name, _ in inspect.getmembers(schema_steps, inspect.isfunction)}
    called: set[tuple[str, tuple[str, ...]]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in steps:
            arguments = tuple(ast.literal_eval(argument) for argument in node.args)
            called.add((node.func.id, arguments))
    return called


def test_every_call_of_a_step_in_a_revision_is_pinned() -> None:
    called = set().union(*(steps_called_by(path) for path in REVISIONS))
    assert called == set(RELEASED)


def test_a_step_called_with_other_words_would_not_be_pinned(tmp_path: Path) -> None:
    revision = tmp_path / "0099_example.py"
    revision.write_text('def upgrade() -> None:\n    run_sql(events_v2_topic("shelters"))\n')
    assert steps_called_by(revision) - set(RELEASED) == {("events_v2_topic", ("shelters",))}


def test_every_public_function_of_the_module_is_a_pinned_step() -> None:
    public = {
        name
        for name, _ in inspect.getmembers(schema_steps, inspect.isfunction)
        if not name.startswith("_")
    }
    assert public == {step for step, _ in RELEASED}


def test_the_steps_import_nothing_so_no_change_to_the_code_reaches_them() -> None:
    tree = ast.parse(Path(schema_steps.__file__).read_text(encoding="utf-8"))
    assert [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)] == []
