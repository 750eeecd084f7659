"""The statements that read the events table (shared/eventstore.py), kept apart from the store
so that both stay small. Each names the columns ``eventstore._to_recorded`` reads."""

REPLAY = """
SELECT global_position, stream_id, version, event_id, event_type, topic, data::text AS data,
       coalesce(metadata->>'correlation_id', '') AS correlation_id, recorded_at
FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2
"""


SELECT_EVENTS = """
SELECT global_position, stream_id, version, event_id, event_type, topic, data::text AS data,
       metadata::text AS metadata, recorded_at
FROM events
"""


SELECT_WITH_OWNER = """
SELECT global_position, stream_id, version, event_id, event_type, topic, data::text AS data,
       metadata::text AS metadata, recorded_at,
       transaction_id = pg_current_xact_id_if_assigned() AS appended_here
FROM events
"""

STREAMS_SINCE = f"""{SELECT_WITH_OWNER}
JOIN unnest($1::text[], $2::int[]) AS wanted(id, after)
  ON stream_id = wanted.id AND version > wanted.after
ORDER BY stream_id, version"""
