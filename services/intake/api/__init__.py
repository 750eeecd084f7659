"""Intake's HTTP API: arrivals (partners), persons (partners and operators), partners and
crossing points (operators)."""

from services.intake.api.arrivals import router as arrivals
from services.intake.api.crossing_points import router as crossing_points
from services.intake.api.partners import router as partners
from services.intake.api.persons import router as persons

routers = (arrivals, persons, partners, crossing_points)
