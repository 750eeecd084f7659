"""The blind index of a person's sealed details: computed from the details as sealed, without
validating them again as a request, and hashed with an HMAC keyed once per kind, yet the very
entries a validated request gives (what search and duplicate detection look people up by)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from services.intake.requests import NewPerson
from services.intake.search import details_of, index_entries, indexed, stored_details
from services.intake.vault import MasterKeys, Vault

PEOPLE: list[dict[str, Any]] = [
    {
        "given_name": "Алексей", "family_name": "Смирнов", "patronymic": "Юрьевич",
        "birth_date": "1994-03-02", "sex": "male",
        "documents": [
            {"type": "foreign_passport", "number": " 75 0000000 ", "issuing_country": "RU"},
            {"type": "russian_internal_passport"},
            {"type": "other", "number": "ab-12/34"},
        ],
    },
    {"given_name": "Нұрлан", "family_name": "Қасымов", "age": 27, "sex": "male"},
    {"given_name": "Yulia", "family_name": "Ivanova Petrova", "birth_date": "2001-12-31",
     "sex": "female", "relation": "spouse"},
]  # fmt: skip


def _vault() -> Vault:
    return Vault(MasterKeys({1: bytes(range(32)), 2: bytes(range(32, 64))}, 2))


@pytest.mark.parametrize("person", PEOPLE, ids=lambda person: person["given_name"])
def test_the_index_of_sealed_details_is_that_of_the_validated_request(
    person: dict[str, Any],
) -> None:
    vault = _vault()
    sealed = {"details": NewPerson.model_validate(person).model_dump(mode="json")}
    for version in vault.versions:
        expected = index_entries(vault, indexed(details_of(sealed)), version)
        assert expected  # names at least
        assert index_entries(vault, stored_details(sealed), version) == expected


def test_a_blind_hash_is_the_hmac_of_kind_and_value_under_each_versions_index_key() -> None:
    vault = _vault()
    for version, master in ((1, bytes(range(32))), (2, bytes(range(32, 64)))):
        key = hmac.new(master, b"blind-index", hashlib.sha256).digest()
        for kind, value in (("name", "ALEKSEI"), ("document", "750000000"), ("name", "Ü:|")):
            expected = hmac.digest(key, f"{kind}:{value}".encode(), "sha256").hex()
            assert vault.blind(kind, value, version) == expected
            assert vault.blind(kind, value, version) == expected  # the keyed HMAC is reused
    assert vault.blind("name", "ALEKSEI") == vault.blind("name", "ALEKSEI", 2)
