"""A new offer or request is matched against only the few open ones that can be among its best:
the database looks them up by kind, destination and city, in the order the matching rule
breaks ties in. Read in full, every new offer read every open request (and every request every
open offer), so each cost more the more people the town had helped: in the Oral week the
morning's offers took 13.5 times as long for 300,000 people as for 100,000.

The city is compared case folded (``services.aid.domain.matching.place_key``), which Postgres
cannot compute, so the key is kept beside the city: in the request's details (deleted with
the person, as the city is) and in the read models. Existing rows get theirs here.

Revision ID: 0008
"""

from alembic import op
from sqlalchemy import text

from shared.migrations import run_sql

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    run_sql(
        """
        ALTER TABLE support_request_details ADD COLUMN destination_city_key text;
        ALTER TABLE support_requests ADD COLUMN destination_city_key text;
        ALTER TABLE support_offers ADD COLUMN city_key text;
        CREATE INDEX support_requests_open_by_city ON support_requests
            (destination_country, destination_city_key, requested_at, request_id)
            WHERE status = 'open' AND kind = 'onward_travel';
        CREATE INDEX support_requests_open_by_country ON support_requests
            (destination_country, requested_at, request_id)
            WHERE status = 'open' AND kind = 'onward_travel';
        CREATE INDEX support_requests_open_no_city ON support_requests
            (destination_country, requested_at, request_id)
            WHERE status = 'open' AND kind = 'onward_travel' AND destination_city_key IS NULL;
        CREATE INDEX support_requests_open_work ON support_requests (profession)
            WHERE status = 'open' AND kind = 'job_search';
        CREATE INDEX support_offers_open_by_city ON support_offers
            (country, city_key, published_at, offer_id)
            WHERE status = 'open' AND kind IN ('ride', 'ticket');
        CREATE INDEX support_offers_open_by_country ON support_offers
            (country, published_at, offer_id)
            WHERE status = 'open' AND kind IN ('ride', 'ticket');
        CREATE INDEX support_offers_open_no_city ON support_offers
            (country, published_at, offer_id)
            WHERE status = 'open' AND kind IN ('ride', 'ticket') AND city_key IS NULL;
        """
    )
    bind = op.get_bind()
    for table, key, column, city in (
        ("support_request_details", "request_id", "destination_city_key", "destination_city"),
        ("support_requests", "request_id", "destination_city_key", "destination_city"),
        ("support_offers", "offer_id", "city_key", "city"),
    ):
        cities = bind.execute(text(f"SELECT {key}, {city} FROM {table} WHERE {city} <> ''"))
        keyed = [{"id": row[0], "key": row[1].casefold()} for row in cities]
        if keyed:
            bind.execute(text(f"UPDATE {table} SET {column} = :key WHERE {key} = :id"), keyed)


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
