"""Aid's HTTP API for the coordination centre and the distribution sites (operator key)."""

from services.aid.api import distributions, reports, slips, stock, support

routers = (stock.router, distributions.router, slips.router, support.router, reports.router)
