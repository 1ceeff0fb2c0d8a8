"""EventBridge schedule expressions: `rate(N unit)` and six-field `cron(...)`, evaluated in UTC."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


def rate_seconds(expression: str) -> float | None:
    """The interval of `rate(N unit)`; None for anything else (a cron expression)."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    value = int(match.group(1))
    if value < 1:
        raise ValueError(f"invalid schedule expression {expression!r}: the value must be positive")
    return float(value * _UNIT_SECONDS[match.group(2).removesuffix("s")])


def _cron_field(text: str, low: int, high: int, names: Mapping[str, int] | None = None) -> frozenset[int] | None:
    if text == "?":
        return None

    def value(token: str) -> int:
        # int() rejects what is not evaluated locally (L, W, #) with a ValueError
        return names[token.upper()] if names and token.upper() in names else int(token)

    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start = value(first)
            end = value(last) if last else (high if step_text else start)
        if not low <= start <= end <= high or step < 1:
            raise ValueError(f"{part!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """EventBridge's six-field cron (minutes hours day-of-month month day-of-week year), in UTC."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: "?"
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1 = SUN ... 7 = SAT
    years: frozenset[int] | None

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Raises ValueError for malformed expressions and for L, W and # (not evaluated locally)."""
        match = re.fullmatch(r"cron\((.*)\)", expression.strip())
        fields = match.group(1).split() if match else []
        if len(fields) != 6:
            raise ValueError(f"{expression!r} is not a six-field cron(...) expression")
        minutes, hours, days_of_month, months, days_of_week = (
            _cron_field(fields[0], 0, 59),
            _cron_field(fields[1], 0, 23),
            _cron_field(fields[2], 1, 31),
            _cron_field(fields[3], 1, 12, _MONTHS),
            _cron_field(fields[4], 1, 7, _WEEKDAYS),
        )
        if minutes is None or hours is None or months is None:
            raise ValueError(f"{expression!r}: only day-of-month or day-of-week may be '?'")
        return cls(minutes, hours, days_of_month, months, days_of_week, _cron_field(fields[5], 1970, 2199))

    def _matches(self, day: date) -> bool:
        weekday = (day.weekday() + 1) % 7 + 1  # Python's Monday=0 to cron's SUN=1
        return (
            day.month in self.months
            and (self.years is None or day.year in self.years)
            and (self.days_of_month is None or day.day in self.days_of_month)
            and (self.days_of_week is None or weekday in self.days_of_week)
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching minute strictly after `moment` (within 8 years), in UTC."""
        start = (moment.astimezone(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.date()
        for _ in range(366 * 8):
            if self._matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None
