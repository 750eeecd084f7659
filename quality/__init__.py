"""Checks of the code's shape that ``make lint`` runs besides ruff, mypy and import-linter."""
