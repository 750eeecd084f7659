"""The benchmark harness's own logic: ratios, targets, the results table, and the open-loop
schedule (no server, no database)."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.common import SpeedProbe
from benchmarks.loadgen import Latencies, exact_percentile, schedule
from benchmarks.results import (
    ROWS,
    Measure,
    Target,
    oral_week_rows,
    oral_week_slot,
    paired_ratios,
    ratio_measure,
    record_oral_week,
    record_oral_week_scaling,
    render_markdown,
    render_text,
)


def test_ratio_is_the_median_of_per_round_ratios() -> None:
    measure = ratio_measure(
        "append_c32_vs_r4", "append", "events/s", "R4", [300.0, 100.0, 400.0], [100.0, 100.0, 100.0]
    )
    assert measure.ratio_rounds == [3.0, 1.0, 4.0]
    assert measure.ratio == 3.0
    assert measure.value == 300.0 and measure.baseline_value == 100.0
    assert measure.met is True  # goal 3
    assert measure.stretch_met is False  # stretch 5


def test_paired_ratios_skip_an_empty_baseline_round() -> None:
    assert paired_ratios([1.0, 2.0], [0.0, 4.0]) == [0.5]


def test_a_ratio_below_its_goal_is_not_met() -> None:
    measure = ratio_measure("outbox_relay", "relay", "events/s", "R1", [50.0], [100.0])
    assert measure.met is False


def test_a_latency_target_applies_to_the_value_at_most() -> None:
    fast = Measure("accept_to_visible_p99_at_50pct", "p99", 20.0, "ms")
    slow = Measure("accept_to_visible_p99_at_50pct", "p99", 60.0, "ms")
    assert (fast.met, fast.stretch_met) == (True, True)
    assert (slow.met, slow.stretch_met) == (False, False)
    assert Target(50, 25, "<=", "value", "ms").describe() == "<= 50 ms (25)"


def test_unmeasured_and_untargeted_rows() -> None:
    assert Measure("accept_to_visible_p99_at_50pct", "p99", None, "ms").met is None
    assert Measure("rebuild_vs_live_projection", "x", 1.0, "events/s").met is None


def test_json_of_a_measure_has_what_the_issue_asks() -> None:
    data = ratio_measure("http_accept", "accept", "arrivals/s", "R0", [40.0], [100.0]).as_json()
    for key in ("name", "value", "unit", "baseline_value", "ratio", "target", "met"):
        assert key in data
    assert data["target"]["goal"] == 0.35 and data["met"] is True
    json.dumps(data)


def test_the_table_shows_every_row_and_a_slot_for_the_oral_week(tmp_path: Path) -> None:
    measures = [
        ratio_measure("http_accept", "accept", "arrivals/s", "R0", [40.0], [100.0]),
        oral_week_slot(tmp_path / "missing.json"),
    ]
    text = render_text(measures)
    for name in ROWS:
        assert name in text
    assert "not run" in text  # the rows of cases that did not run
    markdown = render_markdown(measures, {"nproc": 2}, "2026-11-26T10:00:00+00:00")
    assert markdown.count("\n|") == len(ROWS) + 2  # header, rule, one line per row


def test_the_oral_week_figure_is_kept_from_the_previous_latest(tmp_path: Path) -> None:
    previous = tmp_path / "latest.json"
    previous.write_text(
        json.dumps({"measures": [{"name": "oral_week_end_to_end", "value": 420.0, "unit": "s"}]})
    )
    slot = oral_week_slot(previous)
    assert slot.value == 420.0 and slot.met is True


def test_a_full_week_fills_its_row_of_the_latest_table_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    accept = ratio_measure("http_accept", "accept", "arrivals/s", "R0", [40.0], [100.0])
    slot = oral_week_slot(tmp_path / "missing.json")
    document = {
        "started_at": "2026-11-26T11:04:00+00:00",
        "machine": {"nproc": 2},
        "measures": [accept.as_json(), slot.as_json()],
    }
    (tmp_path / "latest.json").write_text(json.dumps(document))
    assert record_oral_week(1860.0, {"people": 100_000}, tmp_path) == tmp_path / "latest.json"
    rows = {
        row["name"]: row for row in json.loads((tmp_path / "latest.json").read_text())["measures"]
    }
    assert rows["oral_week_end_to_end"]["value"] == 1860.0
    assert rows["oral_week_end_to_end"]["met"] is False  # over 600 s
    assert rows["http_accept"]["ratio"] == 0.4
    assert "1,860 s" in (tmp_path / "latest.md").read_text()
    assert record_oral_week(300.0, {}, tmp_path / "nowhere") is None

    # the 300,000-person week, against that row: 3.5 times the time is not linear
    assert record_oral_week_scaling(6510.0, {"people": 300_000}, tmp_path) is not None
    rows = {
        row["name"]: row for row in json.loads((tmp_path / "latest.json").read_text())["measures"]
    }
    assert rows["oral_week_300k_vs_100k"]["ratio"] == 6510.0 / 1860.0
    assert rows["oral_week_300k_vs_100k"]["met"] is False
    assert rows["oral_week_end_to_end"]["value"] == 1860.0  # the 100,000 row stays
    assert record_oral_week_scaling(6510.0, {}, tmp_path / "nowhere") is None

    # a full run of the harness afterwards keeps both rows of the week
    kept = {row.name: row for row in oral_week_rows(tmp_path / "latest.json")}
    assert kept["oral_week_end_to_end"].value == 1860.0
    assert kept["oral_week_300k_vs_100k"].ratio == 6510.0 / 1860.0
    assert kept["oral_week_300k_vs_100k"].met is False
    assert [row.name for row in oral_week_rows(tmp_path / "missing.json")] == [
        "oral_week_end_to_end"
    ]


def test_the_open_loop_schedule_is_fixed_in_advance_and_evenly_spaced() -> None:
    offsets = schedule(rate=50.0, seconds=2.0)
    assert len(offsets) == 100
    assert offsets[0] == 0.0
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(offsets)}
    assert gaps == {0.02}
    assert offsets[-1] < 2.0
    assert schedule(0.0, 5.0) == [] and schedule(10.0, 0.0) == []


def test_exact_percentiles_use_the_nearest_rank() -> None:
    values = list(range(1, 1001))
    assert exact_percentile(values, 50) == 500
    assert exact_percentile(values, 99) == 990
    assert exact_percentile(values, 99.9) == 999
    assert exact_percentile([7], 99.9) == 7


def test_latencies_report_percentiles_in_milliseconds() -> None:
    latencies = Latencies()
    for millis in range(1, 101):
        latencies.record(millis / 1000)
    assert latencies.exact_ms(50) == 50.0
    p99 = latencies.percentile_ms(99)
    assert p99 == pytest.approx(99.0, rel=0.01)


def test_the_harness_runs_every_case_by_default_in_its_fixed_order() -> None:
    from benchmarks.harness import CASES, parse_args

    args = parse_args([])
    assert args.only == set(CASES)
    assert args.full is True
    assert CASES == (
        "append",
        "relay",
        "accept",
        "tracing",
        "e2e",
        "latency",
        "rebuild",
        "occupancy",
        "distributions",
    )


def test_the_harness_refuses_an_unknown_case(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.harness import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--only", "relay,warp"])
    assert "unknown case(s) warp" in capsys.readouterr().err


def test_a_quick_or_partial_run_is_not_a_full_one() -> None:
    from benchmarks.harness import parse_args

    quick = parse_args(["--quick"])
    assert quick.full is False and quick.rounds == 2 and quick.bodies == 3000
    assert parse_args(["--only", "relay, accept"]).only == {"relay", "accept"}
    assert parse_args(["--only", "relay"]).full is False


def test_each_case_lives_in_its_own_module() -> None:
    import importlib

    from benchmarks.harness import CASES

    for case in CASES:
        module = importlib.import_module(f"benchmarks.cases.{case}")
        assert callable(getattr(module, f"case_{case}")), case


def _sampled(probe: SpeedProbe) -> dict[str, Any]:
    """The probe's next take that holds a sample (a few seconds at most)."""
    deadline = time.monotonic() + 10
    while (taken := probe.take()) is None:
        assert time.monotonic() < deadline, "the probe took no sample"
        time.sleep(0.02)
    return taken


def test_each_take_of_the_speed_probe_gives_the_samples_since_the_one_before() -> None:
    with SpeedProbe(interval_s=0.01) as probe:
        first, second = _sampled(probe), _sampled(probe)
    whole = probe.whole_run()
    assert whole is not None
    # a take that kept what it gave would count the first day's samples again in the second
    assert whole["samples"] >= first["samples"] + second["samples"]
    assert 0 < first["fastest_ms"] <= first["median_ms"]
    assert whole["fastest_ms"] <= min(first["fastest_ms"], second["fastest_ms"])
