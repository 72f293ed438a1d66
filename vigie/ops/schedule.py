"""When a source is due: named intervals, cron schedules (croniter) and capped exponential backoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from croniter import CroniterBadDateError, croniter

from core.errors import ConfigError

# An interval after the last successful run (unlike "@daily", which is midnight UTC).
NAMED_INTERVALS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=30),
}


def is_cron(text: str) -> bool:
    """A 5-field cron string (names such as MON or JAN allowed) or an ``@daily``-style alias."""
    return (text.startswith("@") or len(text.split()) == 5) and bool(croniter.is_valid(text))


def next_run_after(schedule: str, moment: datetime) -> datetime:
    """When a source on ``schedule`` is next due, after a successful run at ``moment`` (cron in UTC)."""
    text = schedule.strip()
    if text in NAMED_INTERVALS:
        return moment + NAMED_INTERVALS[text]
    if not is_cron(text):
        raise ConfigError(
            f"schedule {schedule!r} is neither a named interval nor a 5-field cron string",
            hint="write e.g. '0 6 * * MON-FRI', '@daily' or one of hourly, daily, weekly, monthly",
        )
    try:
        nxt: datetime = croniter(text, moment).get_next(datetime)
    except CroniterBadDateError as exc:
        raise ConfigError(
            f"cron schedule {schedule!r} never fires after {moment}", hint="check the day and month fields"
        ) from exc
    return nxt


def backoff_delay(failures: int, base_s: float, cap_s: float) -> timedelta:
    """Delay before retrying a source after ``failures`` consecutive failures: base * 2^(n-1), capped."""
    if failures <= 0:
        return timedelta(0)
    return timedelta(seconds=min(cap_s, base_s * 2 ** min(failures - 1, 30)))
