"""Message catalogues: every text of intake that a volunteer or a person reads, in Russian,
Kazakh and English (ru.json, kk.json, en.json beside this module, the same keys in each; a
unit test fails on a key missing from one or used nowhere)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

Language = Literal["ru", "kk", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT: Language = "en"
HERE = Path(__file__).parent


@cache
def catalogue(language: Language) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((HERE / f"{language}.json").read_text(encoding="utf-8"))
    return loaded


def text(language: Language, key: str, **values: Any) -> str:
    """The message ``key`` in ``language``, with ``{name}`` placeholders filled."""
    return catalogue(language)[key].format(**values)


def has(key: str) -> bool:
    return key in catalogue(DEFAULT)


def negotiate(accept_language: str | None) -> Language:
    """The first of ru, kk, en the request accepts, by weight (RFC 9110 Accept-Language); en
    when it names none of them."""
    ranked: list[tuple[float, int, Language]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        for language in LANGUAGES:
            if primary == language and weight > 0:
                ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else DEFAULT


#: pydantic's error types, by the catalogue's words for them
_ERRORS = {
    "missing": "error.missing", "string_too_short": "error.missing",
    "string_too_long": "error.too_long", "too_long": "error.too_long",
    "string_pattern_mismatch": "error.pattern", "enum": "error.choice",
    "literal_error": "error.choice", "date_parsing": "error.date",
    "date_from_datetime_parsing": "error.date", "date_from_datetime_inexact": "error.date",
    "date_type": "error.date", "int_parsing": "error.number", "int_type": "error.number",
    "int_from_float": "error.number", "greater_than_equal": "error.too_small",
    "greater_than": "error.too_small", "less_than_equal": "error.too_large",
    "less_than": "error.too_large", "extra_forbidden": "error.unknown_field",
}  # fmt: skip
#: the request models' own checks, by the start of their message
_CHECKS = {
    "give birth_date": "error.age_or_birth_date",
    "birth_date must lie": "error.birth_date_range",
}


def error_key(error_type: str, message: str) -> str:
    """The catalogue key that says, in words a volunteer reads, why a value was refused."""
    if error_type == "value_error":
        for start, key in _CHECKS.items():
            if start in message:
                return key
    return _ERRORS.get(error_type, "error.invalid")
