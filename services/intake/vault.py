"""Personal data at rest: sealed per person, so that erasing a person destroys one key.

Every person gets a random data key; the data key is stored wrapped (AES-GCM) by the service's
master key, and the person's details are sealed with the data key. Erasure deletes the wrapped
key: the sealed details stay in the append-only event store, and nobody can read them again,
not even from a backup of the events alone. Search goes through blind indexes: keyed hashes
(HMAC) of transliterated name words, document numbers, and name plus birth date, never the
values.

Master keys have versions, and each wrapped key and index entry records the version it was
made under: a deleted wrapped key survives in old WAL segments and base backups, so the master
key that wrapped it must die too. Rotation (services/intake/rotation.py) rewraps every living
key, and reindexes every person, under a new version; the old version is then removed from
the settings and destroyed, and what old copies hold can no longer be opened or matched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.statement import Write, rows_json

NONCE_BYTES = 12
#: keys made by ``seal`` and not yet opened: the projection opens a new person's details in the
#: same transaction, and this spares it reading back the key just written (ids are fresh uuids)
FRESH_KEYS_KEPT = 4096

#: (kind, blind hash) entries of a person's blind index
IndexEntries = list[tuple[str, str]]


#: a person's key as stored: (person_id, wrapped_key, key_version)
KeyRow = tuple[UUID, bytes, int]


class MasterKeyMissing(LookupError):
    """A person's key was wrapped under a master key version that is not configured."""


@dataclass(frozen=True)
class MasterKeys:
    """The master keys a vault can unwrap with, by version, and the version it wraps with."""

    keys: Mapping[int, bytes]
    current: int

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ValueError(f"master key version {self.current} is not among those configured")
        for version, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"master key version {version} must be 32 bytes, base64")


