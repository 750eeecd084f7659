"""Issue #9's measures: their targets, how a ratio is formed from interleaved rounds, the table
(stdout and Markdown) and the results files (``latest.json``, ``latest.md``, a timestamped
copy with the machine's facts)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from benchmarks.common import RESULTS

Direction = Literal[">=", "<="]


@dataclass(frozen=True)
class Target:
    """``goal`` must be met; ``stretch`` is what we aim at. ``on`` says which figure the target
    applies to: the ratio to the baseline, or the value itself (a latency)."""

    goal: float
    stretch: float
    direction: Direction = ">="
    on: Literal["ratio", "value"] = "ratio"
    unit: str = ""

    def met(self, figure: float | None, *, stretch: bool = False) -> bool | None:
        if figure is None:
            return None
        bound = self.stretch if stretch else self.goal
        return figure >= bound if self.direction == ">=" else figure <= bound

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.direction} {self.goal:g}{unit} ({self.stretch:g})"


#: issue #9's targets, in the order of its table
TARGETS: dict[str, Target] = {
    "e2e_intake": Target(0.20, 0.30),
    "http_accept": Target(0.35, 0.50),
    "http_accept_vs_r5": Target(0.50, 0.70),
    "append_c1_vs_r4": Target(1.2, 1.5),
    "append_c32_vs_r4": Target(3.0, 5.0),
    "append_vs_r3": Target(0.5, 0.7),
    "outbox_relay": Target(0.6, 0.8),
    "rebuild_vs_r2": Target(0.30, 0.40),  # issue #18: the rebuild keeps its COPY speed
    "tracing_on_vs_off": Target(0.85, 0.93),
    "accept_to_visible_p99_at_50pct": Target(50.0, 25.0, "<=", "value", "ms"),
    "oral_week_end_to_end": Target(600.0, 300.0, "<=", "value", "s"),
    # issue #17: a week three times the size costs at most 3.3 times the time (linear)
    "oral_week_300k_vs_100k": Target(3.3, 3.0, "<="),
    "placement_cost_90_vs_10pct": Target(1.3, 1.1, "<="),
    "check_in_cost_90_vs_10pct": Target(1.3, 1.1, "<="),
    "distribution_cost_90_vs_10pct": Target(1.3, 1.1, "<="),
}

#: every row of the table, in order; a measure not run shows as "not run"
ROWS: tuple[str, ...] = (
    "e2e_intake",
    "http_accept",
    "http_accept_vs_r5",
    "append_c1_vs_r4",
    "append_c32_vs_r4",
    "append_vs_r3",
    "outbox_relay",
    "rebuild_vs_r2",
    "rebuild_vs_live_projection",
    "tracing_on_vs_off",
    "accept_to_visible_p50_at_50pct",
    "accept_to_visible_p99_at_50pct",
    "accept_to_visible_p999_at_50pct",
    "accept_to_visible_p50_at_80pct",
    "accept_to_visible_p99_at_80pct",
    "accept_to_visible_p999_at_80pct",
    "oral_week_end_to_end",
    "oral_week_300k_vs_100k",
    "placement_cost_90_vs_10pct",
    "check_in_cost_90_vs_10pct",
    "distributions_c2_vs_c1",
    "distributions_c10_vs_c1",
    "distribution_cost_90_vs_10pct",
)
ORAL_WEEK = "oral_week_end_to_end"
ORAL_WEEK_SCALING = "oral_week_300k_vs_100k"


@dataclass
class Measure:
    """One row: a figure of the system against its baseline from the same run."""

    name: str
    what: str
    value: float | None
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: Target | None = None
    #: the figures of each round, measured and baseline, in the order they ran
    rounds: list[float] = field(default_factory=list)
    baseline_rounds: list[float] = field(default_factory=list)
    ratio_rounds: list[float] = field(default_factory=list)
    #: CPU-seconds per 1,000 events, per process ({"intake": .., "postgres": ..})
    cpu_s_per_1000_events: dict[str, float | None] = field(default_factory=dict)
    baseline_cpu_s_per_1000_events: dict[str, float | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.target is None:
            self.target = TARGETS.get(self.name)

    @property
    def judged(self) -> float | None:
        if self.target is None:
            return None
        return self.ratio if self.target.on == "ratio" else self.value

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.judged)

    @property
    def stretch_met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.judged, stretch=True)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = None if self.target is None else asdict(self.target)
        data["met"] = self.met
        data["stretch_met"] = self.stretch_met
        return data


def paired_ratios(measured: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Round i of the system over round i of its baseline (they ran next to each other)."""
    return [m / b for m, b in zip(measured, baseline, strict=True) if b]


