"""Erasure reaches every copy: stored requests list the ids they carried (and lose their unkeyed
fingerprints), merged records are found from the one they were merged into, and the reasons
that earlier erasures recorded in clear are removed from their events.

An erasure's reason was free text kept forever beside an erased person: it is taken out of
the events that hold one (the only edit of recorded events, made once, to forget what should
not have been written).

Revision ID: 0004
"""

from shared.migrations import run_sql

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

#: the ids each stored request carried, as this revision added them: a frozen copy, never
#: an import of the live DDL, so this revision stays what it was whatever the code becomes
CARRIED_IDS_DDL = r"""
ALTER TABLE idempotency_keys ALTER COLUMN request_hash DROP NOT NULL;
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS carried_ids uuid[] NOT NULL DEFAULT '{}';
UPDATE idempotency_keys SET request_hash = NULL, carried_ids = ARRAY(
    SELECT DISTINCT found[1]::uuid FROM regexp_matches(
        coalesce(response::text, ''),
        '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})', 'g') AS found);
CREATE INDEX IF NOT EXISTS idempotency_keys_carried ON idempotency_keys USING gin (carried_ids);
"""


def upgrade() -> None:
    run_sql(
        CARRIED_IDS_DDL
        + """
        CREATE INDEX IF NOT EXISTS case_members_merged_into ON case_members (merged_into)
            WHERE merged_into IS NOT NULL;
        UPDATE events SET data = data - 'reason'
            WHERE event_type = 'PersonErased' AND data ? 'reason';
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
