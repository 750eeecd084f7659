"""The field app: device keys (one per volunteer's phone, issued by its partner, revocable
alone), and where housing placed each registered person (from housing.events.v1), so that the
registering partner sees the placement of its own arrivals.

Revision ID: 0007
"""

from shared.migrations import run_sql

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    run_sql(
        """
        CREATE TABLE devices (
            device_id uuid PRIMARY KEY,
            partner_id text NOT NULL REFERENCES partners (partner_id),
            label text NOT NULL,
            key_hash text NOT NULL UNIQUE,
            issued_by text NOT NULL,
            issued_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        );
        CREATE INDEX devices_by_partner ON devices (partner_id, issued_at);
        CREATE TABLE shelter_names (
            shelter_id uuid PRIMARY KEY,
            name text NOT NULL
        );
        CREATE TABLE unit_names (
            unit_id uuid PRIMARY KEY,
            name text NOT NULL
        );
        CREATE TABLE arrival_placements (
            person_id uuid PRIMARY KEY,
            arrival_id uuid NOT NULL,
            status text NOT NULL CHECK (status IN ('waiting', 'held', 'checked_in', 'released')),
            shelter_id uuid,
            unit_id uuid,
            bed_number integer,
            hold_until timestamptz
        );
        CREATE INDEX arrival_placements_by_arrival ON arrival_placements (arrival_id);
        """
    )


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
