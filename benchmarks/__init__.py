"""Benchmarks against the real stack; each runs its baseline in the same run (see README.md)."""
