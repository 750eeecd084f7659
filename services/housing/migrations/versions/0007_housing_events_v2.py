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

Then the stored events move to the v2 topic as every service's do
(``shared.schema_steps.events_v2_topic``).

Revision ID: 0007
"""

from shared.migrations import run_sql
from shared.schema_steps import (
    events_v2_actors_checked,
    events_v2_partner_ids_checked,
    events_v2_topic,
)

revision = "0007"
down_revision = "0006"

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
        """
    )
    run_sql(
        events_v2_topic("housing")
        + events_v2_actors_checked()
        + events_v2_partner_ids_checked(
            "coalesce(data ->> 'partner_id', data ->> 'contact_partner_id', 'p1')"
        )
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
