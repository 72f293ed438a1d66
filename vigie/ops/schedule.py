"""When a source is due: named schedules, 5-field cron strings, and capped exponential backoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.errors import ConfigError

NAMED_INTERVALS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=30),
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _parse_field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            start, end = (int(n) for n in base.split("-", 1))
        else:
            start = int(base)
            end = high if step_text else start
        if start < low or end > high or start > end or step < 1:
            raise ValueError(f"{item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


class CronSchedule:
    """A 5-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC."""

    def __init__(self, expression: str) -> None:
        fields = expression.split()
        if len(fields) != 5:
            raise ConfigError(
                f"schedule {expression!r} is not a 5-field cron string",
                hint="write e.g. '0 6 * * 1-5' or one of hourly, daily, weekly, monthly",
            )
        try:
            parsed = [_parse_field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES, strict=True)]
        except ValueError as exc:
            raise ConfigError(f"schedule {expression!r}: {exc}", hint="fix the cron field named") from exc
        self.minutes, self.hours, self.days, self.months, weekdays = parsed
        self.weekdays = {d % 7 for d in weekdays}  # cron: 0 and 7 are Sunday
        self.any_day = fields[2] == "*"
        self.any_weekday = fields[4] == "*"

    def _day_matches(self, moment: datetime) -> bool:
        cron_weekday = (moment.weekday() + 1) % 7  # Python: Monday=0; cron: Sunday=0
        in_month_day = moment.day in self.days
        in_weekday = cron_weekday in self.weekdays
        if self.any_day or self.any_weekday:  # cron semantics: restricted fields are OR-ed
            return in_month_day and in_weekday
        return in_month_day or in_weekday

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after ``moment``."""
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        raise ConfigError(f"cron schedule never fires after {moment}", hint="check the day and month fields")


def next_run_after(schedule: str, moment: datetime) -> datetime:
    """When a source on ``schedule`` is next due, after a successful run at ``moment``."""
    text = schedule.strip()
    if text in NAMED_INTERVALS:
        return moment + NAMED_INTERVALS[text]
    return CronSchedule(text).next_after(moment)


def backoff_delay(failures: int, base_s: float, cap_s: float) -> timedelta:
    """Delay before retrying a source after ``failures`` consecutive failures: base * 2^(n-1), capped."""
    if failures <= 0:
        return timedelta(0)
    return timedelta(seconds=min(cap_s, base_s * 2 ** min(failures - 1, 30)))
