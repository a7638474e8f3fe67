"""The center's clock: its time zone and its weekend, on which promised callbacks fall due.

An agent's "by Friday", "in 3 working days" or "by the end of the week" names days on the
center's calendar: ``CALLHEAT_CENTER_TIMEZONE`` says where its day starts, and
``CALLHEAT_CENTER_WEEKEND`` which days are not working days (Saturday and Sunday unless set;
Friday and Saturday in much of the Middle East).

>>> clock = CenterClock(weekend=parse_weekend("fri,sat"))
>>> clock.week_start, clock.last_working_day
(6, 3)
>>> CenterClock().week_start, CenterClock().last_working_day
(0, 4)
>>> parse_weekend("Saturday, Sunday") == SAT_SUN
True
>>> parse_weekend("")
frozenset()
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SAT_SUN = frozenset({5, 6})


def parse_weekend(text: str) -> frozenset[int]:
    """Weekday numbers (Monday 0) from names or their first three letters, comma-separated;
    "" or "none" for a center with no weekend. ValueError names what was not understood."""
    days = set()
    for raw in text.split(","):
        name = raw.strip().lower()
        if not name or name == "none":
            continue
        matches = [i for i, day in enumerate(WEEKDAYS) if len(name) >= 3 and day.startswith(name)]
        if not matches:
            raise ValueError(f"expected weekday names such as sat,sun or fri,sat, got {raw.strip()!r}")
        days.add(matches[0])
    if len(days) == len(WEEKDAYS):
        raise ValueError("a weekend of all seven days leaves no working day")
    return frozenset(days)


@dataclass(frozen=True, slots=True)
class CenterClock:
    tz: tzinfo = UTC
    weekend: frozenset[int] = SAT_SUN  # weekday numbers, Monday 0; never all seven

    def working(self, weekday: int) -> bool:
        return weekday not in self.weekend

    @property
    def week_start(self) -> int:
        """The weekday a working week starts on: the first working day after the weekend
        (Monday for Saturday-Sunday, Sunday for Friday-Saturday; Monday with no weekend)."""
        for day in range(7):
            if (day - 1) % 7 in self.weekend and self.working(day):
                return day
        return 0

    @property
    def last_working_day(self) -> int:
        """The weekday "the end of the week" names: the week's last working day."""
        return next((self.week_start + p) % 7 for p in range(6, -1, -1)
                    if self.working((self.week_start + p) % 7))  # fmt: skip

    def position(self, weekday: int) -> int:
        """Days since the start of the working week (0-6)."""
        return (weekday - self.week_start) % 7


DEFAULT_CENTER = CenterClock()  # UTC, Saturday and Sunday off: CALLHEAT_CENTER_* unset
