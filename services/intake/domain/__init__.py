"""Intake's rules as pure deciders: the arrival (who crossed together) and the person (their
consents, corrections, departure, merges and erasure)."""
