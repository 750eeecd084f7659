"""Units with attributes, holds and check-ins, host offers, placement history.

The first revisions' read models knew only beds; they are rebuilt from here (pre-release).

Revision ID: 0003
"""

from shared.migrations import run_sql

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    _shelters_and_units()
    _placements()


def _shelters_and_units() -> None:
    """The bed-only placements and shelters dropped; shelters again, with the units that hold
    their places."""
    run_sql(
        """
        DROP TABLE placements;
        DROP TABLE shelters;
        CREATE TABLE shelters (
            shelter_id uuid PRIMARY KEY,
            name text NOT NULL,
            kind text NOT NULL,
            district text NOT NULL,
            status text NOT NULL CHECK (status IN ('offered', 'open', 'closed', 'withdrawn')),
            contact_partner_id text,
            host_partner_id text,
            max_nights integer,
            available_from date,
            available_until date,
            opened_at timestamptz NOT NULL
        );
        CREATE TABLE units (
            unit_id uuid PRIMARY KEY,
            shelter_id uuid NOT NULL REFERENCES shelters (shelter_id),
            name text NOT NULL,
            places integer NOT NULL,
            attributes text[] NOT NULL,
            languages text[] NOT NULL,
            held integer NOT NULL DEFAULT 0,
            occupied integer NOT NULL DEFAULT 0,
            -- never more people in a unit than its places
            CHECK (held >= 0 AND occupied >= 0 AND held + occupied <= places)
        );
        CREATE INDEX units_by_shelter ON units (shelter_id);
        """
    )


def _placements() -> None:
    """Placements by person, one person per place, and their history."""
    run_sql(
        """
        CREATE TABLE placements (
            person_id uuid PRIMARY KEY,
            arrival_id uuid,
            status text NOT NULL CHECK (status IN ('held', 'checked_in', 'waiting',
                'checked_out', 'departed', 'merged', 'released', 'moving', 'no_show')),
            shelter_id uuid,
            unit_id uuid,
            bed_number integer,
            hold_until timestamptz,
            checked_in_at timestamptz,
            reason text,
            since timestamptz NOT NULL,
            correlation_id text NOT NULL,
            keep_together boolean NOT NULL DEFAULT false,
            priority boolean NOT NULL DEFAULT false,
            needs_accessible boolean NOT NULL DEFAULT false,
            needs_family boolean NOT NULL DEFAULT false,
            all_women boolean NOT NULL DEFAULT false
        );
        -- a place holds one person
        CREATE UNIQUE INDEX placements_one_person_per_place ON placements (unit_id, bed_number)
            WHERE status IN ('held', 'checked_in');
        CREATE INDEX placements_waiting ON placements (priority, since) WHERE status = 'waiting';
        CREATE INDEX placements_held ON placements (hold_until) WHERE status = 'held';
        CREATE TABLE placement_history (
            person_id uuid NOT NULL,
            position bigint NOT NULL,
            at timestamptz NOT NULL,
            what text NOT NULL,
            shelter_id uuid,
            unit_id uuid,
            bed_number integer,
            reason text,
            PRIMARY KEY (person_id, position, what)
        );
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
