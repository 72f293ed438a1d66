"""Metrics text rendering and the watch's schedule arithmetic (cron, named intervals, backoff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.errors import ConfigError
from core.metrics import Sample, format_labels, parse_labels, render_prometheus
from crawler.sources import check_schedule
from vigie.ops.schedule import backoff_delay, next_run_after

T0 = datetime(2026, 1, 30, 17, 45, tzinfo=UTC)  # a Friday


def test_labels_are_escaped_and_round_trip() -> None:
    labels = {"source": 'a "quoted"\\ one\nnext', "stage": "crawl"}
    text = format_labels(labels)
    assert text == 'source="a \\"quoted\\"\\\\ one\\nnext",stage="crawl"'
    assert parse_labels(text) == labels
    assert parse_labels("") == {}


def test_rendering_groups_series_under_one_help_and_type() -> None:
    samples = [
        Sample("vigie_stage_runs_total", {"stage": "index", "status": "ok"}, 2.0),
        Sample("vigie_stage_runs_total", {"stage": "crawl", "status": "ok"}, 5.0),
        Sample("vigie_pages", {}, 1234.0, "gauge"),
        Sample("vigie_stage_seconds_sum", {"stage": "crawl"}, 12.25),
        Sample("vigie_stage_seconds_count", {"stage": "crawl"}, 4.0),
        Sample("vigie_new_thing", {}, 1.0),
    ]
    text = render_prometheus(lambda: samples, process_metrics=False)
    lines = text.splitlines()
    assert lines.count("# TYPE vigie_stage_runs_total counter") == 1
    runs = [line for line in lines if line.startswith("vigie_stage_runs_total{")]
    assert runs == [
        'vigie_stage_runs_total{stage="crawl",status="ok"} 5.0',
        'vigie_stage_runs_total{stage="index",status="ok"} 2.0',
    ]
    # Stage seconds are one summary (its _sum and _count), not two counters.
    assert (
        "# TYPE vigie_stage_seconds summary" in lines
        and "# TYPE vigie_stage_seconds_sum counter" not in lines
    )
    assert 'vigie_stage_seconds_sum{stage="crawl"} 12.25' in lines
    assert 'vigie_stage_seconds_count{stage="crawl"} 4.0' in lines
    assert "# TYPE vigie_pages gauge" in lines and "vigie_pages 1234.0" in lines
    assert "# TYPE vigie_new_thing untyped" in lines
    assert not any(line.startswith("process_") for line in lines)
    assert text.endswith("\n")


def test_the_text_is_what_prometheus_parses_with_process_metrics() -> None:
    samples = [Sample("vigie_stage_seconds_sum", {"stage": "crawl"}, 3.0), Sample("vigie_pages", {}, 7.0)]
    families = {f.name: f for f in text_string_to_metric_families(render_prometheus(lambda: samples))}
    assert families["vigie_stage_seconds"].type == "summary"
    assert families["vigie_pages"].samples[0].value == 7.0
    assert families["process_cpu_seconds"].type == "counter" and "process_resident_memory_bytes" in families


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
        # Names and aliases (croniter): the hand-written parser refused them.
        ("0 6 * * MON-FRI", datetime(2026, 2, 2, 6, 0, tzinfo=UTC)),
        ("0 6 * * mon,wed", datetime(2026, 2, 2, 6, 0, tzinfo=UTC)),
        ("30 8 1 JAN,JUL *", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        ("@daily", datetime(2026, 1, 31, 0, 0, tzinfo=UTC)),  # midnight UTC, unlike "daily"
        ("@weekly", datetime(2026, 2, 1, 0, 0, tzinfo=UTC)),
        ("@hourly", datetime(2026, 1, 30, 18, 0, tzinfo=UTC)),
    ],
)
def test_next_run_after(schedule: str, expected: datetime) -> None:
    assert next_run_after(schedule, T0) == expected


@pytest.mark.parametrize(
    "bad", ["0 25 * * *", "every day", "0 6 * *", "*/0 * * * *", "0 0 * * * *", "@fortnightly", "0 6 * * FUN"]
)
def test_a_bad_schedule_names_itself(bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        next_run_after(bad, T0)
    assert repr(bad) in str(err.value)


def test_a_cron_that_never_fires_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="never fires"):
        next_run_after("0 0 31 2 *", T0)


def test_the_catalogue_accepts_what_the_watch_schedules() -> None:
    for schedule in ("daily", "0 6 * * MON-FRI", "@daily", "30 8 1 JAN *"):
        assert check_schedule(schedule) == schedule
    for bad in ("0 0 * * * *", "@fortnightly", "0 6 * * FUN"):
        with pytest.raises(ValueError, match="cron"):
            check_schedule(bad)


def test_backoff_doubles_then_caps() -> None:
    delays = [backoff_delay(n, 300, 3600).total_seconds() for n in range(0, 7)]
    assert delays == [0, 300, 600, 1200, 2400, 3600, 3600]
    assert backoff_delay(10_000, 300, 3600) == timedelta(hours=1)
