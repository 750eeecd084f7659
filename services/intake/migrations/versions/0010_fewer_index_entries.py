"""Fewer index entries per arrival. Every entry is written, WAL-logged and flushed at commit by
the arrival that adds it; none of the three dropped here served a query.

Revision ID: 0010
"""

from shared.migrations import run_sql

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    run_sql(
        # Nothing reads person details by arrival: a case's members are found through
        # case_members_by_arrival, then each one's details by person.
        "DROP INDEX person_details_by_arrival;\n"
        # person_index's primary key (person_id, kind, value) was wide (a 64-character blind
        # hash per entry) and written at random places, about six per person. A person's rows
        # are written once without repeats (search.index_entries) and only ever found by person
        # to be removed (erasure, rotation, a correction): an index on person_id does that.
        "CREATE INDEX person_index_by_person ON person_index (person_id);\n"
        "ALTER TABLE person_index DROP CONSTRAINT person_index_pkey;\n"
        # No statement finds an event by its id, and the append makes a fresh random id for
        # every event it inserts (shared/eventstore.py): the constraint guarded nothing the
        # append does not ensure, at the cost of an entry per event at a random place.
        "ALTER TABLE events DROP CONSTRAINT events_event_id_key;\n"
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
