"""Windows around an episode of support, and what happened to suspensions and attendance in each.

For each case, computed from its dates (every window includes both of its end dates):

- **before**: the year before referral: from the same date a year earlier to the day before
  the referral (one school year's length, so that "days per pupil" is per year);
- **during**: the intervention, from the plan's start date to the closing date, or to today
  while the case is open (the weeks between referral and start belong to no window);
- **after**: the 6 weeks (42 days) after closure, from the day after the closing date;
- **rest_of_year**: from the day after those 6 weeks to 31 August of the academic year in
  which the case closed (empty, so absent, when the 6 weeks reach past 31 August).

A window that has not begun yet (after closure for an open case, or a closure in the future)
is absent; a window still running is cut at today and marked incomplete.

Suspensions count in a window by their start date (incidents) and by the school days of them
that fall inside it (days, see `suspensions.covered_days`). Attendance at a window's start is
the latest figure in the 30 days up to its first day, else the first figure inside it;
attendance at its end is the latest figure inside it (none if that is the start figure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from semh_desktop.attendance.suspensions import covered_days
from semh_desktop.core.dates import academic_year_start
from semh_desktop.core.errors import NotFound
from semh_desktop.core.store import Store

WINDOWS = ("before", "during", "after", "rest_of_year")
WINDOW_LABELS = {
    "before": "Year before referral",
    "during": "During the intervention",
    "after": "6 weeks after closure",
    "rest_of_year": "Rest of that school year",
}
AFTER_DAYS = 42
START_LOOKBACK_DAYS = 30


@dataclass(frozen=True)
class Window:
    key: str
    first: dt.date
    last: dt.date  # inclusive; already cut at today when `complete` is False
    complete: bool

    @property
    def label(self) -> str:
        return WINDOW_LABELS[self.key]

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def case_windows(
    referral: dt.date, start: dt.date, closed_on: dt.date | None, today: dt.date
) -> dict[str, Window]:
    """The windows of one case that have begun by `today`, keyed as in WINDOWS."""
    nominal: list[tuple[str, dt.date, dt.date]] = [
        ("before", year_earlier(referral), referral - dt.timedelta(days=1)),
        ("during", start, closed_on or today),
    ]
    if closed_on is not None:
        after_last = closed_on + dt.timedelta(days=AFTER_DAYS)
        nominal.append(("after", closed_on + dt.timedelta(days=1), after_last))
        year_end = dt.date(academic_year_start(closed_on) + 1, 8, 31)
        if after_last < year_end:
            nominal.append(("rest_of_year", after_last + dt.timedelta(days=1), year_end))
    result: dict[str, Window] = {}
    for key, first, last in nominal:
        if first > today or last < first:
            continue
        complete = last <= today and not (key == "during" and closed_on is None)
        result[key] = Window(key, first, min(last, today), complete)
    return result


@dataclass(frozen=True)
class SuspensionSpan:
    start_date: dt.date
    half_days: int


@dataclass(frozen=True)
class AttendancePoint:
    as_of: dt.date
    percent: float


@dataclass(frozen=True)
class WindowFigures:
    window: Window
    incidents: int
    half_days: int
    attendance_start: AttendancePoint | None
    attendance_end: AttendancePoint | None

    @property
    def days(self) -> float:
        return self.half_days / 2

    @property
    def attendance_change(self) -> float | None:
        if self.attendance_start is None or self.attendance_end is None:
            return None
        return round(self.attendance_end.percent - self.attendance_start.percent, 1)


def suspensions_in(window: Window, spans: Iterable[SuspensionSpan]) -> tuple[int, int]:
    """(incidents starting in the window, half-days falling in it)."""
    incidents = halves = 0
    for span in spans:
        if window.contains(span.start_date):
            incidents += 1
        halves += sum(
            h for day, h in covered_days(span.start_date, span.half_days) if window.contains(day)
        )
    return incidents, halves


def attendance_at(
    window: Window, points: Sequence[AttendancePoint]
) -> tuple[AttendancePoint | None, AttendancePoint | None]:
    """Attendance at the window's start and end (see the module note); points in date order."""
    lookback = window.first - dt.timedelta(days=START_LOOKBACK_DAYS)
    before = [p for p in points if lookback <= p.as_of <= window.first]
    inside = [p for p in points if window.contains(p.as_of)]
    start = before[-1] if before else (inside[0] if inside else None)
    end = inside[-1] if inside else None
    if end is not None and end == start:
        end = None
    return start, end


