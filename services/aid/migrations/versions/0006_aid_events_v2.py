"""aid.events.v2: every published string is a code, an id or a date from a closed set.

On aid.events.v1 an offer's destination city (typed by the partner) travelled in
OfferPublished, and a donation's unit and a stock's id were strings without a closed form
(though the service only ever wrote the item's unit and '<site>:<item>'). On v2 the unit and
the stock id have one, and the city stays in aid: in the offer's OfferDetailsRecorded (never
published), beside the rest of the partner's words. The stored events move to v2 here, once.

Every published event type starts v2 at schema_version 2 (so ``ce_type`` names the v2
shape, e.g. ``ArrivalRegistered.v2``). The relay starts again from the first event (its
checkpoint goes) and publishes the whole history on v2; consumers that read v1 skip what they
already handled by the event id (their inbox). Nothing is published on v1 any more.

Revision ID: 0006
"""

from shared.migrations import run_sql

revision = "0006"
down_revision = "0005"
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
        """
        UPDATE events d SET data = d.data || jsonb_build_object('city', p.data -> 'city')
        FROM events p
        WHERE d.event_type = 'OfferDetailsRecorded' AND p.event_type = 'OfferPublished'
          AND p.stream_id = d.stream_id;
        UPDATE events SET data = data - 'city' WHERE event_type = 'OfferPublished';

        UPDATE events SET topic = 'aid.events.v2', schema_version = 2,
            data = data || jsonb_build_object('schema_version', 2)
        WHERE topic = 'aid.events.v1';
        DELETE FROM outbox_checkpoint;
        """
        + refuse_if("data ->> 'actor' !~ '" + ACTOR + "'", "an actor")
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
