"""Device keys: a partner (or an operator for it) issues one key per volunteer's phone.

A device key authenticates as its partner, with the device named in what it causes, and with no
more than registering arrivals and reading the partner's own cases: it never issues keys nor
does an operator's work, so no partner master key ever sits on a phone. Revoking one device
leaves the others working; revoking the partner ends all of its devices.

A key is 24 characters of Crockford's base32 (120 random bits): short enough to type from a
screen in groups of four, and the same characters are in the QR code. Like partner keys it is
stored only as a SHA-256 hash (a random token: no dictionary to attack).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import segno

from services.intake.partners import Partner, Scope, hash_key

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_LENGTH = 24
#: what a device may do: its partner's scopes, never more than these
DEVICE_SCOPES = frozenset({Scope.REGISTER_ARRIVALS, Scope.READ_OWN_CASES})
_TYPED = re.compile(r"^[0-9A-Za-z\- ]+$")


def new_device_key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))


def normalised(typed: str) -> str | None:
    """The key as typed (any case, dashes or spaces, O for 0, I or L for 1), or None when it
    cannot be a device key (a partner key, the operator key)."""
    if not _TYPED.match(typed):
        return None
    key = typed.upper().replace("-", "").replace(" ", "")
    key = key.translate(str.maketrans("OIL", "011"))
    if len(key) != KEY_LENGTH or any(char not in ALPHABET for char in key):
        return None
    return key


def short_code(key: str) -> str:
    """The key in groups of four, to read aloud or type."""
    return "-".join(key[index : index + 4] for index in range(0, len(key), 4))


def qr_svg(content: str) -> str:
    """A QR code of ``content`` as inline SVG. Never a Micro QR code (segno's choice for short
    content such as a slip code): phones' cameras and the counter's decoder read only full ones."""
    return str(
        segno.make(content, error="m", micro=False).svg_inline(scale=6, border=2, title="QR")
    )


@dataclass(frozen=True)
class IssuedDevice:
    device_id: UUID
    partner_id: str
    label: str
    key: str


async def issue(
    conn: asyncpg.Connection, partner_id: str, label: str, issued_by: str
) -> IssuedDevice | None:
    """A new key for one device of ``partner_id``; None when the partner is unknown or revoked."""
    known = await conn.fetchval(
        "SELECT true FROM partners WHERE partner_id = $1 AND revoked_at IS NULL", partner_id
    )
    if not known:
        return None
    device = IssuedDevice(uuid4(), partner_id, label, new_device_key())
    await conn.execute(
        "INSERT INTO devices (device_id, partner_id, label, key_hash, issued_by) "
        "VALUES ($1, $2, $3, $4, $5)",
        device.device_id,
        partner_id,
        label,
        hash_key(device.key),
        issued_by,
    )
    return device


async def listed(conn: asyncpg.Connection, partner_id: str | None) -> list[dict[str, Any]]:
    """Devices of one partner (None: of every partner), newest first; never a key."""
    rows = await conn.fetch(
        "SELECT device_id, partner_id, label, issued_by, issued_at, revoked_at FROM devices "
        "WHERE $1::text IS NULL OR partner_id = $1 ORDER BY issued_at DESC, device_id",
        partner_id,
    )

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return [
        {"device_id": str(row["device_id"]), "partner_id": row["partner_id"],
         "label": row["label"], "issued_by": row["issued_by"],
         "issued_at": iso(row["issued_at"]), "revoked_at": iso(row["revoked_at"])}
        for row in rows
    ]  # fmt: skip


async def revoke(conn: asyncpg.Connection, device_id: UUID, partner_id: str | None) -> bool:
    """Stop one device's key (of ``partner_id``'s devices; None: any). False if not found."""
    revoked = await conn.fetchval(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, now()) "
        "WHERE device_id = $1 AND ($2::text IS NULL OR partner_id = $2) RETURNING true",
        device_id,
        partner_id,
    )
    return bool(revoked)


async def device_partner(conn: asyncpg.Connection, api_key: str | None) -> Partner | None:
    """The partner a device key speaks for, with the device attributed; None when the key is
    not a device key. A revoked device, or a device of a revoked partner, is None too."""
    key = normalised(api_key) if api_key else None
    if key is None:
        return None
    key_hash = hash_key(key)
    row = await conn.fetchrow(
        """
        SELECT d.device_id, p.partner_id, p.name, p.scopes FROM devices d
        JOIN partners p USING (partner_id)
        WHERE d.key_hash = $1 AND d.revoked_at IS NULL AND p.revoked_at IS NULL
        """,
        key_hash,
    )
    if row is None:
        return None
    scopes = frozenset(Scope(scope) for scope in row["scopes"]) & DEVICE_SCOPES
    device_id = str(row["device_id"])
    return Partner(row["partner_id"], row["name"], scopes, device_id=device_id, key_hash=key_hash)
