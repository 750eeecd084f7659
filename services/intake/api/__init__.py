"""Intake's HTTP API: arrivals (partners), persons (partners and operators), partners and
crossing points (operators), devices and spreadsheet imports (partners), the field app."""

from services.intake.api.arrivals import router as arrivals
from services.intake.api.crossing_points import router as crossing_points
from services.intake.api.devices import router as devices
from services.intake.api.fieldapp import router as fieldapp
from services.intake.api.imports import router as imports
from services.intake.api.partners import router as partners
from services.intake.api.persons import router as persons
from services.intake.api.placements import router as placements
from services.intake.api.slips import router as slips

routers = (
    arrivals,
    imports,
    placements,
    slips,
    persons,
    partners,
    crossing_points,
    devices,
    fieldapp,
)
