"""Intake's reads: cases and persons as a partner (or an operator) may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from services.intake.admission import readable_rule
from services.intake.events import PersonalDetailsCorrected
from services.intake.partners import Partner
from services.intake.search import details_of, name_terms, normalised_document
from services.intake.vault import Vault
from shared.eventstore import EventStore

Grouping = Literal["day", "crossing_point", "partner"]
_GROUP_COLUMN: dict[Grouping, str] = {
    "day": "c.arrival_date::text",
    "crossing_point": "c.crossing_point",
    "partner": "c.partner_id",
}


async def readable_by(
    conn: asyncpg.Connection, partner: Partner, person_ids: list[UUID]
) -> set[UUID]:
    """Of ``person_ids``, those a partner may know exist: its own registrations and persons
    who agreed to share with it (operators: all). The one rule for reading a person and for
    naming a possible duplicate in an answer, so that neither is an oracle for another
    partner's cases."""
    if not person_ids:
        return set()
    rows = await conn.fetch(
        f"SELECT person_id FROM unnest($1::uuid[]) AS asked (person_id) "
        f"WHERE {readable_rule('asked.person_id', '$2', '$3')}",
        person_ids,
        partner.is_operator,
        partner.partner_id,
    )
    return {row["person_id"] for row in rows}


def describe(payload: Any | None) -> dict[str, Any] | None:
    """Personal details for an authorised reader, or None once erased."""
    return None if payload is None else details_of(payload).model_dump(mode="json")


async def may_read_person(conn: asyncpg.Connection, partner: Partner, person_id: UUID) -> bool:
    """The registering partner, an operator, or a partner the person agreed to share with."""
    if partner.is_operator:
        return bool(
            await conn.fetchval("SELECT true FROM case_members WHERE person_id = $1", person_id)
        )
    return person_id in await readable_by(conn, partner, [person_id])


async def may_change_person(conn: asyncpg.Connection, partner: Partner, person_id: UUID) -> bool:
    """Only the registering partner or an operator: sharing gives reading, not writing."""
    owner = await conn.fetchval(
        "SELECT c.partner_id FROM case_members m JOIN cases c USING (arrival_id) "
        "WHERE m.person_id = $1",
        person_id,
    )
    return owner is not None and (partner.is_operator or owner == partner.partner_id)


async def _member(conn: asyncpg.Connection, vault: Vault, row: asyncpg.Record) -> dict[str, Any]:
    sealed = row["sealed"]
    payload = await vault.open(conn, row["person_id"], sealed) if sealed else None
    return {
        "person_id": str(row["person_id"]),
        "status": row["status"],
        "age_band": row["age_band"],
        "sex": row["sex"],
        "relation": row["relation"],
        "needs": list(row["needs"]),
        "languages": list(row["languages"]),
        "merged_into": str(row["merged_into"]) if row["merged_into"] else None,
        "departure_reason": row["departure_reason"],
        "personal": describe(payload),
    }


_MEMBER_SELECT = """
SELECT m.*, d.sealed FROM case_members m LEFT JOIN person_details d USING (person_id)
"""


async def read_case(
    conn: asyncpg.Connection, vault: Vault, partner: Partner, arrival_id: UUID
) -> dict[str, Any] | None:
    case = await conn.fetchrow(
        "SELECT * FROM cases WHERE arrival_id = $1 AND ($2 OR partner_id = $3)",
        arrival_id,
        partner.is_operator,
        partner.partner_id,
    )
    if case is None:
        return None
    members = await conn.fetch(
        f"{_MEMBER_SELECT} WHERE m.arrival_id = $1 ORDER BY d.member_index NULLS LAST, m.person_id",
        arrival_id,
    )
    return {
        **_case(case),
        "members": await hide_unknown_merges(
            conn, partner, [await _member(conn, vault, member) for member in members]
        ),
    }


