"""Crossing points as a managed list: arrivals name a code from it, and only the code is
published. Seeded with the crossing points at Oral (and the codes the demo, the tests and the
benchmarks use); operators add more with POST /v1/crossing-points.

Revision ID: 0006
"""

from shared.migrations import run_sql

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    run_sql(
        """
        CREATE TABLE crossing_points (
            code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
            name text NOT NULL,
            added_at timestamptz NOT NULL DEFAULT now(),
            added_by text NOT NULL
        );
        INSERT INTO crossing_points (code, name, added_by) VALUES
            ('syrym', 'Syrym (Mashtakovo), road', 'migration'),
            ('taskala', 'Taskala, road', 'migration'),
            ('zhanibek', 'Zhanibek, road', 'migration'),
            ('kos-aral', 'Kos-Aral', 'migration'),
            ('oral-railway', 'Oral railway station', 'migration'),
            ('oral-airport', 'Oral airport', 'migration'),
            ('ural-air', 'Oral airport, Ural air flights', 'migration');
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only; restore from a backup instead")
