"""Those waiting, by arrival: a freed place is offered to the head of the waitlist, read
through the index on (priority, since), and the rest of a group that keeps together is found
through this one, so that offering a place reads a few hundred rows however long the waitlist
has grown (it read all of it, sixty thousand rows at the end of the Oral week, for every
departure that freed a place).

Revision ID: 0009
"""

from shared.migrations import run_sql

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    run_sql(
        "CREATE INDEX placements_waiting_by_arrival ON placements (arrival_id) "
        "WHERE status = 'waiting'"
    )


def downgrade() -> None:
    run_sql("DROP INDEX placements_waiting_by_arrival")
