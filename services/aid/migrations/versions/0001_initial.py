"""Event store, inbox, and the beneficiaries and entitlements read models.

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


def upgrade() -> None:
    run_sql(EVENT_STORE_DDL)
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
