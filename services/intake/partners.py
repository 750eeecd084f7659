"""Partner organisations and their API keys (stored as SHA-256 hashes, never in clear)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

import asyncpg

from shared.http import Problem


class Scope(StrEnum):
    REGISTER_ARRIVALS = "arrivals:write"
    READ_OWN_CASES = "cases:read"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    scopes: frozenset[Scope]

    @property
    def is_operator(self) -> bool:
        return Scope.OPERATOR in self.scopes

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


async def authenticate(conn: asyncpg.Connection, api_key: str | None) -> Partner:
    if not api_key:
        raise Problem(401, "Missing API key", "Send your partner key in the X-API-Key header.")
    row = await conn.fetchrow(
        "SELECT partner_id, name, scopes FROM partners WHERE key_hash = $1 AND revoked_at IS NULL",
        hash_key(api_key),
    )
    if row is None:
        raise Problem(401, "Unknown API key", "The X-API-Key is unknown or was revoked.")
    return Partner(row["partner_id"], row["name"], frozenset(Scope(s) for s in row["scopes"]))
