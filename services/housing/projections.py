"""Housing's read models: shelters and units with free, held and occupied places
(shelter_rows.py), where each person is or waits, and each person's placement history
(placement_rows.py). Each is one fold (shared.folds); here it runs live, in the append's
transaction, over the rows each event touches; services/housing/rebuild.py runs the same folds
over all events at once."""

from __future__ import annotations

from services.housing.placement_rows import HISTORY_MODEL, PLACEMENT_MODEL
from services.housing.shelter_rows import SHELTER_MODEL
from shared.projection import AppendProjection

#: in the order their rows are written (a unit after its shelter)
READ_MODELS = (SHELTER_MODEL, PLACEMENT_MODEL, HISTORY_MODEL)
#: in the order they are emptied (a table before the one it references)
READ_MODEL_TABLES = ("placement_history", "placements", "units", "shelters")

#: all the events of one append projected at once (a placement of a family: three round trips)
project = AppendProjection(READ_MODELS)
