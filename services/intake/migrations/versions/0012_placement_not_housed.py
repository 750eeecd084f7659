"""A person housing forgot (their consent to housing withdrawn) is shown as not housed, with
no place, instead of keeping the place they had (services/intake/placements.py).

Revision ID: 0012
"""

from shared.migrations import run_sql

revision = "0012"
down_revision = "0011"

_STATUSES = "'waiting', 'held', 'checked_in', 'released'"


def upgrade() -> None:
    run_sql(
        "ALTER TABLE arrival_placements DROP CONSTRAINT arrival_placements_status_check, "
        "ADD CONSTRAINT arrival_placements_status_check "
        f"CHECK (status IN ({_STATUSES}, 'not_housed'));"
    )


def downgrade() -> None:
    # the older code knows no such status: such a person shows as having given up the place
    run_sql("UPDATE arrival_placements SET status = 'released' WHERE status = 'not_housed';")
    run_sql(
        "ALTER TABLE arrival_placements DROP CONSTRAINT arrival_placements_status_check, "
        f"ADD CONSTRAINT arrival_placements_status_check CHECK (status IN ({_STATUSES}));"
    )