class Vault:
    def __init__(self, master: MasterKeys) -> None:
        self.current = master.current
        self.versions = tuple(sorted(master.keys))
        self._wraps = {version: AESGCM(key) for version, key in master.keys.items()}
        # a separate key for blind indexes, derived so one secret configures both; it rotates
        # with the master key, so an old backup's index of an erased person cannot be matched
        self._index_keys = {
            version: hmac.new(key, b"blind-index", hashlib.sha256).digest()
            for version, key in master.keys.items()
        }
        #: per (version, kind): an HMAC already keyed and fed "kind:", copied for each value
        self._blinds: dict[tuple[int, str], hmac.HMAC] = {}
        self._fresh: dict[UUID, AESGCM] = {}
        # the index entries of new people's sealed details (seal_new), for the registration's
        # projection to write without opening and hashing the same details again
        self._fresh_index: dict[UUID, tuple[str, IndexEntries]] = {}

    @classmethod
    def from_base64(cls, encoded: str) -> Vault:
        """A vault with one master key, as version 1 (deployments from before versions)."""
        return cls(MasterKeys({1: base64.b64decode(encoded)}, 1))

    async def _data_key(
        self, conn: asyncpg.Connection, person_id: UUID, create: bool, new_person: bool = False
    ) -> AESGCM | None:
        fresh = self._fresh.pop(person_id, None)
        if fresh is not None:
            return fresh
        row = (
            None
            if new_person  # the insert below still refuses a key that exists
            else await conn.fetchrow(
                "SELECT wrapped_key, key_version FROM person_keys WHERE person_id = $1", person_id
            )
        )
        if row is None:
            if not create:
                return None
            data_key, key_row = self._new_key(person_id)
            await conn.execute(
                "INSERT INTO person_keys (person_id, wrapped_key, key_version) VALUES ($1, $2, $3)",
                *key_row,
            )
            return data_key
        return AESGCM(self.unwrap(person_id, row["wrapped_key"], row["key_version"]))

    def _new_key(self, person_id: UUID) -> tuple[AESGCM, KeyRow]:
        """A new data key for a person, kept for the projection to open with, and its row."""
        key = AESGCM.generate_key(bit_length=256)
        if len(self._fresh) >= FRESH_KEYS_KEPT:  # a transaction rolled back before opening
            self._fresh.pop(next(iter(self._fresh)))
        self._fresh[person_id] = AESGCM(key)
        return self._fresh[person_id], (person_id, self.wrap(person_id, key), self.current)

    def seal_new(
        self, person_id: UUID, payload: Any, index: IndexEntries | None = None
    ) -> tuple[str, KeyRow]:
        """Seal a new person's first payload under a new key, writing nothing: the key's row is
        the caller's to write (:func:`keys_written`) in the transaction that records them.
        ``index``: the payload's blind index entries under the current version, if the caller
        made them already; :meth:`fresh_index` gives them back once."""
        key, key_row = self._new_key(person_id)
        sealed = _sealed(key, person_id, payload)
        if index is not None:
            if len(self._fresh_index) >= FRESH_KEYS_KEPT:  # rolled back before it was written
                self._fresh_index.pop(next(iter(self._fresh_index)))
            self._fresh_index[person_id] = (sealed, index)
        return sealed, key_row

    def fresh_index(self, person_id: UUID, sealed: str) -> IndexEntries | None:
        """The index entries given with these sealed details by :meth:`seal_new`, once (their
        fresh key goes too: nothing else opens a new person in the append that records them);
        None for any other details."""
        found = self._fresh_index.pop(person_id, None)
        if found is None or found[0] != sealed:
            return None
        self._fresh.pop(person_id, None)
        return found[1]

    def wrap(self, person_id: UUID, key: bytes) -> bytes:
        """A person's data key wrapped under the current master key version."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._wraps[self.current].encrypt(nonce, key, person_id.bytes)

    def unwrap(self, person_id: UUID, wrapped: bytes, version: int) -> bytes:
        """A person's data key, from its wrapped form and the version that wrapped it."""
        wrapping = self._wraps.get(version)
        if wrapping is None:
            raise MasterKeyMissing(
                f"a person key is wrapped under master key version {version}, which is not "
                f"configured: add it back to INTAKE_MASTER_KEYS and run rewrap-keys"
            )
        return wrapping.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], person_id.bytes)

    async def seal(
        self, conn: asyncpg.Connection, person_id: UUID, payload: Any, *, new_person: bool = False
    ) -> str:
        """Encrypt ``payload`` (JSON-able) for one person; creates the person's key once.
        ``new_person``: the caller has just made the id, so there is no key to look up."""
        key = await self._data_key(conn, person_id, create=True, new_person=new_person)
        assert key is not None
        return _sealed(key, person_id, payload)

    async def open(self, conn: asyncpg.Connection, person_id: UUID, sealed: str) -> Any | None:
        """The payload, or None when the person was erased (the key is gone)."""
        key = await self._data_key(conn, person_id, create=False)
        if key is None:
            return None
        return _unseal(key, person_id, sealed)

    async def open_each(
        self, conn: asyncpg.Connection, sealed: Mapping[UUID, str]
    ) -> Iterator[tuple[UUID, Any]]:
        """The payloads of many people (a rebuild's): their keys are read in one query, each
        payload is opened as the iterator reaches it; a person who was erased is left out."""
        rows = await conn.fetch(
            "SELECT person_id, wrapped_key, key_version FROM person_keys "
            "WHERE person_id = ANY($1::uuid[])",
            list(sealed),
        )
        return (
            (person_id, _unseal(AESGCM(self.unwrap(person_id, wrapped, version)), person_id,
                                sealed[person_id]))
            for person_id, wrapped, version in rows
        )  # fmt: skip

    async def destroy_key(self, conn: asyncpg.Connection, person_id: UUID) -> bool:
        self._fresh.pop(person_id, None)
        self._fresh_index.pop(person_id, None)
        deleted = await conn.fetchval(
            "DELETE FROM person_keys WHERE person_id = $1 RETURNING true", person_id
        )
        return bool(deleted)

    def blind(self, kind: str, value: str, version: int | None = None) -> str:
        """A keyed hash of a normalised value: equal values match, nothing can be read back.
        Under the current version unless another is named (a lookup tries every version)."""
        version = self.current if version is None else version
        keyed = self._blinds.get((version, kind))
        if keyed is None:
            keyed = hmac.new(self._index_keys[version], f"{kind}:".encode(), hashlib.sha256)
            self._blinds[version, kind] = keyed
        # the same hash as a one-shot hmac.digest of "kind:value", at half its cost: keying an
        # HMAC (and OpenSSL's look-up of the digest) is paid once, not per value; a rebuild
        # hashes six values per person
        hashed = keyed.copy()
        hashed.update(value.encode())
        return hashed.hexdigest()


def keys_written(rows: Sequence[KeyRow]) -> Write:
    """New people's keys (from :meth:`Vault.seal_new`) as one write; a key that exists is
    refused, never replaced."""
    return Write(
        "INSERT INTO person_keys (person_id, wrapped_key, key_version) "
        "SELECT person_id, decode(wrapped_key, 'hex'), key_version "
        "FROM jsonb_to_recordset({0}::jsonb) AS r(person_id uuid, wrapped_key text, "
        "key_version smallint)",
        (rows_json(("person_id", "wrapped_key", "key_version"), rows),),
    )


def _sealed(key: AESGCM, person_id: UUID, payload: Any) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(payload, ensure_ascii=False, default=str).encode()
    return base64.b64encode(nonce + key.encrypt(nonce, plaintext, person_id.bytes)).decode()


def _unseal(key: AESGCM, person_id: UUID, sealed: str) -> Any:
    raw = binascii.a2b_base64(sealed)  # b64decode's checks, without its wrapping
    # decoded first: json.loads would guess the encoding of bytes each time
    return json.loads(key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], person_id.bytes).decode())
