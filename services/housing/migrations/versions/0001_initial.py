"""Event store, inbox, and the shelters and placements read models.

Revision ID: 0001
"""

from shared.migrations import run_sql
from shared.schema_steps import event_store_v1, idempotency_keys_v1

revision = "0001"
down_revision = None


def upgrade() -> None:
    run_sql(event_store_v1())
    run_sql(idempotency_keys_v1())
    run_sql(
        """
        CREATE TABLE shelters (
            shelter_id uuid PRIMARY KEY,
            name text NOT NULL,
            kind text NOT NULL,
            district text NOT NULL,
            beds integer NOT NULL,
            occupied integer NOT NULL CHECK (occupied BETWEEN 0 AND beds),
            opened_at timestamptz NOT NULL
        );
        CREATE TABLE placements (
            person_id uuid PRIMARY KEY,
            arrival_id uuid NOT NULL,
            status text NOT NULL CHECK (status IN ('placed', 'waiting')),
            shelter_id uuid REFERENCES shelters (shelter_id),
            bed_number integer,
            reason text,
            since timestamptz NOT NULL,
            correlation_id text NOT NULL
        );
        -- a bed holds one person, whatever a bug upstream might try
        CREATE UNIQUE INDEX placements_one_person_per_bed ON placements (shelter_id, bed_number)
            WHERE status = 'placed';
        CREATE INDEX placements_waiting ON placements (since) WHERE status = 'waiting';
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
