"""Master key versions: each wrapped person key, and each blind index entry, records the
version of the master key it was made under, so the master key can be rotated (rewrap-keys)
and the old one destroyed. Everything before was made under version 1.

Revision ID: 0005
"""

from shared.migrations import run_sql

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    run_sql(
        """
        ALTER TABLE person_keys ADD COLUMN key_version smallint NOT NULL DEFAULT 1;
        ALTER TABLE person_index ADD COLUMN key_version smallint NOT NULL DEFAULT 1;
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
