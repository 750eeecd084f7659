"""Erasure reaches every copy: stored requests list the ids they carried (and lose their unkeyed
fingerprints), merged records are found from the one they were merged into, and the reasons
that earlier erasures recorded in clear are removed from their events.

An erasure's reason was free text kept forever beside an erased person: it is taken out of
the events that hold one (the only edit of recorded events, made once, to forget what should
not have been written).

Revision ID: 0004
"""

from shared.migrations import run_sql
from shared.schema_steps import idempotency_keys_v2

revision = "0004"
down_revision = "0002"


def upgrade() -> None:
    run_sql(
        idempotency_keys_v2()
        + """
        CREATE INDEX IF NOT EXISTS case_members_merged_into ON case_members (merged_into)
            WHERE merged_into IS NOT NULL;
        UPDATE events SET data = data - 'reason'
            WHERE event_type = 'PersonErased' AND data ? 'reason';
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
