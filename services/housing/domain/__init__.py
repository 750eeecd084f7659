"""Housing's rules as pure deciders: the shelter owns its places (so two placements can never
take the same one), and each arrival's waitlist entry."""