def ratio_measure(
    name: str,
    what: str,
    unit: str,
    baseline: str,
    measured: Sequence[float],
    baseline_rounds: Sequence[float],
    **extra: Any,
) -> Measure:
    """A throughput row from interleaved rounds: value and baseline are the medians of their
    rounds, the ratio is the median of the per-round ratios (robust to a drift that hits both
    neighbours alike)."""
    ratios = paired_ratios(measured, baseline_rounds)
    return Measure(
        name=name,
        what=what,
        value=statistics.median(measured) if measured else None,
        unit=unit,
        baseline=baseline,
        baseline_value=statistics.median(baseline_rounds) if baseline_rounds else None,
        ratio=statistics.median(ratios) if ratios else None,
        rounds=list(measured),
        baseline_rounds=list(baseline_rounds),
        ratio_rounds=ratios,
        **extra,
    )


def oral_week_slot(previous: Path) -> Measure:
    """The row another benchmark (benchmarks/oral_week/) fills in: kept from the last
    ``latest.json`` when it holds a figure, else an empty slot."""
    try:
        rows = json.loads(previous.read_text())["measures"]
    except (OSError, ValueError, KeyError, TypeError):
        rows = []
    for row in rows:
        if row.get("name") == ORAL_WEEK and row.get("value") is not None:
            kept = Measure(
                name=ORAL_WEEK,
                what=row.get("what", "100,000 arrivals of the Oral week, end to end"),
                value=row["value"],
                unit=row.get("unit", "s"),
                details={**row.get("details", {}), "kept_from_previous_latest_json": True},
            )
            return kept
    return Measure(
        name=ORAL_WEEK,
        what="100,000 arrivals of the Oral week, end to end (filled in by benchmarks/oral_week)",
        value=None,
        unit="s",
        details={"pending": "run by the oral_week generator, not by this harness"},
    )


def measure_of(row: dict[str, Any]) -> Measure:
    """A row of ``latest.json`` as a Measure again (its target from TARGETS, as when made)."""
    fields = {name for name in Measure.__dataclass_fields__ if name != "target"}
    return Measure(**{key: value for key, value in row.items() if key in fields})


def oral_week_rows(previous: Path) -> list[Measure]:
    """The rows benchmarks/oral_week fills in, for a full run of this harness to keep: the
    100,000-person week (``oral_week_slot``) and, when the last ``latest.json`` has it, the
    300,000-person week as its ratio (before, a full run dropped that row)."""
    try:
        rows = json.loads(previous.read_text())["measures"]
    except (OSError, ValueError, KeyError, TypeError):
        rows = []
    scaling = [
        measure_of(row)
        for row in rows
        if row.get("name") == ORAL_WEEK_SCALING and row.get("value") is not None
    ]
    for measure in scaling:
        measure.details = {**measure.details, "kept_from_previous_latest_json": True}
    return [oral_week_slot(previous), *scaling[:1]]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def _verdict(measure: Measure) -> str:
    if measure.target is None:
        return ""
    if measure.met is None:
        return "not measured"
    if measure.stretch_met:
        return "yes (stretch too)"
    return "yes" if measure.met else "NO"


def _cpu(cpu: dict[str, float | None]) -> str:
    return ", ".join(f"{name} {_fmt(value)}" for name, value in cpu.items() if value is not None)


def table_rows(measures: Iterable[Measure]) -> list[list[str]]:
    by_name = {measure.name: measure for measure in measures}
    rows = []
    for name in ROWS:
        measure = by_name.get(name)
        if measure is None:
            rows.append([name, "not run", "", "", "", _target(TARGETS.get(name)), "", ""])
            continue
        rows.append(
            [
                name,
                _fmt(measure.value, measure.unit),
                f"{measure.baseline}: {_fmt(measure.baseline_value, measure.unit)}"
                if measure.baseline
                else "",
                "" if measure.ratio is None else f"{measure.ratio:.3f}",
                "" if not measure.ratio_rounds else _spread(measure.ratio_rounds),
                _target(measure.target),
                _verdict(measure),
                _cpu(measure.cpu_s_per_1000_events),
            ]
        )
    return rows


