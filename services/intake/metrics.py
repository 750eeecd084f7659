"""Intake's gauges, read from its read models on scrape (counts only, no personal data)."""

from __future__ import annotations

import asyncpg

from shared.metrics import DomainGauge, GaugeRows, ServiceMetrics


async def arrivals(conn: asyncpg.Connection) -> GaugeRows:
    count = await conn.fetchval("SELECT count(*) FROM cases")
    return [((), float(count))]


async def persons(conn: asyncpg.Connection) -> GaugeRows:
    count = await conn.fetchval("SELECT count(*) FROM case_members")
    return [((), float(count))]


def register(metrics: ServiceMetrics) -> None:
    metrics.register_gauge(
        DomainGauge(
            "intake_arrivals_registered", "Arrivals (cases) registered so far", (), arrivals
        )
    )
    metrics.register_gauge(
        DomainGauge("intake_persons_registered", "People registered so far", (), persons)
    )
