"""Free text about a person leaves the event store: an operator's move reason is kept in
move_notes (deleted when the person is erased), and stored requests list the ids they carried
(and lose their unkeyed fingerprints).

The reasons that earlier moves wrote into their events are moved to move_notes and taken out
of the events and the history: the only edit of recorded events, made once, so that an
erasure can reach them.

Revision ID: 0005
"""

from shared.migrations import run_sql
from shared.schema_steps import idempotency_keys_v2

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    run_sql(
        idempotency_keys_v2()
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
