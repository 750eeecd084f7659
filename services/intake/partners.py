"""Partner organisations and their API keys (stored as SHA-256 hashes, never in clear)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

import asyncpg
from pydantic import SecretStr

from shared.http import Problem, keys_match
from shared.schemas.base import PARTNER_ID


class Scope(StrEnum):
    REGISTER_ARRIVALS = "arrivals:write"
    READ_OWN_CASES = "cases:read"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    scopes: frozenset[Scope]
    #: set when a volunteer's device key speaks for the partner (services/intake/devices.py)
    device_id: str | None = None
    #: the stored hash of the key that authenticated this partner (None: the operator's key,
    #: which is configuration, not a row): an arrival checks it again (known_keys.py)
    key_hash: str | None = None

    @property
    def is_operator(self) -> bool:
        return Scope.OPERATOR in self.scopes

    @property
    def actor(self) -> str:
        """How events name who caused them (and through which device, when one did)."""
        return "operator" if self.is_operator else self.registrar

    @property
    def registrar(self) -> str:
        """How an arrival names who registered it: the partner, and the device when one did."""
        device = f"/device:{self.device_id}" if self.device_id else ""
        return f"partner:{self.partner_id}{device}"

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes and Scope.OPERATOR not in self.scopes:
            raise Problem(
                403,
                "Missing scope",
                f"This key lacks the scope {scope.value!r}; ask the coordination centre for it.",
            )


def hash_key(api_key: str) -> str:
    # API keys are 256-bit random tokens, so a fast hash is enough (no dictionary to attack)
    return hashlib.sha256(api_key.encode()).hexdigest()


def is_partner_id(candidate: str) -> bool:
    """Whether ``candidate`` may name a partner: the id travels on the topics (as
    ``partner_id`` and in ``actor``), where only this closed form is accepted."""
    return re.fullmatch(PARTNER_ID.removeprefix("^").removesuffix("$"), candidate) is not None


async def create_partner(
    conn: asyncpg.Connection,
    partner_id: str,
    name: str,
    scopes: set[Scope],
    *,
    rotate_if_exists: bool = False,
) -> str:
    """Register a partner and return its API key (shown once, stored only hashed).

    With ``rotate_if_exists``, a known partner gets a new key and the old one stops working."""
    if not is_partner_id(partner_id):
        raise ValueError(f"{partner_id!r} is not a partner id: {PARTNER_ID}")
    api_key = f"rk_{secrets.token_urlsafe(32)}"
    conflict = (
        "ON CONFLICT (partner_id) DO UPDATE SET key_hash = EXCLUDED.key_hash, "
        "name = EXCLUDED.name, scopes = EXCLUDED.scopes, revoked_at = NULL"
        if rotate_if_exists
        else ""
    )
    await conn.execute(
        f"""
        INSERT INTO partners (partner_id, name, key_hash, scopes) VALUES ($1, $2, $3, $4)
        {conflict}
        """,
        partner_id,
        name,
        hash_key(api_key),
        sorted(scope.value for scope in scopes),
    )
    return api_key


OPERATOR = Partner("operator", "Coordination centre", frozenset({Scope.OPERATOR}))


async def partner_exists(conn: asyncpg.Connection, partner_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM partners WHERE partner_id = $1", partner_id))


async def authenticate(
    conn: asyncpg.Connection, api_key: str | None, operator_key: SecretStr
) -> Partner:
    if not api_key:
        raise Problem(401, "Missing API key", "Send your partner key in the X-API-Key header.")
    if keys_match(api_key, operator_key):
        return OPERATOR
    key_hash = hash_key(api_key)
    row = await conn.fetchrow(
        "SELECT partner_id, name, scopes FROM partners WHERE key_hash = $1 AND revoked_at IS NULL",
        key_hash,
    )
    if row is None:
        raise unknown_key()
    scopes = frozenset(Scope(s) for s in row["scopes"])
    return Partner(row["partner_id"], row["name"], scopes, key_hash=key_hash)


def unknown_key() -> Problem:
    return Problem(401, "Unknown API key", "The X-API-Key is unknown, rotated or revoked.")


async def rotate_key(conn: asyncpg.Connection, partner_id: str) -> str | None:
    """A new key for a partner; the old one stops at once. None for an unknown partner."""
    api_key = f"rk_{secrets.token_urlsafe(32)}"
    rotated = await conn.fetchval(
        "UPDATE partners SET key_hash = $2, revoked_at = NULL WHERE partner_id = $1 RETURNING true",
        partner_id,
        hash_key(api_key),
    )
    return api_key if rotated else None


async def revoke(conn: asyncpg.Connection, partner_id: str) -> bool:
    revoked = await conn.fetchval(
        "UPDATE partners SET revoked_at = coalesce(revoked_at, now()) WHERE partner_id = $1 "
        "RETURNING true",
        partner_id,
    )
    return bool(revoked)
