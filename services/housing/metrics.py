"""Housing's gauges, read from its read models on scrape."""

from __future__ import annotations

import asyncpg

from shared.metrics import DomainGauge, GaugeRows, ServiceMetrics, counted


async def placements(conn: asyncpg.Connection) -> GaugeRows:
    rows = await conn.fetch(
        "SELECT s.status, count(p.person_id) AS n "
        "FROM unnest(ARRAY['held', 'checked_in']) AS s(status) "
        "LEFT JOIN placements p ON p.status = s.status GROUP BY s.status"
    )
    return [((row["status"],), float(row["n"])) for row in rows]


def register(metrics: ServiceMetrics) -> None:
    metrics.register_gauge(
        DomainGauge(
            "housing_placements",
            "People placed, by status: held (on their way) or checked_in",
            ("status",),
            placements,
        )
    )
    for gauge in (
        counted(
            "housing_waitlist_length",
            "People waiting for a place",
            "SELECT count(*) FROM placements WHERE status = 'waiting'",
        ),
        counted(
            "housing_holds",
            "Places held for people on their way",
            "SELECT coalesce(sum(held), 0) FROM units",
        ),
        counted(
            "housing_free_places",
            "Places neither held nor occupied in open shelters",
            "SELECT coalesce(sum(u.places - u.held - u.occupied), 0) "
            "FROM units u JOIN shelters s USING (shelter_id) WHERE s.status = 'open'",
        ),
    ):
        metrics.register_gauge(gauge)
