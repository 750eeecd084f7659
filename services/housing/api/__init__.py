"""Housing's HTTP API: shelters and host offers, placements and the waitlist."""

from services.housing.api.placements import router as placements
from services.housing.api.shelters import router as shelters

routers = (shelters, placements)
