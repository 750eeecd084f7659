"""Each of intake's and housing's read-model tables is written by one fold (shared.folds), the
one the live projection, the rebuild (and intake's registration set projection) all run: no
module of the service writes a read-model table with SQL of its own."""

from __future__ import annotations

import ast
import gc
import re
import weakref
from collections import Counter
from pathlib import Path

import pytest

from services.housing import main as housing_main
from services.housing import projections as housing_projections
from services.intake import main as intake_main
from services.intake import projections as intake_projections
from services.intake.person_rows import INDEX
from services.intake.registration_rows import RegistrationRows
from services.intake.vault import MasterKeys, Vault
from shared.eventstore import EventStore
from shared.projection import FoldedProjection
from shared.rebuild import FoldedReadModels

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"intake": intake_projections, "housing": housing_projections}
#: writes of a read-model table outside its fold, each with why it may
ALLOWED = {
    # the blind index is computed from the sealed details the fold says a person is indexed by
    # (person_rows.IndexSource), as it is written
    ("services/intake/projections.py", "person_index"),
    # a master-key rotation recomputes everyone's blind index under the new key: no event
    ("services/intake/rotation.py", "person_index"),
}
_WRITE = r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)\s+({tables})\b"
_COPY_CALLS = {"copy_records_to_table", "copy_rows", "copy_to_table"}


def _stores() -> dict[str, EventStore]:
    vault = Vault(MasterKeys({1: bytes(32)}, 1))
    return {"intake": intake_main.event_store(vault), "housing": housing_main.event_store()}


def _direct_writes(path: Path, tables: set[str]) -> set[str]:
    """The read-model tables a module writes by naming them: in SQL, or as what it copies to."""
    pattern = re.compile(_WRITE.format(tables="|".join(sorted(tables))), re.IGNORECASE)
    written: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            written |= {match.group(1) for match in pattern.finditer(node.value)}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in _COPY_CALLS:
            written |= {arg.value for arg in node.args
                        if isinstance(arg, ast.Constant) and arg.value in tables}  # fmt: skip
    return written


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_read_model_table_has_exactly_one_fold(service: str) -> None:
    projections = SERVICES[service]
    tables = Counter(table.name for model in projections.READ_MODELS for table in model.tables)
    assert set(tables) == set(projections.READ_MODEL_TABLES)
    assert all(count == 1 for count in tables.values()), tables


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_live_projection_and_the_rebuild_run_the_same_folds(service: str) -> None:
    store = _stores()[service]
    models = SERVICES[service].READ_MODELS
    assert all(isinstance(project, FoldedProjection) for project in store.projectors)
    assert [project.models for project in store.projectors] == [models]  # type: ignore[attr-defined]
    assert store.rebuilder is not None
    rebuild = store.rebuilder()
    assert isinstance(rebuild, FoldedReadModels) and rebuild.models == models


def test_the_registrations_set_projection_runs_intakes_folds() -> None:
    store = _stores()["intake"]
    assert isinstance(store.set_projector, RegistrationRows)
    assert store.set_projector.models == intake_projections.READ_MODELS
    assert INDEX.name in intake_projections.READ_MODEL_TABLES


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_no_module_of_the_service_writes_a_read_model_table_but_through_its_fold(
    service: str,
) -> None:
    tables = set(SERVICES[service].READ_MODEL_TABLES)
    found = {
        (str(path.relative_to(ROOT)), table)
        for path in sorted((ROOT / "services" / service).rglob("*.py"))
        if "migrations" not in path.parts
        for table in _direct_writes(path, tables)
    }
    assert found <= ALLOWED, sorted(found - ALLOWED)


def test_the_check_finds_sql_and_copies_that_write_a_read_model_table(tmp_path: Path) -> None:
    module = tmp_path / "writer.py"
    module.write_text(
        "async def f(conn):\n"
        "    await conn.execute('UPDATE units SET held = held + 1 WHERE unit_id = $1', 1)\n"
        "    await conn.copy_records_to_table('shelters', records=[])\n"
        "    await conn.execute('SELECT * FROM placements')\n"
    )
    assert _direct_writes(module, {"units", "shelters", "placements"}) == {"units", "shelters"}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_rebuilds_fold_is_freed_as_soon_as_it_is_dropped(service: str) -> None:
    # a rebuild pauses the cyclic collector while it folds (shared.rebuild): a fold that made
    # a reference cycle would keep every row it held until the collector walked them all
    store = _stores()[service]
    assert store.rebuilder is not None
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        fold = store.rebuilder()
        dropped = weakref.ref(fold)
        del fold
        assert dropped() is None
    finally:
        if was_enabled:
            gc.enable()
