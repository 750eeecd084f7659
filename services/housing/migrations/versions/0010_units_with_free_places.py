"""Units with a free place, by shelter: a placement reads the shelters that have a free place,
and once the town is full those are a few, however many shelters there are. Before, every
placement joined every open shelter to its units (the Oral week's rented rooms and hosts'
homes are thousands of shelters of one unit each), so each arrival cost more than the last as
shelters opened. The statistics on the free places let the planner see how few units are free
and start from this index rather than from all shelters.

Revision ID: 0010
"""

from shared.migrations import run_sql

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    run_sql(
        "CREATE INDEX units_with_free_places ON units (shelter_id) "
        "WHERE places - held - occupied > 0"
    )
    run_sql("CREATE STATISTICS units_free_places ON (places - held - occupied) FROM units")


def downgrade() -> None:
    run_sql("DROP STATISTICS units_free_places")
    run_sql("DROP INDEX units_with_free_places")
