"""Fewer index entries per arrival: every one is written, WAL-logged and flushed at commit by
the arrival that adds it, and none of these three served a query.

- ``person_details_by_arrival``: nothing reads person details by arrival (a case's members
  are found through ``case_members_by_arrival``, then each one's details by person).
- ``person_index``'s primary key on (person_id, kind, value): wide (a 64-character blind hash
  in each entry), at random places, about six per person; the rows of a person are written
  once, without duplicates (search.index_entries), and are only ever found by person to be
  removed (erasure, rotation, a correction): an index on person_id alone does that, and keeps
  a person's entries in one small posting list.
- ``events_event_id_key``: no statement finds an event by its id; the append makes a fresh
  random id for every event it inserts (shared/eventstore.py), so the constraint guarded
  nothing the append does not already ensure, at the cost of an entry per event at a random
  place of the index.

Revision ID: 0010
"""

from shared.migrations import run_sql

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    run_sql(
        """
        DROP INDEX person_details_by_arrival;
        CREATE INDEX person_index_by_person ON person_index (person_id);
        ALTER TABLE person_index DROP CONSTRAINT person_index_pkey;
        ALTER TABLE events DROP CONSTRAINT events_event_id_key;
        """
    )


def downgrade() -> None:
    run_sql(
        """
        ALTER TABLE events ADD CONSTRAINT events_event_id_key UNIQUE (event_id);
        ALTER TABLE person_index ADD PRIMARY KEY (person_id, kind, value);
        DROP INDEX person_index_by_person;
        CREATE INDEX person_details_by_arrival ON person_details (arrival_id, member_index);
        """
    )
