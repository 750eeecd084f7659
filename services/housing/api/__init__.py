"""Housing's HTTP API: shelters and host offers, placements and the waitlist."""

from services.housing.api.desk import router as desk
from services.housing.api.placements import router as placements
from services.housing.api.placements import staff_router as staff
from services.housing.api.shelters import router as shelters

routers = (shelters, placements, staff, desk)
