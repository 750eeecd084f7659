"""The outbox relay's statements (shared.outbox): the lock that makes one relay the publisher, a
page of committed events past a checkpoint, below the horizon (shared.outbox_horizon), with the
first event the horizon holds back, and the checkpoint's advance."""

from __future__ import annotations

from shared.outbox_horizon import HORIZON

ORIGIN = "0"  # the checkpoint before any transaction

#: the relays' lock, held by the publishing relay's reading connection for as long as that
#: connection lives: a session lock, not a transaction's, so that a turn needs no BEGIN and no
#: COMMIT (two of a turn's five statements before), and not a row lock, which would give the
#: reads a transaction id and hold back their own horizon. Tried, not waited for: a relay that
#: does not get it stands by and tries again at its idle poll. The server probes the
#: connection after 10 s of silence: a publisher whose machine vanished without closing it
#: (a lost node) keeps the lock about 25 s, not the two hours of the system's TCP defaults.
TRY_LOCK = """
SELECT pg_try_advisory_lock(hashtext('outbox-relay'))
FROM (SELECT set_config('tcp_keepalives_idle', '10', false),
             set_config('tcp_keepalives_interval', '5', false),
             set_config('tcp_keepalives_count', '3', false)) AS probed
"""

# ORDER BY names the table's columns: a bare ``transaction_id`` is the text output column, whose
# order is not the index's (a full sort of every pending row per page, 29 ms instead of 3 ms for
# 500 of 10,000) and not xid order ('1000' < '999': the checkpoint could pass an event unsent).
#
# Each page comes with the first event past its start that the horizon holds back (its
# transaction id, or NULL): when the page comes back short it holds every event below the
# horizon, so that event is the first one past the page, which the relay waits for
# (shared.outbox_horizon.horizon_passed); before, a statement of its own after every short
# page. Its bound is whichever is later of the page's start and the horizon, as one row
# comparison, so its probe starts at the horizon in a backlog rather than at the checkpoint.
# Events committed after the page's snapshot are not in it: their append's NOTIFY wakes the
# relay (shared.outbox.OutboxRelay.run).
_PAGE = f"""
WITH horizon AS MATERIALIZED (SELECT ({HORIZON}) AS id),
start AS MATERIALIZED ({{start}}),
bound AS MATERIALIZED (
    SELECT start.transaction_id, start.global_position,
           CASE WHEN horizon.id > start.transaction_id THEN horizon.id
                ELSE start.transaction_id END AS held_transaction_id,
           CASE WHEN horizon.id > start.transaction_id THEN -1
                ELSE start.global_position END AS held_position
    FROM start, horizon),
held AS MATERIALIZED (
    SELECT bound.*, (
        SELECT e.transaction_id::text FROM events AS e
        WHERE e.topic IS NOT NULL
          AND (e.transaction_id, e.global_position)
              > (bound.held_transaction_id, bound.held_position)
        ORDER BY e.transaction_id, e.global_position
        LIMIT 1) AS held_back
    FROM bound)
SELECT held.transaction_id::text AS checkpoint_transaction_id,
       held.global_position AS checkpoint_position, held.held_back, page.*
FROM held
LEFT JOIN LATERAL (
    SELECT transaction_id::text AS transaction_id, global_position, stream_id, version,
           event_id, event_type, schema_version, topic, data::text AS data,
           metadata::text AS metadata, recorded_at
    FROM events
    WHERE topic IS NOT NULL
      AND (transaction_id, global_position) > (held.transaction_id, held.global_position)
      AND transaction_id < (SELECT id FROM horizon)
    ORDER BY events.transaction_id, events.global_position
    LIMIT {{limit}}
) AS page ON true
ORDER BY page.transaction_id::xid8, page.global_position
"""

#: the page past a checkpoint the relay already holds (a turn's pages after its first); one row
#: with null event columns when none is pending, as for the first page
PENDING = _PAGE.format(
    start="SELECT $1::text::xid8 AS transaction_id, $2::bigint AS global_position", limit="$3"
)

#: a turn's first page and the checkpoint it starts from, in one round trip rather than two: the
#: checkpoint (or the origin) joined with each event of the page, or once with null event
#: columns if none is pending. Its snapshot, taken after the relay took the lock, sees the
#: checkpoint the last relay to hold the lock committed.
FIRST_PAGE = _PAGE.format(
    start=f"""SELECT transaction_id, global_position FROM outbox_checkpoint WHERE relay = 'main'
      UNION ALL SELECT '{ORIGIN}'::xid8, 0
      ORDER BY 1 DESC, 2 DESC LIMIT 1""",
    limit="$1",
)

# the checkpoint never moves back: a relay that lost its lock with a connection may still confirm a
# page after another relay moved on (that only means re-sending; moving back would too, needlessly)
ADVANCE = """
INSERT INTO outbox_checkpoint (relay, transaction_id, global_position)
VALUES ('main', $1::text::xid8, $2)
ON CONFLICT (relay) DO UPDATE
SET transaction_id = EXCLUDED.transaction_id,
    global_position = EXCLUDED.global_position, updated_at = now()
WHERE (outbox_checkpoint.transaction_id, outbox_checkpoint.global_position)
    < (EXCLUDED.transaction_id, EXCLUDED.global_position)
"""
