"""Erased persons are remembered by id: an erasure may reach housing before the arrival that
names the person (the topic is keyed by arrival, the erasure by person), and that arrival must
not place them. Only the id and when; nothing else of the person.

Revision ID: 0006
"""

from shared.migrations import run_sql
from shared.schema_steps import erased_persons_v1

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    run_sql(erased_persons_v1())


def downgrade() -> None:
    raise NotImplementedError("an erasure cannot be undone; restore from a backup instead")
