"""Event store, partners, personal-data vault and the cases read model.

Revision ID: 0001
"""

from shared.migrations import run_sql
from shared.schema_steps import event_store_v1, idempotency_keys_v1

revision = "0001"
down_revision = None


def upgrade() -> None:
    run_sql(event_store_v1())
    run_sql(idempotency_keys_v1())
    run_sql(
        """
        CREATE TABLE partners (
            partner_id text PRIMARY KEY,
            name text NOT NULL,
            key_hash text NOT NULL UNIQUE,
            scopes text[] NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        );
        -- personal data: only here, never in an event, a log or a span
        CREATE TABLE personal_details (
            person_id uuid PRIMARY KEY,
            arrival_id uuid NOT NULL,
            partner_id text NOT NULL,
            member_index integer NOT NULL,
            details jsonb NOT NULL,
            registered_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE cases (
            arrival_id uuid PRIMARY KEY,
            partner_id text NOT NULL,
            member_count integer NOT NULL,
            keep_together boolean NOT NULL,
            arrival_date date NOT NULL,
            crossing_point text NOT NULL,
            registered_at timestamptz NOT NULL,
            correlation_id text NOT NULL
        );
        CREATE INDEX cases_by_partner ON cases (partner_id, registered_at);
        CREATE TABLE case_members (
            person_id uuid PRIMARY KEY,
            arrival_id uuid NOT NULL REFERENCES cases (arrival_id),
            age_band text NOT NULL,
            sex text NOT NULL,
            relation text NOT NULL,
            needs text[] NOT NULL,
            languages text[] NOT NULL
        );
        CREATE INDEX case_members_by_arrival ON case_members (arrival_id);
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
