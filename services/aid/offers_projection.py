"""The support offers' read model: one offer's row as published, described, withdrawn and
filled. Its detail columns as the live projection and the rebuild (rebuild.py) both write them."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.aid.events import OfferDetailsRecorded
from shared.schemas.aid import (
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
)
from shared.schemas.base import DomainEvent


def offer_details_of(event: OfferDetailsRecorded) -> tuple[Any, ...]:
    """partner, title, description, contact, available_until, city."""
    return (
        event.partner, event.title, event.description, event.contact, event.available_until,
        event.city,
    )  # fmt: skip


async def project_offer(conn: asyncpg.Connection, event: DomainEvent) -> None:
    if isinstance(event, OfferPublished):
        await conn.execute(
            """
            INSERT INTO support_offers (offer_id, kind, status, country, profession,
                                        skills, languages, places, published_at)
            VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8)
            """,
            event.offer_id, event.kind.value, event.country, event.profession,
            list(event.skills), list(event.languages), event.places, event.occurred_at,
        )  # fmt: skip
    elif isinstance(event, OfferDetailsRecorded):
        await conn.execute(
            "UPDATE support_offers SET partner = $2, title = $3, description = $4, contact = $5,"
            " available_until = $6, city = $7 WHERE offer_id = $1",
            event.offer_id, *offer_details_of(event),
        )  # fmt: skip
    elif isinstance(event, OfferWithdrawn):
        await conn.execute(
            "UPDATE support_offers SET status = 'withdrawn', withdrawn_at = $2 WHERE offer_id = $1",
            event.offer_id, event.occurred_at,
        )  # fmt: skip
    elif isinstance(event, OfferPlaceTaken | OfferPlaceReleased):
        change = 1 if isinstance(event, OfferPlaceTaken) else -1
        await conn.execute(
            """
            UPDATE support_offers SET places_taken = places_taken + $2,
                status = CASE WHEN status = 'withdrawn' THEN status
                              WHEN places_taken + $2 >= places THEN 'full' ELSE 'open' END
            WHERE offer_id = $1
            """,
            event.offer_id, change,
        )  # fmt: skip
