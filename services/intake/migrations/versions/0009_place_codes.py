"""The short public codes of shelters and units, as housing.events.v2 carries them (an
optional field, none for a host's home), so that a placement shown to a partner's volunteer
says where to go ("atameken", "room-12") where it could show only ids since 0008.

Revision ID: 0009
"""

from shared.migrations import run_sql

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    run_sql(
        """
        CREATE TABLE shelter_codes (
            shelter_id uuid PRIMARY KEY,
            code text NOT NULL
        );
        CREATE TABLE unit_codes (
            unit_id uuid PRIMARY KEY,
            code text NOT NULL
        );
        """
    )


def downgrade() -> None:
    # one statement per line end: the two DROPs on one line went as one prepared statement,
    # which asyncpg refuses, so this downgrade never ran before it was written so
    run_sql(
        """
        DROP TABLE unit_codes;
        DROP TABLE shelter_codes;
        """
    )
