"""Erased persons are remembered by id: an erasure may reach housing before the arrival that
names the person (the topic is keyed by arrival, the erasure by person), and that arrival must
not place them. Only the id and when; nothing else of the person.

Revision ID: 0006
"""

from shared.migrations import run_sql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(
        """
        CREATE TABLE erased_persons (
            person_id uuid PRIMARY KEY,
            erased_at timestamptz NOT NULL
        );
        """
    )


def downgrade() -> None:
    raise NotImplementedError("an erasure cannot be undone; restore from a backup instead")
