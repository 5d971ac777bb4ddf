"""Smoke test of benchmarks/bench_monitoring.py on a small ward (no timing assertions): the batch peer finds
exactly the engine's occurrences, and a short live run reaches the alert stream through real servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.database_fixtures import POSTGRES_URL
from tests.database_templates import postgres_available

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_monitoring  # noqa: E402
from monitoring_batch import PEER_RULES, build_input, default_rules, only, run_engine, run_peer  # noqa: E402
from monitoring_live import run_live  # noqa: E402
from monitoring_ward import CODES, make_ward  # noqa: E402


def test_the_ward_is_the_same_for_a_seed_and_holds_every_kind_of_result() -> None:
    first, again = make_ward(12, 20, seed=7), make_ward(12, 20, seed=7)
    assert first.size == again.size and (first.value == again.value).all()
    assert set(first.code.tolist()) == set(range(len(CODES)))
    assert (first.observed_us[1:] >= first.observed_us[:-1])[first.episode[1:] == first.episode[:-1]].all()


def test_the_numpy_peer_finds_exactly_the_engines_threshold_occurrences() -> None:
    ward = make_ward(30, 40, seed=11)
    data = build_input(ward)
    engine = run_engine(only(default_rules(), PEER_RULES), data)
    _seconds, _cpu, peer = run_peer(ward)
    assert engine.occurrences  # the ward makes the rules fire
    assert peer == engine.occurrences


def test_the_batch_command_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    bench_monitoring.main(["--patients", "8", "--days", "30", "--skip-live", "--typed", "--reference", "3"])
    out = capsys.readouterr().out
    assert "| engine (evaluate_columns), shipped rule set |" in out
    assert "occurrences identical: True" in out
    assert "evaluate (typed) and evaluate_columns found the same detections: True" in out
    assert "same evaluations (detections and transitions) before and now: True" in out


@pytest.mark.postgres
@pytest.mark.slow
def test_a_short_live_run_through_the_bulk_api_hears_every_alert_the_server_raises(tmp_path: Path) -> None:
    if not postgres_available(POSTGRES_URL):
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    ward = make_ward(20, 30, seed=3)
    result = run_live(
        "bulk", POSTGRES_URL, ward, rate=60, seconds=3, cut_day=3, connections=2, settle_s=2, home=tmp_path
    )
    assert result.observations == 180 and result.refused == 0
    assert result.expected > 0
    assert (result.lost, result.duplicated, result.unexpected) == (0, 0, 0)
    assert len(result.latencies_ms) == result.received == result.expected