async def hide_unknown_merges(
    conn: asyncpg.Connection, partner: Partner, members: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A partner's person merged into another partner's record says "merged" but not into
    whom: the kept record's id would tell the partner that the other person is registered."""
    kept = [UUID(member["merged_into"]) for member in members if member.get("merged_into")]
    known = await readable_by(conn, partner, kept)
    return [
        {**member, "merged_into": None}
        if member.get("merged_into") and UUID(member["merged_into"]) not in known
        else member
        for member in members
    ]


def _case(case: asyncpg.Record) -> dict[str, Any]:
    return {
        "arrival_id": str(case["arrival_id"]),
        "partner_id": case["partner_id"],
        "arrival_date": case["arrival_date"].isoformat(),
        "crossing_point": case["crossing_point"],
        "keep_together": case["keep_together"],
        "member_count": case["member_count"],
        "registered_at": case["registered_at"].isoformat(),
        "correlation_id": case["correlation_id"],
    }


async def list_cases(
    conn: asyncpg.Connection, partner: Partner, limit: int, before: datetime | None
) -> list[dict[str, Any]]:
    """Newest first; page with ``before`` = the registered_at of the last one seen."""
    rows = await conn.fetch(
        """
        SELECT * FROM cases WHERE ($1 OR partner_id = $2)
          AND ($3::timestamptz IS NULL OR registered_at < $3)
        ORDER BY registered_at DESC, arrival_id LIMIT $4
        """,
        partner.is_operator,
        partner.partner_id,
        before,
        limit,
    )
    return [_case(row) for row in rows]


async def read_person(
    conn: asyncpg.Connection, vault: Vault, store: EventStore, person_id: UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"{_MEMBER_SELECT} WHERE m.person_id = $1", person_id)
    if row is None:
        return None
    consents = await conn.fetch(
        "SELECT purpose, nullif(partner_id, '') AS partner_id, changed_at FROM consents "
        "WHERE person_id = $1 AND given ORDER BY purpose, partner_id",
        person_id,
    )
    history = []
    for recorded in await store.read_stream(conn, str(person_id)):
        event = recorded.event
        if isinstance(event, PersonalDetailsCorrected):
            change = await vault.open(conn, person_id, event.sealed)
            history.append(
                {
                    "field": event.field,
                    "at": event.occurred_at.isoformat(),
                    "by": event.actor,
                    "old": change["old"] if change else None,
                    "new": change["new"] if change else None,
                    "reason": change["reason"] if change else None,
                }
            )
    return {
        **await _member(conn, vault, row),
        "arrival_id": str(row["arrival_id"]),
        "consents": [
            {"purpose": c["purpose"], "partner_id": c["partner_id"],
             "since": c["changed_at"].isoformat()}
            for c in consents
        ],
        "corrections": history,
    }  # fmt: skip


async def search_persons(
    conn: asyncpg.Connection, vault: Vault, name: str | None, document: str | None, limit: int
) -> list[dict[str, Any]]:
    """Persons whose names hold every word of ``name`` (either script), or who carry the
    document number: matched on blind indexes, never on stored names."""
    # under every configured master key version: a person not yet rewrapped (rewrap-keys) is
    # indexed under an older one, and matches when every term matches under that one version
    wanted: list[tuple[int, str, str]] = []  # (term, kind, hash): a term is met by any spelling
    for version in vault.versions:
        terms = [(term, "name", value) for term, value in name_terms(vault, name, version)]
        if document and normalised_document(document):
            number = terms[-1][0] + 1 if terms else 0
            blind = vault.blind("document", normalised_document(document), version)
            terms.append((number, "document", blind))
        wanted.extend(terms)
    if not wanted:
        return []
    rows = await conn.fetch(
        f"""
        {_MEMBER_SELECT}
        WHERE m.person_id IN (
            SELECT i.person_id FROM person_index i
            JOIN unnest($1::int[], $2::text[], $3::text[]) AS w(term, kind, value)
              ON (i.kind, i.value) = (w.kind, w.value)
            GROUP BY i.person_id, i.key_version HAVING count(DISTINCT w.term) = $4)
        ORDER BY m.person_id LIMIT $5
        """,
        [term for term, _, _ in wanted],
        [kind for _, kind, _ in wanted],
        [value for _, _, value in wanted],
        max(term for term, _, _ in wanted) + 1,
        limit,
    )
    return [
        {**await _member(conn, vault, row), "arrival_id": str(row["arrival_id"])} for row in rows
    ]


async def arrival_statistics(conn: asyncpg.Connection, by: Grouping) -> list[dict[str, Any]]:
    """People registered, counted by day, crossing point or partner; only people who agreed to
    anonymous statistics are counted."""
    rows = await conn.fetch(
        f"""
        SELECT {_GROUP_COLUMN[by]} AS key, count(*) AS people,
               count(DISTINCT c.arrival_id) AS arrivals
        FROM case_members m JOIN cases c USING (arrival_id)
        WHERE m.status <> 'merged' AND EXISTS (
            SELECT 1 FROM consents s WHERE s.person_id = m.person_id AND s.given
            AND s.purpose = 'anonymous_statistics')
        GROUP BY 1 ORDER BY 1
        """
    )
    return [{by: row["key"], "people": row["people"], "arrivals": row["arrivals"]} for row in rows]


async def open_duplicates(conn: asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    """The operators' review queue: every pair flagged at registration and not yet resolved,
    with the partners that registered each side. A pair across two partners is named here
    only: the registering partner's answer leaves it out (see readable_by)."""
    rows = await conn.fetch(
        """
        SELECT f.*, c1.partner_id, c2.partner_id AS candidate_partner_id
        FROM duplicate_flags f
        LEFT JOIN case_members m1 ON m1.person_id = f.person_id
        LEFT JOIN cases c1 ON c1.arrival_id = m1.arrival_id
        LEFT JOIN case_members m2 ON m2.person_id = f.candidate_person_id
        LEFT JOIN cases c2 ON c2.arrival_id = m2.arrival_id
        WHERE f.resolution IS NULL ORDER BY f.flagged_at LIMIT $1
        """,
        limit,
    )
    return [
        {"person_id": str(row["person_id"]),
         "candidate_person_id": str(row["candidate_person_id"]), "rule": row["rule"],
         "flagged_at": row["flagged_at"].isoformat(), "partner_id": row["partner_id"],
         "candidate_partner_id": row["candidate_partner_id"],
         "cross_partner": row["partner_id"] != row["candidate_partner_id"]}
        for row in rows
    ]  # fmt: skip
