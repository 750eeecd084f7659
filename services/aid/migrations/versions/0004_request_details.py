"""Free text about a person leaves the event store: what a support request says beyond its kind
and country is kept in support_request_details (deleted when the person is erased), and stored
requests list the ids they carried (and lose their unkeyed fingerprints).

The details that earlier requests wrote into SupportRequestDetailsRecorded events are moved to
the new table and those events deleted: the only edit of recorded events, made once, so that
an erasure can reach what they said (the events were aid's own, never published).

Revision ID: 0004
"""

from shared.migrations import run_sql
from shared.schema_steps import idempotency_keys_v2

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    run_sql(
        idempotency_keys_v2()
        + """
        CREATE TABLE support_request_details (
            request_id uuid PRIMARY KEY,
            person_id uuid NOT NULL,
            destination_city text,
            documents_held text[] NOT NULL DEFAULT '{}',
            wanted_on date,
            profession text,
            skills text[] NOT NULL DEFAULT '{}',
            languages text[] NOT NULL DEFAULT '{}',
            work_countries text[] NOT NULL DEFAULT '{}',
            remote_ok boolean NOT NULL DEFAULT false,
            note text
        );
        CREATE INDEX support_request_details_person ON support_request_details (person_id);
        INSERT INTO support_request_details
            SELECT d.stream_id::uuid, (r.data ->> 'person_id')::uuid,
                   d.data ->> 'destination_city',
                   ARRAY(SELECT jsonb_array_elements_text(d.data -> 'documents_held')),
                   (d.data ->> 'wanted_on')::date, d.data ->> 'profession',
                   ARRAY(SELECT jsonb_array_elements_text(d.data -> 'skills')),
                   ARRAY(SELECT jsonb_array_elements_text(d.data -> 'languages')),
                   ARRAY(SELECT jsonb_array_elements_text(d.data -> 'work_countries')),
                   coalesce((d.data ->> 'remote_ok')::boolean, false), d.data ->> 'note'
            FROM events d JOIN events r
                 ON r.stream_id = d.stream_id AND r.event_type = 'SupportRequested'
            WHERE d.event_type = 'SupportRequestDetailsRecorded';
        DELETE FROM events WHERE event_type = 'SupportRequestDetailsRecorded';
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
