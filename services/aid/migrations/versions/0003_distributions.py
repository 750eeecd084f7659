"""Idempotency keys; item rules, stock, distributions, daily totals and support read models.

Revision ID: 0003
"""

from shared.migrations import run_sql
from shared.schema_steps import idempotency_keys_v1

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    run_sql(idempotency_keys_v1())
    _beneficiaries_vulnerable()
    _item_rules_and_stock()
    _issues_and_daily_totals()
    _support_requests()
    _support_offers_and_matches()


def _beneficiaries_vulnerable() -> None:
    """Beneficiaries learn whether they are vulnerable, and are found by household."""
    run_sql(
        """
        ALTER TABLE beneficiaries ADD COLUMN vulnerable boolean NOT NULL DEFAULT false;
        CREATE INDEX beneficiaries_household ON beneficiaries (arrival_id);
        """
    )


def _item_rules_and_stock() -> None:
    """The rules of each item, the stock at each site and its movements."""
    run_sql(
        """
        CREATE TABLE item_rules (
            item text PRIMARY KEY,
            per text NOT NULL,
            max_per_day integer,
            min_interval_hours integer NOT NULL,
            residents_only boolean NOT NULL,
            vulnerable_first boolean NOT NULL,
            total_cap integer,
            low_stock_level integer NOT NULL,
            set_at timestamptz NOT NULL
        );
        CREATE TABLE stock (
            site_id text NOT NULL,
            item text NOT NULL,
            quantity integer NOT NULL CHECK (quantity >= 0),
            lots jsonb NOT NULL,
            earliest_expiry date,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (site_id, item)
        );
        CREATE TABLE stock_movements (
            stream_id text NOT NULL,
            version integer NOT NULL,
            site_id text NOT NULL,
            item text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('donation', 'transfer_in', 'transfer_out',
                                               'write_off', 'issue')),
            quantity integer NOT NULL,
            reference_id uuid NOT NULL,
            other_site_id text,
            donor_kind text,
            reason text,
            expires_on date,
            occurred_at timestamptz NOT NULL,
            PRIMARY KEY (stream_id, version)
        );
        CREATE INDEX stock_movements_site_item ON stock_movements (site_id, item, occurred_at);
        """
    )


def _issues_and_daily_totals() -> None:
    """What was issued to whom, and each day's totals per site and item."""
    run_sql(
        """
        CREATE TABLE issues (
            issue_id uuid PRIMARY KEY,
            person_id uuid NOT NULL,
            household_id uuid,
            item text NOT NULL,
            quantity integer NOT NULL,
            site_id text NOT NULL,
            issued_at timestamptz NOT NULL,
            day date NOT NULL
        );
        CREATE INDEX issues_person ON issues (person_id, issued_at);
        CREATE INDEX issues_household ON issues (household_id, issued_at)
            WHERE household_id IS NOT NULL;
        CREATE INDEX issues_day ON issues (day, site_id, item);
        CREATE TABLE daily_totals (
            day date NOT NULL,
            site_id text NOT NULL,
            item text NOT NULL,
            issued integer NOT NULL DEFAULT 0,
            distributions integer NOT NULL DEFAULT 0,
            people integer NOT NULL DEFAULT 0,
            received integer NOT NULL DEFAULT 0,
            transferred_in integer NOT NULL DEFAULT 0,
            transferred_out integer NOT NULL DEFAULT 0,
            written_off integer NOT NULL DEFAULT 0,
            PRIMARY KEY (day, site_id, item)
        );
        """
    )


def _support_requests() -> None:
    """Requests for onward travel and job search."""
    run_sql(
        """
        CREATE TABLE support_requests (
            request_id uuid PRIMARY KEY,
            person_id uuid NOT NULL,
            kind text NOT NULL,
            status text NOT NULL CHECK (status IN ('open', 'matched', 'done', 'withdrawn')),
            destination_country text,
            destination_city text,
            documents_held text[] NOT NULL DEFAULT '{}',
            wanted_on date,
            profession text,
            skills text[] NOT NULL DEFAULT '{}',
            languages text[] NOT NULL DEFAULT '{}',
            work_countries text[] NOT NULL DEFAULT '{}',
            remote_ok boolean NOT NULL DEFAULT false,
            note text,
            requested_at timestamptz NOT NULL,
            closed_at timestamptz,
            withdrawn_reason text
        );
        CREATE INDEX support_requests_open ON support_requests (kind, requested_at)
            WHERE status = 'open';
        CREATE INDEX support_requests_person ON support_requests (person_id);
        """
    )


def _support_offers_and_matches() -> None:
    """Partners' offers and the matches between requests and offers."""
    run_sql(
        """
        CREATE TABLE support_offers (
            offer_id uuid PRIMARY KEY,
            kind text NOT NULL,
            status text NOT NULL CHECK (status IN ('open', 'full', 'withdrawn')),
            country text,
            city text,
            profession text,
            skills text[] NOT NULL,
            languages text[] NOT NULL,
            places integer NOT NULL,
            places_taken integer NOT NULL DEFAULT 0 CHECK (places_taken BETWEEN 0 AND places),
            partner text,
            title text,
            description text,
            contact text,
            available_until date,
            published_at timestamptz NOT NULL,
            withdrawn_at timestamptz
        );
        CREATE INDEX support_offers_open ON support_offers (kind, published_at)
            WHERE status = 'open';
        CREATE TABLE support_matches (
            match_id uuid PRIMARY KEY,
            request_id uuid NOT NULL,
            offer_id uuid NOT NULL,
            basis text NOT NULL,
            status text NOT NULL CHECK (status IN ('proposed', 'accepted', 'done', 'withdrawn')),
            proposed_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            withdrawn_reason text
        );
        CREATE INDEX support_matches_request ON support_matches (request_id);
        CREATE INDEX support_matches_offer ON support_matches (offer_id);
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
