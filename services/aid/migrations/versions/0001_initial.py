"""Event store, inbox, and the beneficiaries and entitlements read models.

Revision ID: 0001
"""

from shared.migrations import run_sql
from shared.schema_steps import event_store_v1

revision = "0001"
down_revision = None


def upgrade() -> None:
    run_sql(event_store_v1())
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
