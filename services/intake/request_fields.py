"""The constrained fields that intake's request bodies share (names, codes, reasons), kept
apart so that the arrival requests and the requests about a registered person use one
definition of each."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,3}$")]
PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
#: no arrival this system serves is older: an earlier date is a typing error (0202 for 2022)
EARLIEST_ARRIVAL = date(2000, 1, 1)
#: a corrected value is one field of a person: a list of documents is the deepest (3 levels)
MAX_VALUE_DEPTH = 8
