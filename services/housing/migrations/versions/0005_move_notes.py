"""Free text about a person leaves the event store: an operator's move reason is kept in
move_notes (deleted when the person is erased), and stored requests list the ids they carried
(and lose their unkeyed fingerprints).

The reasons that earlier moves wrote into their events are moved to move_notes and taken out
of the events and the history: the only edit of recorded events, made once, so that an
erasure can reach them.

Revision ID: 0005
"""

from shared.migrations import run_sql

revision = "0005"
down_revision = "0004"
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
        CREATE TABLE move_notes (
            person_id uuid NOT NULL,
            position bigint NOT NULL,
            reason text NOT NULL,
            PRIMARY KEY (person_id, position)
        );
        INSERT INTO move_notes (person_id, position, reason)
            SELECT (data ->> 'person_id')::uuid, global_position, data ->> 'reason' FROM events
            WHERE event_type = 'PersonMoved' AND data ? 'reason';
        UPDATE events SET data = data - 'reason' WHERE event_type = 'PersonMoved';
        UPDATE placement_history SET reason = NULL WHERE what = 'moved';
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
