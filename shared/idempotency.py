"""Idempotency keys on POST, as payment APIs do them.

The same key with the same body returns the first answer and creates nothing new; the same key
with another body is refused. The key row is inserted first, in the request's transaction: a
concurrent retry waits on the unique index until the first one commits, then reads its answer.

What is stored of a request is keyed or forgettable: its fingerprint is an HMAC under a secret
of the service (a dump cannot test guesses of a name and birth date against it), and the ids it
carried are listed, so that erasing a person neutralises every record of a request that named
them (:func:`forget_requests_carrying`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from shared.decider import in_transaction
from shared.statement import Write, numbered

MAX_KEY_LENGTH = 200

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

#: what a retry of a neutralised request is answered: nothing of the first answer
ERASED_ANSWER = {
    "type": "urn:resettle:problem:erased",
    "title": "Erased",
    "status": 410,
    "detail": "A person this request carried was erased: nothing of the request or its answer "
    "is kept. Send a new request with a new Idempotency-Key if one is still needed.",
}


#: what a retry is answered once a person it carried withdrew their consent to the service
FORGOTTEN_ANSWER = {
    "type": "urn:resettle:problem:forgotten",
    "title": "Forgotten",
    "status": 410,
    "detail": "A person this request carried withdrew their consent to this service, which "
    "forgot them: nothing of the request or its answer is kept. If they agree again, send a new "
    "request with a new Idempotency-Key.",
}


class Fingerprints:
    """Keyed fingerprints of requests: HMAC-SHA256 under a key derived from the service's secret,
    its name and the client, so equal bodies give unrelated fingerprints in two services or for
    two clients, and nobody without the secret can test a guess against one."""

    def __init__(self, secret: bytes, service: str) -> None:
        if len(secret) < 16:
            raise ValueError("a fingerprint secret needs at least 16 bytes")
        self._service_key = hmac.new(secret, f"fingerprint:{service}".encode(), "sha256").digest()

    def of(self, client_id: str, method: str, path: str, body: Any) -> str:
        """The fingerprint of what a request asks for, independent of JSON key order and
        spacing."""
        return self.of_text(client_id, canonical_request(method, path, body))

    def of_text(self, client_id: str, canonical: str) -> str:
        """The fingerprint of a request as :func:`canonical_request` wrote it."""
        client_key = hmac.new(self._service_key, client_id.encode(), hashlib.sha256).digest()
        return hmac.new(client_key, canonical.encode(), hashlib.sha256).hexdigest()


def canonical_request(method: str, path: str, body: Any) -> str:
    """A request as one JSON text, independent of key order and spacing: what its fingerprint
    is made of, and where the ids it carries are found (:func:`ids_in_text`)."""
    return json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)


def ids_in(*parts: Any) -> list[UUID]:
    """Every id written in a request's path, body or answer: a person's among them, whatever
    the field is called (extra ids, of shelters or matches, cost nothing)."""
    return ids_in_text(json.dumps(parts, default=str))


def ids_in_text(text: str, *more: Collection[UUID]) -> list[UUID]:
    """Every id written in ``text`` (JSON), with those of ``more``, sorted."""
    return sorted({UUID(found) for found in _UUID.findall(text)}.union(*more))


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    response: Any
    #: True when this is the answer to an earlier request with the same key
    replayed: bool = True


class KeyReusedWithOtherRequest(Exception):
    """The client sent another request under a key it already used."""


_CLAIM = """
INSERT INTO idempotency_keys (client_id, idempotency_key, request_hash, carried_ids)
VALUES ({0}, {1}, {2}, {3}::uuid[]) ON CONFLICT DO NOTHING RETURNING true AS claimed
"""

_REMEMBER = """
UPDATE idempotency_keys SET status_code = {2}, response = {3}::jsonb, carried_ids = {4}
WHERE client_id = {0} AND idempotency_key = {1}
"""


@dataclass(frozen=True)
class Claim:
    """A request's claim on its key, for work that sends the claim in its own first statement
    and the answer in its last (:class:`ClaimingWork`): idempotency then costs no round trip of
    its own. ``carried(answer)``: the ids the request and its answer carried."""

    client_id: str
    key: str
    fingerprint: str
    carried: Callable[[Any], Collection[UUID]] = lambda _: ()

    def write(self, answer_ahead: Any = None) -> Write:
        """The claim, returning one row (``claimed``) when the key is new, none otherwise.
        ``answer_ahead``: what the work knows of its answer before it runs (ids it made): its
        ids are claimed with the key, so that remembering an answer that carries no other
        changes no indexed column, and Postgres updates the row in place (HOT) instead of
        writing a new row version and new entries in both of the table's indexes."""
        carried = [] if answer_ahead is None else list(self.carried(answer_ahead))
        return Write(_CLAIM, (self.client_id, self.key, self.fingerprint, carried))

    async def earlier_answer(self, conn: asyncpg.Connection) -> StoredAnswer:
        """The first answer, once the claim returned no row: the key's request was handled.
        Raises KeyReusedWithOtherRequest."""
        return await _stored(conn, self.client_id, self.key, self.fingerprint)

    def answer(self, status_code: int, response: Any) -> Write:
        """The answer to remember for every retry, with the ids carried."""
        return Write(
            _REMEMBER,
            (self.client_id, self.key, status_code, json.dumps(response, default=str),
             list(self.carried(response))),
        )  # fmt: skip


