"""Blind indexes of personal data: what search and duplicate detection match on."""

from __future__ import annotations

import re
from typing import Any

from services.intake.requests import NewPerson
from services.intake.transliteration import name_tokens
from services.intake.vault import Vault


def normalised_document(number: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", number.upper())


def name_key(given: str, family: str) -> str:
    return " ".join(sorted(name_tokens(given, family)))


def index_entries(
    vault: Vault, person: NewPerson, version: int | None = None
) -> list[tuple[str, str]]:
    """(kind, blind hash) rows for one person: name words, document numbers, name+birth date;
    under the current master key version unless another is named."""
    entries = [
        ("name", vault.blind("name", token, version))
        for token in name_tokens(person.given_name, person.family_name, person.patronymic)
    ]
    entries.extend(
        ("document", vault.blind("document", normalised_document(document.number), version))
        for document in person.documents
        if document.number and normalised_document(document.number)
    )
    if person.birth_date is not None:
        key = f"{name_key(person.given_name, person.family_name)}|{person.birth_date}"
        entries.append(("name_dob", vault.blind("name_dob", key, version)))
    return list(dict.fromkeys(entries))


def lookup_entries(vault: Vault, person: NewPerson) -> list[tuple[str, str]]:
    """What to look a person up by: their entries under every configured master key version,
    since people not yet rewrapped (rewrap-keys) are still indexed under an older one."""
    return [entry for version in vault.versions for entry in index_entries(vault, person, version)]


def details_of(payload: Any) -> NewPerson:
    """The current details in a sealed payload (a registration, or a correction's snapshot)."""
    return NewPerson.model_validate(payload["details"])
