"""Entitlements close when a person departs or is merged away.

Revision ID: 0002
"""

from shared.migrations import run_sql

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    run_sql(
        """
        ALTER TABLE entitlements ADD COLUMN closed_at timestamptz, ADD COLUMN closed_reason text;
        ALTER TABLE beneficiaries ADD COLUMN status text NOT NULL DEFAULT 'registered';
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
