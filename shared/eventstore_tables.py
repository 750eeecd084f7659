"""The event store's tables, as the code uses them today: the events (which are also the
outbox), the relay's checkpoint and the consumers' inbox. A service's migrations hold their
own frozen copy (shared.migrations); tests and benchmarks create them from this one."""

SCHEMA_DDL = """
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
