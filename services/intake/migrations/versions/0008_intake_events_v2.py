"""intake.events.v2: every published string is a code, an id or a date from a closed set.

On intake.events.v1 an arrival's ``crossing_point`` was free text (80 characters) until the
managed list came (0006), and only then had a code beside it. On v2 ``crossing_point`` is the
code and nothing else. The stored events move to v2 here, once:

- an arrival that had a code keeps it as ``crossing_point``;
- one registered before the list whose text is a listed code (in any case) takes that code;
- any other text becomes an entry of the list (code ``before-list-`` and 8 hex digits of its
  MD5, name the text as typed, added by 'migration'), so the place stays countable and the
  text stays in intake's own table, off the topic.

Then the stored events move to the v2 topic as every service's do
(``shared.schema_steps.events_v2_topic``). Intake no longer keeps shelter and unit names:
housing.events.v2 carries none. A new partner's id must be of the form the topics accept
(partner ids registered before are not checked again).

Revision ID: 0008
"""

from shared.migrations import run_sql
from shared.schema_steps import (
    events_v2_actors_checked,
    events_v2_partner_ids_checked,
    events_v2_topic,
)

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    run_sql(
        r"""
        CREATE TEMPORARY TABLE legacy_crossing_points ON COMMIT DROP AS
            SELECT DISTINCT data ->> 'crossing_point' AS typed FROM events
            WHERE event_type = 'ArrivalRegistered'
              AND coalesce(data ->> 'crossing_point_code', '') = '';
        ALTER TABLE legacy_crossing_points ADD COLUMN code text;
        UPDATE legacy_crossing_points l SET code = coalesce(
            (SELECT c.code FROM crossing_points c WHERE c.code = lower(btrim(l.typed))),
            'before-list-' || substr(md5(l.typed), 1, 8));
        INSERT INTO crossing_points (code, name, added_by)
            SELECT code, left(typed, 200), 'migration' FROM legacy_crossing_points
            ON CONFLICT (code) DO NOTHING;

        UPDATE events e SET data = (e.data - 'crossing_point_code') || jsonb_build_object(
            'crossing_point', coalesce(
                nullif(e.data ->> 'crossing_point_code', ''),
                (SELECT l.code FROM legacy_crossing_points l
                 WHERE l.typed = e.data ->> 'crossing_point')))
        WHERE e.event_type = 'ArrivalRegistered';
        UPDATE cases c SET crossing_point = l.code
            FROM legacy_crossing_points l WHERE c.crossing_point = l.typed;
        """
    )
    run_sql(
        events_v2_topic("intake")
        + """ALTER TABLE partners ADD CONSTRAINT partner_id_is_a_code
            CHECK (partner_id ~ '^[a-z0-9][a-z0-9-]{1,62}$') NOT VALID;
        DROP TABLE shelter_names;
        DROP TABLE unit_names;
        """
        + events_v2_actors_checked()
        + events_v2_partner_ids_checked("coalesce(data ->> 'partner_id', 'p1')")
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
