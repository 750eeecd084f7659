"""The outbox relay's statements (shared.outbox): a page of committed events past a checkpoint,
below the horizon (shared.outbox_horizon), and the checkpoint's advance."""

from __future__ import annotations

from shared.outbox_horizon import HORIZON

ORIGIN = "0"  # the checkpoint before any transaction

# ORDER BY names the table's columns: a bare ``transaction_id`` is the text output column, whose
# order is not the index's (a full sort of every pending row per page, 29 ms instead of 3 ms for
# 500 of 10,000) and not xid order ('1000' < '999': the checkpoint could pass an event unsent)
_PAGE = f"""
SELECT transaction_id::text AS transaction_id, global_position, stream_id, version, event_id,
       event_type, schema_version, topic, data::text AS data, metadata::text AS metadata,
       recorded_at
FROM events
WHERE topic IS NOT NULL
  AND (transaction_id, global_position) > ({{after}})
  AND transaction_id < ({HORIZON})
ORDER BY events.transaction_id, events.global_position
LIMIT {{limit}}
"""

#: the page past a checkpoint the relay already holds (a turn's pages after its first)
PENDING = _PAGE.format(after="$1::text::xid8, $2", limit="$3")

#: a turn's first page and the checkpoint it starts from, in one round trip rather than two: the
#: checkpoint (or the origin) joined with each event of the page, or once with null event
#: columns if none is pending. Read after the lock (BEGIN_LOCKED), in a statement of its own, so
#: its snapshot sees the checkpoint the last relay to hold the lock committed.
FIRST_PAGE = f"""
SELECT checkpoint.transaction_id::text AS checkpoint_transaction_id,
       checkpoint.global_position AS checkpoint_position, page.*
FROM (SELECT transaction_id, global_position FROM outbox_checkpoint WHERE relay = 'main'
      UNION ALL SELECT '{ORIGIN}'::xid8, 0
      ORDER BY 1 DESC, 2 DESC LIMIT 1) AS checkpoint
LEFT JOIN LATERAL ({
    _PAGE.format(after="checkpoint.transaction_id, checkpoint.global_position", limit="$1")
}) AS page ON true
ORDER BY page.transaction_id::xid8, page.global_position
"""

#: a turn's transaction opened and the relays' lock taken, in one round trip (a simple query: the
#: transaction block its BEGIN opens outlasts the query string). The lock, not a row lock,
#: serialises relays: a row lock would give the turn's transaction an id before its snapshot and
#: hold back its own horizon.
BEGIN_LOCKED = "BEGIN; SELECT pg_advisory_xact_lock(hashtext('outbox-relay'))"

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
