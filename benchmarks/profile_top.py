"""The biggest costs in a py-spy profile (``--format raw``, collapsed stacks), as text.

    python -m benchmarks.profile_top PROFILE.txt [--top 25] [--under FUNCTION]

Self: samples whose innermost frame is the function (its own code). Inclusive: samples with
the function anywhere on the stack (itself and what it calls). Both in % of all samples, by
function and file (line numbers dropped). ``--under`` keeps only the stacks through a function
(e.g. ``publish_pending``), to break down one path.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

_LINE = re.compile(r":\d+\)$")
#: the checkout's own path, dropped from frames so that they read as repository paths
_CHECKOUT = f"{Path(__file__).resolve().parent.parent}/"


def frame_name(frame: str) -> str:
    """``append (shared/eventstore.py:153)`` -> ``append (shared/eventstore.py)``, with
    site-packages and the interpreter's paths shortened."""
    frame = _LINE.sub(")", frame.strip())
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in frame:
            head, _, tail = frame.partition("(")
            frame = f"{head}({tail.split(marker, 1)[1]}"
    return frame.replace(_CHECKOUT, "")


def summarise(
    lines: Sequence[str], under: str | None = None
) -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [frame_name(frame) for frame in stack.split(";") if frame]
        if under is not None and not any(under in frame for frame in frames):
            continue
        count = int(count_text)
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    return total, own, inclusive


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_top")
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--under", default=None, help="only stacks through this function")
    args = parser.parse_args(argv)
    total, own, inclusive = summarise(args.profile.read_text().splitlines(), args.under)
    if not total:
        print("no samples")
        return
    print(f"{total} samples" + (f" through {args.under}" if args.under else ""))
    for title, counter in (("self", own), ("inclusive", inclusive)):
        print(f"\n{title}:")
        for name, count in counter.most_common(args.top):
            print(f"{100 * count / total:6.1f}%  {name}")


if __name__ == "__main__":
    main()
