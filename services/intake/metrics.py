"""Intake's gauges, read from its read models on scrape (counts only, no personal data)."""

from __future__ import annotations

from shared.metrics import ServiceMetrics, counted


def register(metrics: ServiceMetrics) -> None:
    metrics.register_gauge(
        counted(
            "intake_arrivals_registered",
            "Arrivals (cases) registered so far",
            "SELECT count(*) FROM cases",
        )
    )
    metrics.register_gauge(
        counted(
            "intake_persons_registered",
            "People registered so far",
            "SELECT count(*) FROM case_members",
        )
    )
