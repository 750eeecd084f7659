"""Message catalogues: the API's (services/intake/catalogue) and the field app's
(services/intake/fieldapp/i18n) hold the same keys in ru, kk and en, every key is used, and
every key used is there."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from services.aid.domain.rules import Rule
from services.intake.catalogue import LANGUAGES, catalogue, error_key
from services.intake.imports import COLUMNS
from shared.schemas.aid import AidItem

INTAKE = Path(__file__).resolve().parents[2] / "services" / "intake"
APP = INTAKE / "fieldapp"
#: pydantic error types and checks the API translates, with a sample message
ERRORS = ("missing", "string_too_short", "string_too_long", "enum", "date_parsing",
          "int_parsing", "greater_than_equal", "less_than_equal", "extra_forbidden",
          "string_pattern_mismatch", "too_long", "literal_error", "no_such_type")  # fmt: skip
CHECKS = ("give birth_date or, when it is unknown, age", "birth_date must lie between")


def literals(folder: Path) -> set[str]:
    """Every string constant in the Python modules of a folder."""
    found: set[str] = set()
    for module in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def test_the_api_catalogues_hold_the_same_keys_in_every_language() -> None:
    english = set(catalogue("en"))
    for language in LANGUAGES:
        assert set(catalogue(language)) == english, language
        assert all(text.strip() for text in catalogue(language).values()), language


def test_every_key_of_the_api_catalogue_is_used_and_every_key_used_exists() -> None:
    texts = literals(INTAKE) | literals(INTAKE.parent.parent / "shared")
    used = {text for text in texts if text in catalogue("en")}
    used |= {f"column.{code}" for code in COLUMNS}
    used |= {error_key(kind, "") for kind in ERRORS} | {error_key("value_error", m) for m in CHECKS}
    titles = {slug(text) for text in texts}
    used |= {key for key in catalogue("en") if key.startswith("problem.")
             and key.split(".")[1] in titles}  # fmt: skip
    assert set(catalogue("en")) - used == set()
    dotted = {
        text for text in texts if re.fullmatch(r"(error|problem|column|value)\.[a-z_.]+", text)
    }
    assert dotted - set(catalogue("en")) == set()


def app_catalogue(language: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((APP / "i18n" / f"{language}.json").read_text("utf-8"))
    return loaded


def test_the_app_catalogues_hold_the_same_keys_in_every_language() -> None:
    english = set(app_catalogue("en"))
    for language in LANGUAGES:
        assert set(app_catalogue(language)) == english, language


def test_every_key_of_the_app_catalogue_is_used_and_every_key_used_exists() -> None:
    page = (APP / "index.html").read_text("utf-8")
    scripts = "\n".join(path.read_text("utf-8") for path in (APP / "js").glob("*.js"))
    used = set(re.findall(r'data-i18n(?:-aria-label)?="([^"]+)"', page))
    quoted = set(re.findall(r'"([a-z_]+\.[a-z_0-9.]*[a-z0-9])"', scripts))
    used |= quoted
    # keys the app makes from codes the services answer with
    used |= {f"rule.{rule.value}" for rule in Rule}
    used |= {f"status.{status}" for status in ("waiting", "sent", "accepted", "refused")}
    items = set(re.findall(r'<option value="([a-z_]+)" data-i18n="item\.', page))
    assert items <= {item.value for item in AidItem}
    keys = set(app_catalogue("en"))
    assert keys - used == set()
    assert {key for key in used if "." in key and not key.endswith(".js")} - keys == set()
