"""Aid's HTTP API for the coordination centre and the distribution sites (operator key)."""

from services.aid.api import (
    distributions,
    reports,
    slips,
    stock,
    support_matches,
    support_offers,
    support_requests,
)

routers = (
    stock.router,
    distributions.router,
    slips.router,
    support_requests.router,
    support_offers.router,
    support_matches.router,
    reports.router,
)
