"""aid.events.v2: every published string is a code, an id or a date from a closed set.

On aid.events.v1 an offer's destination city (typed by the partner) travelled in
OfferPublished, and a donation's unit and a stock's id were strings without a closed form
(though the service only ever wrote the item's unit and '<site>:<item>'). On v2 the unit and
the stock id have one, and the city stays in aid: in the offer's OfferDetailsRecorded (never
published), beside the rest of the partner's words. The stored events move to v2 here, once,
then to the v2 topic as every service's do (``shared.schema_steps.events_v2_topic``).

Revision ID: 0006
"""

from shared.migrations import run_sql
from shared.schema_steps import events_v2_actors_checked, events_v2_topic

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    run_sql(
        """
        UPDATE events d SET data = d.data || jsonb_build_object('city', p.data -> 'city')
        FROM events p
        WHERE d.event_type = 'OfferDetailsRecorded' AND p.event_type = 'OfferPublished'
          AND p.stream_id = d.stream_id;
        UPDATE events SET data = data - 'city' WHERE event_type = 'OfferPublished';
        """
    )
    run_sql(events_v2_topic("aid") + events_v2_actors_checked())


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
