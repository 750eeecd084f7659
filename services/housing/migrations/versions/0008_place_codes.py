"""Shelters and units may have a short public code ("atameken", "room-12"), published on
housing.events.v2 (a new optional field: additive), so that intake can tell a partner's
volunteer where to send a person without housing publishing any typed name. Shelter codes are
unique among shelters (the index also stops two operators taking one code at once); unit
codes are unique within their shelter (the shelter's own rule, services/housing/domain).

Revision ID: 0008
"""

from shared.migrations import run_sql

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    run_sql(
        """
        ALTER TABLE shelters ADD COLUMN code text;
        CREATE UNIQUE INDEX shelters_by_code ON shelters (code);
        ALTER TABLE units ADD COLUMN code text;
        """
    )


def downgrade() -> None:
    run_sql(
        """
        ALTER TABLE units DROP COLUMN code;
        ALTER TABLE shelters DROP COLUMN code;
        """
    )
