"""An arrival's first statement: the caller's key checked again, its idempotency key claimed,
its crossing point checked, and every person looked up for possible duplicates, with whether
the registering partner may know of each one found; one round trip for a group as for one
person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import asyncpg

from services.intake.known_keys import still_valid
from services.intake.partners import Partner
from services.intake.requests import ArrivalRequest
from services.intake.search import lookup_entries
from services.intake.vault import IndexEntries, Vault
from shared.statement import Write, compose, rows_json

DuplicateRule = Literal["same_document", "same_name_and_birth_date"]
RULES: dict[str, DuplicateRule] = {
    "document": "same_document",
    "name_dob": "same_name_and_birth_date",
}


def readable_rule(person: str, operator: str, partner: str) -> str:
    """Whether a partner may know that ``person`` exists: its own registrations and persons who
    agreed to share with it (operators: all). The one rule for reading a person and for naming
    a possible duplicate in an answer, so that neither is an oracle for another partner's
    cases. The arguments are SQL: a column, and the operator flag and partner id parameters.
    OFFSET 0 keeps each inner EXISTS a probe of its row: without it the planner may hash every
    case of the partner for one statement, a cost that grows with the partner's cases."""
    return f"""EXISTS (
        SELECT 1 FROM case_members m
        WHERE m.person_id = {person} AND ({operator}
            OR EXISTS (SELECT 1 FROM cases c
                       WHERE c.arrival_id = m.arrival_id AND c.partner_id = {partner} OFFSET 0)
            OR EXISTS (SELECT 1 FROM consents s
                       WHERE s.person_id = m.person_id AND s.given
                       AND s.purpose = 'sharing_with_partner' AND s.partner_id = {partner}
                       OFFSET 0)))"""


#: at most this many people found per lookup key (a document, a name with a birth date): a
#: pair of records is a review for an operator, and beyond a few dozen people sharing a name
#: and a birth date nobody reviews them. Unbounded, every registration of such a name would
#: record a flag against each earlier one, a cost growing with their number (1,980 rows of
#: one name imported: 1.65 million flags), which any partner could set off on purpose
CANDIDATES_PER_KEY = 20


# the people of this arrival are not indexed yet: nothing found can be one of them.
# Each key is one probe of person_index_lookup, and LIMIT keeps that probe a subquery of
# its own: a join would let the plan cached on a fresh, never analysed table hash the whole
# index table for every arrival instead (seen: 3-11 ms at 12,000 entries, growing); a loop of
# probes is the cheaper plan at any size the planner may assume.
# The keys come as one jsonb array, whose length the planner never sees (it assumes 100
# rows), and the operator's rule is written in, not a parameter: the plan of a custom call is
# then no cheaper than the generic one, which the connection keeps and stops planning; with
# arrays, each call was planned anew for the length of its arrays (0.3-0.9 ms of Postgres CPU
# per arrival).
def _found(operator: bool) -> str:
    readable = readable_rule("i.person_id", "true" if operator else "false", "{1}")
    return f"""
SELECT DISTINCT e.member, i.person_id, i.kind, {readable} AS readable
FROM jsonb_to_recordset({{0}}::jsonb) AS e(member int, kind text, value text)
CROSS JOIN LATERAL (
    SELECT person_id, kind FROM person_index
    WHERE person_index.kind = e.kind AND person_index.value = e.value
    LIMIT {CANDIDATES_PER_KEY}
) AS i
JOIN person_details d USING (person_id)
"""


_FOUND = {operator: _found(operator) for operator in (False, True)}

_ADMISSION = """
SELECT (SELECT still_valid FROM caller) AS authorised,
       EXISTS (SELECT FROM claimed) AS claimed,
       EXISTS (SELECT FROM crossing_points WHERE code = {0}) AS listed,
       coalesce((SELECT array_agg(member ORDER BY member, person_id, kind) FROM found), '{{}}')
           AS members,
       (SELECT array_agg(person_id ORDER BY member, person_id, kind) FROM found) AS person_ids,
       (SELECT array_agg(kind ORDER BY member, person_id, kind) FROM found) AS kinds,
       (SELECT array_agg(readable ORDER BY member, person_id, kind) FROM found) AS readable
"""


@dataclass(frozen=True)
class Found:
    """A registered person a new one may duplicate, and whether the partner may know of them."""

    person_id: UUID
    rule: DuplicateRule
    readable: bool


@dataclass(frozen=True)
class Admission:
    #: the caller's API key still authenticates this partner (known_keys.py); if not, the
    #: transaction must be rolled back (the key's claim with it)
    authorised: bool
    #: the key was new: go on (else the request was handled, see Claim.earlier_answer)
    claimed: bool
    #: the crossing point is on the list
    listed: bool
    #: per member (by index), the possible duplicates, by person id and rule
    duplicates: dict[int, list[Found]]


async def admit(
    conn: asyncpg.Connection,
    vault: Vault,
    partner: Partner,
    request: ArrivalRequest,
    claiming: Write,
    indexed: Sequence[IndexEntries],
) -> Admission:
    """``claiming``: the idempotency key's claim (shared.idempotency.Claim.write); ``indexed``:
    each member's blind index entries under the current master key version."""
    entries = [
        (index, kind, value)
        for index, (details, current) in enumerate(zip(request.members, indexed, strict=True))
        for kind, value in lookup_entries(vault, details, current)
        if kind != "name"
    ]
    keys = rows_json(("member", "kind", "value"), entries)
    found = Write(_FOUND[partner.is_operator], (keys, partner.partner_id))
    sql, args = compose(
        [("claimed", claiming), ("found", found), ("caller", still_valid(partner))],
        Write(_ADMISSION, (request.crossing_point,)),
    )
    row = await conn.fetchrow(sql, *args)
    duplicates: dict[int, list[Found]] = {}
    for member, person_id, kind, readable in zip(
        row["members"], row["person_ids"] or (), row["kinds"] or (), row["readable"] or (),
        strict=True,
    ):  # fmt: skip
        duplicates.setdefault(member, []).append(Found(person_id, RULES[kind], readable))
    return Admission(row["authorised"], row["claimed"], row["listed"], duplicates)