@dataclass(frozen=True)
class ClaimingWork:
    """A request's work that claims its key itself: ``run(conn, claim)`` sends ``claim.write()``
    in its first statement and, when the key was new, ``claim.answer(...)`` in its last, and
    returns the answer (else ``await claim.earlier_answer(conn)``); all in one transaction."""

    run: Callable[[asyncpg.Connection, Claim], Awaitable[StoredAnswer]]


async def claim(
    conn: asyncpg.Connection, client_id: str, key: str, fingerprint: str
) -> StoredAnswer | None:
    """Claim ``key`` for this request inside the caller's transaction.

    Returns None when the key is new (go on, then :func:`remember` the answer), or the first
    answer when the same request was already handled. Raises KeyReusedWithOtherRequest.
    """
    claiming = Claim(client_id, key, fingerprint).write()
    if await conn.fetchval(numbered(claiming, 1), *claiming.args):
        return None
    return await _stored(conn, client_id, key, fingerprint)


async def _stored(
    conn: asyncpg.Connection, client_id: str, key: str, fingerprint: str
) -> StoredAnswer:
    row = await conn.fetchrow(
        """
        SELECT request_hash, status_code, response::text AS response FROM idempotency_keys
        WHERE client_id = $1 AND idempotency_key = $2
        """,
        client_id,
        key,
    )
    assert row is not None, "the conflicting row is committed once the insert returns"
    # no fingerprint: a neutralised record, whose answer stands for any body
    if row["request_hash"] is not None and row["request_hash"] != fingerprint:
        raise KeyReusedWithOtherRequest(key)
    return StoredAnswer(row["status_code"], json.loads(row["response"]))


async def remember(
    conn: asyncpg.Connection,
    client_id: str,
    key: str,
    status_code: int,
    response: Any,
    carried: Collection[UUID] = (),
) -> None:
    """Store the answer to give to every retry of the claimed key, and the ids the request and
    its answer carried (see :func:`ids_in`)."""
    answer = Claim(client_id, key, "", lambda _: carried).answer(status_code, response)
    await conn.execute(numbered(answer, 1), *answer.args)


async def forget_requests_carrying(
    conn: asyncpg.Connection, ids: Collection[UUID], answer: Mapping[str, Any] = ERASED_ANSWER
) -> int:
    """Neutralise every record of a request that carried one of ``ids`` (an erased person, or
    one who withdrew their consent: then ``answer`` says so): its fingerprint, answer and ids
    go; its key stays, answering 410, so a late retry from an offline device cannot bring the
    person back. Returns how many records were neutralised."""
    done = await conn.fetchval(
        """
        WITH neutralised AS (
            UPDATE idempotency_keys SET request_hash = NULL, status_code = 410,
                   response = $2::jsonb, carried_ids = '{}'
            WHERE carried_ids && $1::uuid[] RETURNING 1
        )
        SELECT count(*) FROM neutralised
        """,
        list(ids),
        json.dumps(answer),
    )
    return int(done)


async def run_once(
    pool: asyncpg.Pool,
    client_id: str,
    key: str,
    fingerprint: str,
    work: Callable[[asyncpg.Connection], Awaitable[tuple[int, Any]]] | ClaimingWork,
    carried: Callable[[Any], Collection[UUID]] = lambda _: (),
) -> StoredAnswer:
    """Do ``work`` once per key: its events, its answer and the key commit together, so a
    request either happened with its key remembered, or not at all (and may be retried).
    ``carried(answer)``: the ids the request and its answer carried."""
    if isinstance(work, ClaimingWork):
        claiming = Claim(client_id, key, fingerprint, carried)
        return await in_transaction(pool, lambda conn: work.run(conn, claiming))

    async def attempt(conn: asyncpg.Connection) -> StoredAnswer:
        stored = await claim(conn, client_id, key, fingerprint)
        if stored is not None:
            return stored
        status_code, response = await work(conn)
        await remember(conn, client_id, key, status_code, response, carried(response))
        return StoredAnswer(status_code, response, replayed=False)

    return await in_transaction(pool, attempt)


async def record_answer(
    pool: asyncpg.Pool,
    client_id: str,
    key: str,
    fingerprint: str,
    status_code: int,
    response: Any,
    carried: Collection[UUID] = (),
) -> StoredAnswer:
    """Keep an answer decided outside the key's transaction (a refusal, whose work was rolled
    back) as the key's answer, in a transaction of its own. A concurrent request with the same
    key may have claimed it meanwhile: then its answer stands, and is returned."""

    async def attempt(conn: asyncpg.Connection) -> StoredAnswer:
        stored = await claim(conn, client_id, key, fingerprint)
        if stored is not None:
            return stored
        await remember(conn, client_id, key, status_code, response, carried)
        return StoredAnswer(status_code, response, replayed=False)

    return await in_transaction(pool, attempt)
