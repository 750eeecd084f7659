"""``python -m benchmarks``: the harness of issue #9 (see benchmarks/README.md)."""

from benchmarks.harness import main

main()
