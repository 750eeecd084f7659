"""housing.events.v2: every published string is a code, an id or a date from a closed set.

On housing.events.v1 a shelter's name, its district, a unit's name (typed by operators and
host networks: a host's home may be named after the host) and the waitlist's reason (a
sentence) travelled as free text. On v2 none of the typed text is published: it is kept in
housing's own ShelterDescribed events (never published, services/housing/events.py), and the
waitlist's reason is a code. The stored events move to v2 here, once:

- each ShelterOpened, HostOfferMade and UnitAdded gets a ShelterDescribed appended to the end
  of its stream with the names and district it carried, which then leave it;
- languages keep only ISO 639-1 codes (a unit's were not checked before);
- each waitlist reason becomes its code, in the events and in the read models.

Every published event type starts v2 at schema_version 2 (so ``ce_type`` names the v2
shape, e.g. ``ArrivalRegistered.v2``). The relay starts again from the first event (its
checkpoint goes) and publishes the whole history on v2; consumers that read v1 skip what they
already handled by the event id (their inbox). Nothing is published on v1 any more.

Revision ID: 0007
"""

from shared.migrations import run_sql

revision = "0007"
down_revision = "0006"
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


#: the sentences housing wrote as a waitlist reason, and their codes
REASON_CODE = """CASE
    WHEN {0} ~ '^no open shelter has [0-9]+ fitting free places together$'
        THEN 'no_places_together'
    WHEN {0} = 'their host withdrew the offer' THEN 'offer_withdrawn'
    ELSE 'no_fitting_place' END"""


def _languages(unit: str) -> str:
    return (
        f"(SELECT coalesce(jsonb_agg(code), '[]') FROM jsonb_array_elements_text("
        f"coalesce(({unit}) -> 'languages', '[]')) AS code WHERE code ~ '^[a-z]{{2}}$')"
    )


def _published_unit(unit: str) -> str:
    return f"((({unit}) - 'name') || jsonb_build_object('languages', {_languages(unit)}))"


def _unit_name(unit: str) -> str:
    return f"jsonb_build_object('unit_id', ({unit}) -> 'unit_id', 'name', ({unit}) -> 'name')"


def upgrade() -> None:
    run_sql(
        f"""
        INSERT INTO events (stream_id, version, event_id, event_type, schema_version, data,
                            metadata)
        SELECT e.stream_id,
               last.version + row_number() OVER (PARTITION BY e.stream_id
                                                 ORDER BY e.global_position),
               gen_random_uuid(), 'ShelterDescribed', 1,
               jsonb_strip_nulls(jsonb_build_object(
                   'type', 'ShelterDescribed', 'schema_version', 1,
                   'actor', e.data -> 'actor', 'occurred_at', e.data -> 'occurred_at',
                   'shelter_id', e.data -> 'shelter_id',
                   'name', e.data -> 'name', 'district', e.data -> 'district'))
               || jsonb_build_object('unit_names', CASE e.event_type
                   WHEN 'ShelterOpened' THEN (
                       SELECT coalesce(jsonb_agg({_unit_name("u")}), '[]')
                       FROM jsonb_array_elements(e.data -> 'units') AS u)
                   ELSE jsonb_build_array({_unit_name("e.data -> 'unit'")}) END),
               e.metadata
        FROM events e
        JOIN (SELECT stream_id, max(version) AS version FROM events GROUP BY stream_id) last
            USING (stream_id)
        WHERE e.event_type IN ('ShelterOpened', 'HostOfferMade', 'UnitAdded')
        ORDER BY e.global_position;

        UPDATE events SET data = (data - 'name' - 'district') || jsonb_build_object('units', (
            SELECT coalesce(jsonb_agg({_published_unit("u")}), '[]')
            FROM jsonb_array_elements(data -> 'units') AS u))
        WHERE event_type = 'ShelterOpened';
        UPDATE events SET data = (data - 'district')
            || jsonb_build_object('unit', {_published_unit("data -> 'unit'")})
        WHERE event_type IN ('HostOfferMade', 'UnitAdded');

        UPDATE events SET data = data || jsonb_build_object(
            'reason', {REASON_CODE.format("data ->> 'reason'")})
        WHERE event_type = 'PersonWaitlisted';
        UPDATE placements SET reason = {REASON_CODE.format("reason")}
            WHERE status = 'waiting' AND reason IS NOT NULL;
        UPDATE placement_history SET reason = {REASON_CODE.format("reason")}
            WHERE what = 'waitlisted' AND reason IS NOT NULL;

        UPDATE events SET topic = 'housing.events.v2', schema_version = 2,
            data = data || jsonb_build_object('schema_version', 2)
        WHERE topic = 'housing.events.v1';
        DELETE FROM outbox_checkpoint;
        """
        + refuse_if("data ->> 'actor' !~ '" + ACTOR + "'", "an actor")
        + refuse_if(
            "coalesce(data ->> 'partner_id', data ->> 'contact_partner_id', 'p1') !~ '"
            + PARTNER_ID
            + "'",
            "a partner id",
        )
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