def figures(
    windows: dict[str, Window], spans: Sequence[SuspensionSpan], points: Sequence[AttendancePoint]
) -> dict[str, WindowFigures]:
    result = {}
    for key, window in windows.items():
        incidents, halves = suspensions_in(window, spans)
        start, end = attendance_at(window, points)
        result[key] = WindowFigures(window, incidents, halves, start, end)
    return result


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def pupil_records(
    store: Store, pupil_id: str
) -> tuple[list[SuspensionSpan], list[AttendancePoint]]:
    spans = [
        SuspensionSpan(dt.date.fromisoformat(r["start_date"]), int(r["half_days"]))
        for r in store.db.query(
            "SELECT start_date, half_days FROM suspensions WHERE pupil_id = ? "
            "AND withdrawn_at IS NULL ORDER BY start_date",
            [pupil_id],
        )
    ]
    points = [
        AttendancePoint(dt.date.fromisoformat(r["as_of"]), float(r["percent"]))
        for r in store.db.query(
            "SELECT as_of, percent FROM attendance_snapshots WHERE pupil_id = ? "
            "AND withdrawn_at IS NULL ORDER BY as_of",
            [pupil_id],
        )
    ]
    return spans, points


def windows_for_case(store: Store, case_id: str) -> dict[str, WindowFigures]:
    """Suspensions and attendance in each window of one case (for the pupil's tab)."""
    rows = list(
        store.db.query(
            "SELECT pupil_id, referral_date, start_date, closed_on FROM cases WHERE id = ?",
            [case_id],
        )
    )
    if not rows:
        raise NotFound("That case is not in this database.")
    row = rows[0]
    windows = case_windows(
        dt.date.fromisoformat(row["referral_date"]),
        dt.date.fromisoformat(row["start_date"]),
        _date(row["closed_on"]),
        store.clock.today(),
    )
    spans, points = pupil_records(store, row["pupil_id"])
    return figures(windows, spans, points)


# The pupil's timeline (the Attendance tab's chart) ------------------------------------------


@dataclass(frozen=True)
class Intervention:
    case_id: str
    label: str  # e.g. "PSP" or "Family plan"
    start: dt.date
    end: dt.date | None  # None while open


@dataclass(frozen=True)
class Timeline:
    attendance: tuple[AttendancePoint, ...]
    suspensions: tuple[SuspensionSpan, ...]
    exclusions: tuple[tuple[dt.date, str], ...]  # (date, outcome)
    interventions: tuple[Intervention, ...]
    today: dt.date

    @property
    def is_empty(self) -> bool:
        return not (self.attendance or self.suspensions or self.exclusions or self.interventions)

    def date_range(self) -> tuple[dt.date, dt.date]:
        days = [p.as_of for p in self.attendance] + [s.start_date for s in self.suspensions]
        days += [d for d, _ in self.exclusions]
        for item in self.interventions:
            days += [item.start, item.end or self.today]
        if not days:
            return self.today - dt.timedelta(days=365), self.today
        first, last = min(days), max(days)
        if last <= first:
            first = last - dt.timedelta(days=30)
        return first, last


def pupil_timeline(store: Store, pupil_id: str) -> Timeline:
    spans, points = pupil_records(store, pupil_id)
    exclusions = tuple(
        (dt.date.fromisoformat(r["exclusion_date"]), str(r["outcome"]))
        for r in store.db.query(
            "SELECT e.exclusion_date, d.outcome FROM permanent_exclusions e "
            "JOIN exclusion_decisions d ON d.seq = (SELECT max(seq) FROM exclusion_decisions "
            "WHERE exclusion_id = e.id) WHERE e.pupil_id = ? AND e.withdrawn_at IS NULL "
            "ORDER BY e.exclusion_date",
            [pupil_id],
        )
    )
    labels = {"psp": "PSP", "family": "Family plan"}
    interventions = tuple(
        Intervention(
            r["id"],
            labels.get(r["plan_type"], r["plan_type"]),
            dt.date.fromisoformat(r["start_date"]),
            _date(r["closed_on"]),
        )
        for r in store.db.query(
            "SELECT id, plan_type, start_date, closed_on FROM cases WHERE pupil_id = ? "
            "ORDER BY start_date",
            [pupil_id],
        )
    )
    return Timeline(tuple(points), tuple(spans), exclusions, interventions, store.clock.today())
