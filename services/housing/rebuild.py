"""Housing's read models rebuilt (shared.rebuild): every event folded in memory by the folds
the live projection runs (projections.READ_MODELS), then each table written with COPY."""

from __future__ import annotations

from services.housing.projections import READ_MODELS
from shared.rebuild import FoldedReadModels


class HousingReadModels(FoldedReadModels):
    """A fresh fold of housing's read models, for one rebuild."""

    def __init__(self) -> None:
        super().__init__(READ_MODELS)
