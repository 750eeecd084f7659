"""Each waiting person's party (how many of their arrival wait to be placed together, they
included), and the waitlist's index by party size. A place freed for a few people read the
waitlist's head in order and counted each group's people row by row to pass over the groups
too big for it; once the head was groups waiting for room together, each freed place read all
of them (in the Oral week at 30,000 people, 20 ms a read by its end, and growing with the
waitlist). Now the parties that fit are read by their size, through this index, however many
groups wait ahead of them. Placements are read by arrival when a group's wait starts or ends,
to count its party again.

Revision ID: 0011
"""

from shared.migrations import run_sql

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    run_sql("ALTER TABLE placements ADD COLUMN party integer NOT NULL DEFAULT 1")
    run_sql(
        """
        UPDATE placements AS p SET party = together.people
        FROM (SELECT arrival_id, count(*) AS people FROM placements
              WHERE status = 'waiting' AND keep_together GROUP BY arrival_id) AS together
        WHERE p.arrival_id = together.arrival_id AND p.status = 'waiting' AND p.keep_together
        """
    )
    run_sql("CREATE INDEX placements_by_arrival ON placements (arrival_id)")
    run_sql(
        "CREATE INDEX placements_waiting_by_party "
        "ON placements (priority, party, since) WHERE status = 'waiting'"
    )


def downgrade() -> None:
    run_sql("DROP INDEX placements_waiting_by_party")
    run_sql("DROP INDEX placements_by_arrival")
    run_sql("ALTER TABLE placements DROP COLUMN party")
