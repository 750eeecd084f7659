"""The kept API keys expire, so that scopes widened in place reach a kept key without a
restart; a forgotten key is looked up again."""

from __future__ import annotations

from services.intake.known_keys import TTL_SECONDS, KnownKeys
from services.intake.partners import Partner, Scope

PARTNER = Partner("wp-a", "A", frozenset({Scope.REGISTER_ARRIVALS}), key_hash="h")


def test_a_kept_key_is_known_until_its_time_is_up_and_then_looked_up_again() -> None:
    now = [100.0]
    known = KnownKeys(clock=lambda: now[0])
    known.remember("rk_secret", PARTNER)

    now[0] += TTL_SECONDS - 1
    assert known.partner("rk_secret") == PARTNER
    assert known.partner("rk_other") is None
    now[0] += 2
    assert known.partner("rk_secret") is None


def test_a_forgotten_key_is_no_longer_known() -> None:
    known = KnownKeys()
    known.remember("rk_secret", PARTNER)
    known.forget("rk_secret")
    assert known.partner("rk_secret") is None