def _spread(values: Sequence[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}"


def _target(target: Target | None) -> str:
    return "" if target is None else target.describe()


HEADER = ["measure", "value", "baseline", "ratio", "rounds", "target (stretch)", "met",
          "CPU-s / 1000 events"]  # fmt: skip


def render_text(measures: Iterable[Measure]) -> str:
    rows = [HEADER, *table_rows(measures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def render_markdown(measures: Sequence[Measure], facts: dict[str, Any], started: str) -> str:
    rows = [HEADER, *table_rows(measures)]
    out = [
        "# Benchmarks: latest full run",
        "",
        f"`make bench`, started {started}; machine: {facts.get('nproc')} CPUs "
        f"({facts.get('cpu_model')}), {facts.get('memory_gib')} GiB, Python "
        f"{facts.get('python')}, Postgres {facts.get('postgres', {}).get('version')}, Kafka "
        f"{facts.get('kafka_version')}, commit `{(facts.get('git_commit') or '')[:12]}`"
        + (" with uncommitted changes" if facts.get("git_uncommitted_changes") else "")
        + ". What each row measures: [README](../README.md).",
        "",
        _load_line(facts),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]]
    out.append("")
    out.append(
        "Ratios are medians of per-round ratios (measured round ÷ the baseline round next to "
        "it); `rounds` is their range. Figures in `latest.json`."
    )
    return "\n".join(out) + "\n"


def _load_line(facts: dict[str, Any]) -> str:
    """How busy the shared machine was: the reason the ratios, not the values, compare."""
    use = facts.get("cpu_use_during_run") or {}
    load = facts.get("loadavg_at_start") or [None]
    busy = use.get("busy_pct")
    return (
        f"During the run the machine's CPUs were {busy:.0f} % busy (all users), "
        f"load average {load[0]:.1f} at its start."
        if busy is not None and load[0] is not None
        else ""
    )


def write_latest(
    document: dict[str, Any],
    measures: Sequence[Measure],
    output_dir: Path = RESULTS,
) -> tuple[Path, Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    latest_json, latest_md = output_dir / "latest.json", output_dir / "latest.md"
    latest_json.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    latest_md.write_text(
        render_markdown(measures, document.get("machine", {}), document.get("started_at", ""))
    )
    return latest_json, latest_md


def record_oral_week(
    seconds: float, details: dict[str, Any], output_dir: Path = RESULTS
) -> Path | None:
    """Put a full-scale Oral week's figure into ``latest.json`` and ``latest.md`` (the row this
    harness leaves to benchmarks/oral_week); None when there is no full run to add it to."""
    week = Measure(
        name=ORAL_WEEK,
        what="100,000 arrivals of the Oral week through the public APIs, end to end",
        value=seconds,
        unit="s",
        details=details,
    )
    return _put_row(week, output_dir)


def record_oral_week_scaling(
    seconds: float, details: dict[str, Any], output_dir: Path = RESULTS
) -> Path | None:
    """Put a 300,000-person week into ``latest.json`` as a ratio to its 100,000-person row: at
    most 3.3 says the week's cost grows linearly. None when there is no such row to compare
    with (the 300,000-person week is run after the 100,000-person one)."""
    try:
        rows = json.loads((output_dir / "latest.json").read_text()).get("measures", [])
    except (OSError, ValueError):
        return None
    week = next((row for row in rows if row.get("name") == ORAL_WEEK), None)
    if week is None or not week.get("value"):
        return None
    scaling = Measure(
        name=ORAL_WEEK_SCALING,
        what="300,000 arrivals of the Oral week, end to end, ÷ the 100,000-person week's row",
        value=seconds,
        unit="s",
        baseline="100,000-person week",
        baseline_value=week["value"],
        ratio=seconds / week["value"],
        details={**details, "baseline_result_file": week.get("details", {}).get("result_file")},
    )
    return _put_row(scaling, output_dir)


def _put_row(measure: Measure, output_dir: Path) -> Path | None:
    """``measure`` in place of its row of ``latest.json`` (and ``latest.md``), in table order."""
    latest_json = output_dir / "latest.json"
    try:
        document = json.loads(latest_json.read_text())
    except (OSError, ValueError):
        return None
    measures = [
        measure_of(row) for row in document.get("measures", []) if row.get("name") != measure.name
    ]
    order = {name: index for index, name in enumerate(ROWS)}
    measures = sorted([*measures, measure], key=lambda one: order.get(one.name, len(order)))
    document["measures"] = [one.as_json() for one in measures]
    write_latest(document, measures, output_dir)
    return latest_json
