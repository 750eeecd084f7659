"""intake.events.v2: every published string is a code, an id or a date from a closed set.

On intake.events.v1 an arrival's ``crossing_point`` was free text (80 characters) until the
managed list came (0006), and only then had a code beside it. On v2 ``crossing_point`` is the
code and nothing else. The stored events move to v2 here, once:

- an arrival that had a code keeps it as ``crossing_point``;
- one registered before the list whose text is a listed code (in any case) takes that code;
- any other text becomes an entry of the list (code ``before-list-`` and 8 hex digits of its
  MD5, name the text as typed, added by 'migration'), so the place stays countable and the
  text stays in intake's own table, off the topic.

Every published event type starts v2 at schema_version 2 (so ``ce_type`` names the v2
shape, e.g. ``ArrivalRegistered.v2``). The relay starts again from the first event (its
checkpoint goes) and publishes the whole history on v2; consumers that read v1 skip what they
already handled by the event id (their inbox). Nothing is published on v1 any more. Intake
no longer keeps shelter and unit names: housing.events.v2 carries none. A new partner's id must
be of the form the topics accept (partner ids registered before are not checked again).

Revision ID: 0008
"""

from shared.migrations import run_sql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: the forms the v2 topics accept, as this revision wrote them (a frozen copy)
ACTOR = (
    "^(operator|service:(intake|housing|aid)"
    "|partner:[a-z0-9][a-z0-9-]{1,62}"
    "(/device:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?"
    "|site:[a-z0-9][a-z0-9-]{0,62})$"
)
PARTNER_ID = "^[a-z0-9][a-z0-9-]{1,62}$"


def refuse_if(condition: str, what: str) -> str:
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

        UPDATE events SET topic = 'intake.events.v2', schema_version = 2,
            data = data || jsonb_build_object('schema_version', 2)
        WHERE topic = 'intake.events.v1';
        DELETE FROM outbox_checkpoint;
        ALTER TABLE partners ADD CONSTRAINT partner_id_is_a_code
            CHECK (partner_id ~ '^[a-z0-9][a-z0-9-]{1,62}$') NOT VALID;
        DROP TABLE shelter_names;
        DROP TABLE unit_names;
        """
        + refuse_if("data ->> 'actor' !~ '" + ACTOR + "'", "an actor")
        + refuse_if("coalesce(data ->> 'partner_id', 'p1') !~ '" + PARTNER_ID + "'", "a partner id")
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
