"""Intake's HTTP API: arrivals (partners), persons (partners and operators), partners
(operators), devices and spreadsheet imports (partners), the field app."""

from services.intake.api.arrivals import router as arrivals
from services.intake.api.devices import router as devices
from services.intake.api.fieldapp import router as fieldapp
from services.intake.api.imports import router as imports
from services.intake.api.partners import router as partners
from services.intake.api.persons import router as persons
from services.intake.api.placements import router as placements

routers = (arrivals, imports, placements, persons, partners, devices, fieldapp)
