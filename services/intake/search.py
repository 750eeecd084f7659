"""Blind indexes of personal data: what search and duplicate detection match on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import islice, product
from typing import Any

from services.intake.requests import NewPerson
from services.intake.transliteration import name_tokens, spellings, words
from services.intake.vault import Vault

#: name+birth-date keys per person at most: one per combination of the spellings of the
#: given and family names' words (a Cyrillic name has a handful of each)
MAX_NAME_KEYS = 64


def normalised_document(number: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", number.upper())


def name_keys(given: str, family: str) -> list[str]:
    """The name, as a key for duplicate detection, under every combination of spellings of
    its words: "Yulia Ivanova" and "Юлия Иванова" share one."""
    per_word = [sorted(spellings(word)) for word in words(given, family)]
    combinations = islice(product(*per_word), MAX_NAME_KEYS)
    return sorted({" ".join(sorted(set(combination))) for combination in combinations})


def name_terms(vault: Vault, name: str | None, version: int | None = None) -> list[tuple[int, str]]:
    """(word number, blind hash) to look a name up: a person matches when each word of the
    query meets one of its spellings (under the current master key version, or ``version``)."""
    return [
        (number, vault.blind("name", spelling, version))
        for number, word in enumerate(words(name))
        for spelling in sorted(spellings(word))
    ]


@dataclass(frozen=True, slots=True)
class StoredDocument:
    number: str | None


@dataclass(frozen=True, slots=True)
class StoredDetails:
    """The indexed fields of details as sealed: a NewPerson's JSON, validated when it was
    accepted or corrected, so read as it is. Validating it again as a request cost a third
    of the time a rebuild spends indexing each person."""

    given_name: str
    family_name: str
    patronymic: str | None
    birth_date: date | None
    documents: tuple[StoredDocument, ...]


def indexed(person: NewPerson) -> StoredDetails:
    """The indexed fields of a request's person, as :func:`stored_details` reads them sealed."""
    return StoredDetails(
        person.given_name, person.family_name, person.patronymic, person.birth_date,
        tuple(StoredDocument(document.number) for document in person.documents),
    )  # fmt: skip


def stored_details(payload: Any) -> StoredDetails:
    """The details in a sealed payload (a registration, or a correction's snapshot), for the
    blind index: :func:`details_of` without validating again."""
    details = payload["details"]
    born = details.get("birth_date")
    return StoredDetails(
        details["given_name"], details["family_name"], details.get("patronymic"),
        None if born is None else date.fromisoformat(born),
        tuple(StoredDocument(document.get("number")) for document in details.get("documents", ())),
    )  # fmt: skip


def index_entries(
    vault: Vault, person: StoredDetails, version: int | None = None
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
        entries.extend(
            ("name_dob", vault.blind("name_dob", f"{key}|{person.birth_date}", version))
            for key in name_keys(person.given_name, person.family_name)
        )
    return list(dict.fromkeys(entries))


def lookup_entries(
    vault: Vault, person: NewPerson, current: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """What to look a person up by: their entries under every configured master key version,
    since people not yet rewrapped (rewrap-keys) are still indexed under an older one.
    ``current``: their entries under the current version, when the caller made them already."""
    return [
        entry
        for version in vault.versions
        for entry in (
            current
            if current is not None and version == vault.current
            else index_entries(vault, indexed(person), version)
        )
    ]


def details_of(payload: Any) -> NewPerson:
    """The current details in a sealed payload (a registration, or a correction's snapshot)."""
    return NewPerson.model_validate(payload["details"])
