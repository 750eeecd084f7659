"""Placements may be departed or merged; a departure may come before its arrival.

Revision ID: 0002
"""

from shared.migrations import run_sql

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    run_sql(
        """
        ALTER TABLE placements DROP CONSTRAINT placements_status_check;
        ALTER TABLE placements ADD CONSTRAINT placements_status_check
            CHECK (status IN ('placed', 'waiting', 'departed', 'merged'));
        ALTER TABLE placements ALTER COLUMN arrival_id DROP NOT NULL;
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
