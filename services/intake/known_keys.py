"""API keys already authenticated, kept in the process so that an arrival does not spend a
round trip (and a connection of the pool) looking its key up before its work.

Revocation still takes effect at once: the arrival's first statement checks the key again
(``still_valid``, in admission.py), in the transaction that would write the arrival. When the
key is revoked, rotated or no longer gives the same partner and scopes, nothing is written, the
kept entry is dropped, and the key is looked up afresh: a revoked key gets its 401 on the very
next request, as before. Entries also expire after a minute, so that scopes widened in place
reach a kept key without a restart (narrowed ones are caught by the check).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from services.intake.partners import Partner, hash_key
from shared.statement import Write

#: how long an authenticated key is trusted for its scopes before it is looked up again
TTL_SECONDS = 60.0
#: at most this many keys are kept (partners and their devices): beyond it, all are dropped
MOST_KEYS = 10_000


class KeyNoLongerValid(Exception):
    """The key that authenticated the request was revoked or changed since it was kept."""


class KnownKeys:
    """Partners by the hash of the key that authenticated them, each for ``TTL_SECONDS``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._partners: dict[str, tuple[float, Partner]] = {}

    def partner(self, api_key: str) -> Partner | None:
        kept = self._partners.get(hash_key(api_key))
        if kept is None or kept[0] < self._clock():
            return None
        return kept[1]

    def remember(self, api_key: str, partner: Partner) -> None:
        if len(self._partners) >= MOST_KEYS:
            self._partners.clear()
        self._partners[hash_key(api_key)] = (self._clock() + TTL_SECONDS, partner)

    def forget(self, api_key: str) -> None:
        self._partners.pop(hash_key(api_key), None)


def still_valid(partner: Partner) -> Write:
    """One row, ``still_valid``: whether the key that authenticated ``partner`` still does, for
    the same partner (and device) with at least the scopes kept. The operator's key is
    configuration, not a row: always true."""
    if partner.key_hash is None:
        return Write("SELECT true AS still_valid")
    scopes = sorted(scope.value for scope in partner.scopes)
    if partner.device_id is None:
        return Write(
            """SELECT EXISTS (SELECT FROM partners
                WHERE key_hash = {0} AND revoked_at IS NULL AND partner_id = {1}
                AND scopes @> {2}::text[] AND scopes <@ {2}::text[]) AS still_valid""",
            (partner.key_hash, partner.partner_id, scopes),
        )
    return Write(
        """SELECT EXISTS (SELECT FROM devices d JOIN partners p USING (partner_id)
            WHERE d.key_hash = {0} AND d.revoked_at IS NULL AND p.revoked_at IS NULL
            AND d.device_id = {1} AND p.partner_id = {2} AND p.scopes @> {3}::text[])
            AS still_valid""",
        (partner.key_hash, UUID(partner.device_id), partner.partner_id, scopes),
    )
