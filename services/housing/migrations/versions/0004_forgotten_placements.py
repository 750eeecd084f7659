"""A placement may be a tombstone: the person withdrew their consent to housing and is
forgotten, all but that they are not to be placed.

Revision ID: 0004
"""

from shared.migrations import run_sql

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    run_sql(
        """
        ALTER TABLE placements DROP CONSTRAINT placements_status_check;
        ALTER TABLE placements ADD CONSTRAINT placements_status_check
            CHECK (status IN ('held', 'checked_in', 'waiting', 'checked_out', 'departed',
                'merged', 'released', 'moving', 'no_show', 'forgotten'));
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
