"""Aid's gauges, read from its read models on scrape."""

from __future__ import annotations

import asyncpg

from services.aid.queries import stock_levels
from shared.metrics import DomainGauge, GaugeRows, ServiceMetrics


async def stock_low(conn: asyncpg.Connection) -> GaugeRows:
    """1 where a site's stock of an item is at or below the item's low-stock level."""
    return [
        ((level["site_id"], level["item"]), 1.0 if level["low"] else 0.0)
        for level in await stock_levels(conn, None, None, low_only=False)
    ]


async def stock_quantity(conn: asyncpg.Connection) -> GaugeRows:
    rows = await conn.fetch("SELECT site_id, item, quantity FROM stock")
    return [((row["site_id"], row["item"]), float(row["quantity"])) for row in rows]


def register(metrics: ServiceMetrics) -> None:
    metrics.register_gauge(
        DomainGauge(
            "aid_stock_low",
            "1 when a site's stock of an item is at or below its low-stock level, else 0",
            ("site_id", "item"),
            stock_low,
        )
    )
    metrics.register_gauge(
        DomainGauge(
            "aid_stock_quantity",
            "Stock per site and item, in the item's unit",
            ("site_id", "item"),
            stock_quantity,
        )
    )
