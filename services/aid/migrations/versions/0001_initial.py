"""Event store, inbox, and the beneficiaries and entitlements read models.

Revision ID: 0001
"""

from shared.eventstore import SCHEMA_DDL
from shared.migrations import run_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(SCHEMA_DDL)
    run_sql(
        """
        CREATE TABLE beneficiaries (
            person_id uuid PRIMARY KEY,
            arrival_id uuid,
            age_band text,
            registered_at timestamptz,
            shelter_id uuid,
            resident_since timestamptz
        );
        CREATE TABLE entitlements (
            person_id uuid NOT NULL,
            item text NOT NULL,
            per_day integer NOT NULL,
            granted_at timestamptz NOT NULL,
            PRIMARY KEY (person_id, item)
        );
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
