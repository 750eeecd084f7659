"""Device keys: one key per volunteer's phone, issued by its partner, revocable alone.

Revision ID: 0003
"""

from shared.migrations import run_sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(
        """
        CREATE TABLE devices (
            device_id uuid PRIMARY KEY,
            partner_id text NOT NULL REFERENCES partners (partner_id),
            label text NOT NULL,
            key_hash text NOT NULL UNIQUE,
            issued_by text NOT NULL,
            issued_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        );
        CREATE INDEX devices_by_partner ON devices (partner_id, issued_at);
        """
    )


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
