"""An arrival's answer written into its idempotency key's row in place.

An arrival's key is claimed with the ids its answer will carry (shared/idempotency.py,
Claim.write), so remembering the answer changes no indexed column; the room left here on each
page of idempotency_keys lets Postgres rewrite the row on its page (a HOT update) instead of
writing a second version of it with new entries in both its indexes (its key and the GIN index
of carried ids).

Revision ID: 0011
"""

from shared.migrations import run_sql

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    # pages written from now on keep a fifth free for the answers written into their rows
    run_sql("ALTER TABLE idempotency_keys SET (fillfactor = 80);")


def downgrade() -> None:
    run_sql("ALTER TABLE idempotency_keys RESET (fillfactor);")
