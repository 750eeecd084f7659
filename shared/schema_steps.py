"""Released schema steps: the DDL that more than one service's migrations run, each function
named by what it makes and the version of it (``event_store_v1``, ``idempotency_keys_v2``...).

A step is frozen once a revision has run it: its text, indentation included, is what that
revision ran, so the statements executed stay byte for byte what they were whatever the code
becomes (tests/unit/test_schema_steps.py pins each step's text). A change to a table is a new
step, ``..._v2``, called by a new revision; never an edit here. This module imports nothing, so
that no change elsewhere can reach what a revision runs.
"""


def event_store_v1() -> str:
    """The events (which are also the outbox), the relay's checkpoint and the consumers'
    inbox (the first revision of each service)."""
    return """
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


def idempotency_keys_v1() -> str:
    """The idempotency keys of POSTs: the first answer to a key, and a fingerprint of the
    request that got it."""
    return """
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


def idempotency_keys_v2() -> str:
    """The ids each stored request carried, and fingerprints that may be absent: an erasure
    neutralises a record by dropping its fingerprint and answer. Records from before carry the
    ids found in their answers, and lose their unkeyed fingerprints (a retry then gets the first
    answer whatever its body, as a neutralised record does)."""
    return r"""
ALTER TABLE idempotency_keys ALTER COLUMN request_hash DROP NOT NULL;
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS carried_ids uuid[] NOT NULL DEFAULT '{}';
UPDATE idempotency_keys SET request_hash = NULL, carried_ids = ARRAY(
    SELECT DISTINCT found[1]::uuid FROM regexp_matches(
        coalesce(response::text, ''),
        '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})', 'g') AS found);
CREATE INDEX IF NOT EXISTS idempotency_keys_carried ON idempotency_keys USING gin (carried_ids);
"""


def erased_persons_v1() -> str:
    """Erased persons remembered by id and when, nothing else of them, so that an arrival
    that comes after its person's erasure leaves no trace of them."""
    return """
        CREATE TABLE erased_persons (
            person_id uuid PRIMARY KEY,
            erased_at timestamptz NOT NULL
        );
        """


#: the actors the v2 topics accept
_V2_ACTOR = (
    "^(operator|service:(intake|housing|aid)"
    "|partner:[a-z0-9][a-z0-9-]{1,62}"
    "(/device:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?"
    "|site:[a-z0-9][a-z0-9-]{0,62})$"
)
#: the partner ids the v2 topics accept
_V2_PARTNER_ID = "^[a-z0-9][a-z0-9-]{1,62}$"


def events_v2_topic(service: str) -> str:
    """A service's published events move from its v1 topic to v2, once.

    Every published event type starts v2 at schema_version 2 (so ``ce_type`` names the v2
    shape, e.g. ``ArrivalRegistered.v2``). The relay starts again from the first event (its
    checkpoint goes) and publishes the whole history on v2; consumers that read v1 skip what
    they already handled by the event id (their inbox). Nothing is published on v1 any more.
    """
    return f"""
        UPDATE events SET topic = '{service}.events.v2', schema_version = 2,
            data = data || jsonb_build_object('schema_version', 2)
        WHERE topic = '{service}.events.v1';
        DELETE FROM outbox_checkpoint;
        """


def _refuse_if(condition: str, what: str) -> str:
    """Stop the migration (nothing of it kept) when a published event would not read as v2:
    the service would fail on it later, far from the cause."""
    return (
        "DO $check$ BEGIN IF EXISTS (SELECT 1 FROM events WHERE topic IS NOT NULL AND ("
        + condition
        + ")) THEN RAISE EXCEPTION 'stored events hold "
        + what
        + " of no form the v2 topics accept (see docs/subscribers.md); correct them, then "
        "migrate again'; END IF; END $check$;\n"
    )


def events_v2_actors_checked() -> str:
    """The migration stops if a published event's actor is of no form v2 accepts."""
    return _refuse_if("data ->> 'actor' !~ '" + _V2_ACTOR + "'", "an actor")


def events_v2_partner_ids_checked(partner_id: str) -> str:
    """The migration stops if a published event's partner id, the SQL expression
    ``partner_id``, is of no form v2 accepts."""
    return _refuse_if(partner_id + " !~ '" + _V2_PARTNER_ID + "'", "a partner id")
