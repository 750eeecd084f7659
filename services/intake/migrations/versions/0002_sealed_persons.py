"""Personal details sealed per person, blind indexes, consents, duplicates, person status.

Revision ID: 0002
"""

from shared.migrations import run_sql

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    run_sql(
        """
        DROP TABLE personal_details;
        CREATE TABLE person_keys (
            person_id uuid PRIMARY KEY,
            wrapped_key bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE person_details (
            person_id uuid PRIMARY KEY,
            arrival_id uuid NOT NULL,
            partner_id text NOT NULL,
            member_index integer NOT NULL,
            sealed text NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE INDEX person_details_by_arrival ON person_details (arrival_id, member_index);
        CREATE TABLE person_index (
            person_id uuid NOT NULL,
            kind text NOT NULL,
            value text NOT NULL,
            PRIMARY KEY (person_id, kind, value)
        );
        CREATE INDEX person_index_lookup ON person_index (kind, value);
        CREATE TABLE consents (
            person_id uuid NOT NULL,
            purpose text NOT NULL,
            partner_id text NOT NULL DEFAULT '',
            given boolean NOT NULL,
            changed_at timestamptz NOT NULL,
            PRIMARY KEY (person_id, purpose, partner_id)
        );
        CREATE TABLE duplicate_flags (
            person_id uuid NOT NULL,
            candidate_person_id uuid NOT NULL,
            rule text NOT NULL,
            flagged_at timestamptz NOT NULL,
            resolution text,
            PRIMARY KEY (person_id, candidate_person_id, rule)
        );
        ALTER TABLE case_members
            ADD COLUMN status text NOT NULL DEFAULT 'active',
            ADD COLUMN departure_reason text,
            ADD COLUMN merged_into uuid;
        CREATE INDEX cases_by_day ON cases (arrival_date);
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
