"""Aid's use cases, one module per thing they act on: beneficiaries and households as intake's
and housing's events describe them (``beneficiaries``), stock and issues at the sites
(``distributions``), requests and offers for the way forward (``support``), what aid forgets of a
person (``erasure``) and the erased persons it remembers (``erased``); ``streams`` reads one
aggregate's state to inform another's decision."""
