"""Personal data at rest: sealed per person, so that erasing a person destroys one key.

Every person gets a random data key; the data key is stored wrapped (AES-GCM) by the service's
master key (``INTAKE_MASTER_KEY``), and the person's details are sealed with the data key.
Erasure deletes the wrapped key: the sealed details stay in the append-only event store, and
nobody can read them again, not even from a backup of the events alone. Search goes through
blind indexes: keyed hashes (HMAC) of transliterated name words, document numbers, and name
plus birth date, never the values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
#: keys made by ``seal`` and not yet opened: the projection opens a new person's details in the
#: same transaction, and this spares it reading back the key just written (ids are fresh uuids)
FRESH_KEYS_KEPT = 4096


class Vault:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("INTAKE_MASTER_KEY must be 32 bytes, base64-encoded")
        self._wrap = AESGCM(master_key)
        # a separate key for blind indexes, derived so one secret configures both
        self._index_key = hmac.new(master_key, b"blind-index", hashlib.sha256).digest()
        self._fresh: dict[UUID, AESGCM] = {}

    @classmethod
    def from_base64(cls, encoded: str) -> Vault:
        return cls(base64.b64decode(encoded))

    async def _data_key(
        self, conn: asyncpg.Connection, person_id: UUID, create: bool, new_person: bool = False
    ) -> AESGCM | None:
        fresh = self._fresh.pop(person_id, None)
        if fresh is not None:
            return fresh
        wrapped = (
            None
            if new_person  # the insert below still refuses a key that exists
            else await conn.fetchval(
                "SELECT wrapped_key FROM person_keys WHERE person_id = $1", person_id
            )
        )
        if wrapped is None:
            if not create:
                return None
            key = AESGCM.generate_key(bit_length=256)
            nonce = os.urandom(NONCE_BYTES)
            wrapped = nonce + self._wrap.encrypt(nonce, key, person_id.bytes)
            await conn.execute(
                "INSERT INTO person_keys (person_id, wrapped_key) VALUES ($1, $2)",
                person_id,
                wrapped,
            )
            if len(self._fresh) >= FRESH_KEYS_KEPT:  # a transaction rolled back before opening
                self._fresh.pop(next(iter(self._fresh)))
            self._fresh[person_id] = AESGCM(key)
            return self._fresh[person_id]
        return self._unwrap(person_id, wrapped)

    def _unwrap(self, person_id: UUID, wrapped: bytes) -> AESGCM:
        nonce, sealed_key = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        return AESGCM(self._wrap.decrypt(nonce, sealed_key, person_id.bytes))

    async def seal(
        self, conn: asyncpg.Connection, person_id: UUID, payload: Any, *, new_person: bool = False
    ) -> str:
        """Encrypt ``payload`` (JSON-able) for one person; creates the person's key once.
        ``new_person``: the caller has just made the id, so there is no key to look up."""
        key = await self._data_key(conn, person_id, create=True, new_person=new_person)
        assert key is not None
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(payload, ensure_ascii=False, default=str).encode()
        return base64.b64encode(nonce + key.encrypt(nonce, plaintext, person_id.bytes)).decode()

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
            "SELECT person_id, wrapped_key FROM person_keys WHERE person_id = ANY($1::uuid[])",
            list(sealed),
        )
        return (
            (person_id, _unseal(self._unwrap(person_id, wrapped), person_id, sealed[person_id]))
            for person_id, wrapped in rows
        )

    async def destroy_key(self, conn: asyncpg.Connection, person_id: UUID) -> bool:
        self._fresh.pop(person_id, None)
        deleted = await conn.fetchval(
            "DELETE FROM person_keys WHERE person_id = $1 RETURNING true", person_id
        )
        return bool(deleted)

    def blind(self, kind: str, value: str) -> str:
        """A keyed hash of a normalised value: equal values match, nothing can be read back."""
        digest = hmac.new(self._index_key, f"{kind}:{value}".encode(), hashlib.sha256)
        return digest.hexdigest()


def _unseal(key: AESGCM, person_id: UUID, sealed: str) -> Any:
    raw = base64.b64decode(sealed)
    return json.loads(key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], person_id.bytes))
