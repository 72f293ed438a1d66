"""Metrics text rendering and the watch's schedule arithmetic (cron, named intervals, backoff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import ConfigError
from core.metrics import Sample, format_labels, parse_labels, render_prometheus
from vigie.ops.schedule import backoff_delay, next_run_after

T0 = datetime(2026, 1, 30, 17, 45, tzinfo=UTC)  # a Friday


def test_labels_are_escaped_and_round_trip() -> None:
    labels = {"source": 'a "quoted"\\ one\nnext', "stage": "crawl"}
    text = format_labels(labels)
    assert text == 'source="a \\"quoted\\"\\\\ one\\nnext",stage="crawl"'
    assert parse_labels(text) == labels
    assert parse_labels("") == {}


def test_rendering_groups_series_under_one_help_and_type() -> None:
    text = render_prometheus(
        [
            Sample("vigie_stage_runs_total", {"stage": "index", "status": "ok"}, 2.0),
            Sample("vigie_stage_runs_total", {"stage": "crawl", "status": "ok"}, 5.0),
            Sample("vigie_pages", {}, 1234.0, "gauge"),
            Sample("vigie_stage_seconds_sum", {"stage": "crawl"}, 12.25),
        ]
    )
    lines = text.splitlines()
    assert lines.count("# TYPE vigie_stage_runs_total counter") == 1
    runs = [line for line in lines if line.startswith("vigie_stage_runs_total{")]
    assert runs == [
        'vigie_stage_runs_total{stage="crawl",status="ok"} 5',
        'vigie_stage_runs_total{stage="index",status="ok"} 2',
    ]
    assert "vigie_pages 1234" in lines and 'vigie_stage_seconds_sum{stage="crawl"} 12.25' in lines
    assert text.endswith("\n")


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("hourly", T0 + timedelta(hours=1)),
        ("daily", T0 + timedelta(days=1)),
        ("0 6 * * 1-5", datetime(2026, 2, 2, 6, 0, tzinfo=UTC)),  # Friday evening -> Monday 06:00
        ("*/20 * * * *", datetime(2026, 1, 30, 18, 0, tzinfo=UTC)),
        ("30 8 1 * *", datetime(2026, 2, 1, 8, 30, tzinfo=UTC)),
        ("0 0 29 2 *", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),  # next leap day
        ("15 9 * * 0", datetime(2026, 2, 1, 9, 15, tzinfo=UTC)),  # Sunday
        ("15 9 * * 7", datetime(2026, 2, 1, 9, 15, tzinfo=UTC)),  # 7 is Sunday too
    ],
)
def test_next_run_after(schedule: str, expected: datetime) -> None:
    assert next_run_after(schedule, T0) == expected


@pytest.mark.parametrize("bad", ["0 25 * * *", "every day", "0 6 * *", "*/0 * * * *"])
def test_a_bad_schedule_names_itself(bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        next_run_after(bad, T0)
    assert repr(bad) in str(err.value)


def test_backoff_doubles_then_caps() -> None:
    delays = [backoff_delay(n, 300, 3600).total_seconds() for n in range(0, 7)]
    assert delays == [0, 300, 600, 1200, 2400, 3600, 3600]
    assert backoff_delay(10_000, 300, 3600) == timedelta(hours=1)
