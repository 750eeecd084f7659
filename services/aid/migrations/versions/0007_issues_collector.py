"""Whether a person collected an item at a site on a day (the day's totals count people once)
is looked up by the person: the index by (day, site, item) made every distribution read all
of the site's issues of that day, so each cost more the more people the site had served.

Revision ID: 0007
"""

from shared.migrations import run_sql

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    run_sql("CREATE INDEX issues_collector ON issues (person_id, day, site_id, item);")


def downgrade() -> None:
    run_sql("DROP INDEX issues_collector;")
