"""Event store, partners, personal-data vault and the cases read model.

Revision ID: 0001
"""

from shared.migrations import run_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: the event store and its relay's checkpoint, as this revision created them: a frozen copy,
#: never an import of the live DDL, so this revision stays what it was whatever the code becomes
EVENT_STORE_DDL = """
CREATE TABLE IF NOT EXISTS events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the appending transaction; the relay reads only below the oldest running one, so an
    -- event whose position was drawn early but committed late is never skipped
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    topic text,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS events_outbox_order ON events (transaction_id, global_position)
    WHERE topic IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox_checkpoint (
    relay text PRIMARY KEY,
    transaction_id xid8 NOT NULL,
    global_position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS inbox (
    event_id uuid PRIMARY KEY,
    topic text NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset bigint NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
"""

#: the idempotency keys of POSTs, as this revision created them: a frozen copy, never an
#: import of the live DDL, so this revision stays what it was whatever the code becomes
IDEMPOTENCY_DDL = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    client_id text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, idempotency_key)
);
"""


def upgrade() -> None:
    run_sql(EVENT_STORE_DDL)
    run_sql(IDEMPOTENCY_DDL)
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
