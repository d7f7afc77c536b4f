"""Table models for suspensions, exclusions, attendance, support windows, imports and reports.

Each list is a tuple of `Column`s over one record type (`ui.common.table_model`), with COL_*
constants; raw values for sorting (ISO dates, numbers) are ranked into SORT_ROLE so the proxy
sorts dates as dates. Text columns sort on their text as shown (not casefolded), as before.
"""

from __future__ import annotations

from semh_desktop.attendance.attendance import AttendanceSnapshot
from semh_desktop.attendance.support_windows import WindowFigures
from semh_desktop.attendance.suspensions import REASONS, PermanentExclusion, Suspension, format_days
from semh_desktop.core.dates import format_date
from semh_desktop.exchange.mis_import.attendance import ImportRow, RowError
from ui.common.table_model import Column, RowsModel


def _entered(record: Suspension | AttendanceSnapshot) -> str:
    return "Imported" if record.import_batch else "Typed in"


def _suspension_reason(record: Suspension) -> str:
    return REASONS.get(record.reason, record.reason)


def _suspension_note(record: Suspension) -> str:
    return record.note


class SuspensionsModel(RowsModel[Suspension]):
    COL_START, COL_DAYS, COL_REASON, COL_NOTE, COL_SOURCE = range(5)
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[Suspension](
            "Start", lambda r: format_date(r.start_date), lambda r: r.start_date.isoformat()
        ),
        Column[Suspension](
            "School days",
            lambda r: "0.5 (lunchtime)" if r.is_lunchtime else r.days_text,
            lambda r: r.half_days,
        ),
        Column[Suspension]("Reason", _suspension_reason, _suspension_reason),
        Column[Suspension]("Note", _suspension_note, _suspension_note),
        Column[Suspension]("Entered", _entered, _entered),
    )


def _exclusion_reason(record: PermanentExclusion) -> str:
    return record.reason_label


def _exclusion_outcome(record: PermanentExclusion) -> str:
    return record.outcome_label


class ExclusionsModel(RowsModel[PermanentExclusion]):
    COL_DATE, COL_REASON, COL_OUTCOME, COL_DECIDED = range(4)
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[PermanentExclusion](
            "Date", lambda r: format_date(r.exclusion_date), lambda r: r.exclusion_date.isoformat()
        ),
        Column[PermanentExclusion]("Reason", _exclusion_reason, _exclusion_reason),
        Column[PermanentExclusion]("Outcome", _exclusion_outcome, _exclusion_outcome),
        Column[PermanentExclusion](
            "Decided on",
            lambda r: format_date(r.decided_on),
            lambda r: r.decided_on.isoformat() if r.decided_on else "",
        ),
    )


def _attended(record: AttendanceSnapshot) -> str:
    flag = " (persistent absence)" if record.persistent_absence else ""
    return f"{record.percent:.1f}%{flag}"


def _sessions(record: AttendanceSnapshot) -> str:
    if record.sessions_possible:
        return f"{record.sessions_attended} of {record.sessions_possible}"
    return ""


class AttendanceModel(RowsModel[AttendanceSnapshot]):
    COL_DATE, COL_PERCENT, COL_SESSIONS, COL_SOURCE = range(4)
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[AttendanceSnapshot](
            "Date", lambda r: format_date(r.as_of), lambda r: r.as_of.isoformat()
        ),
        Column[AttendanceSnapshot]("Attended", _attended, lambda r: r.percent),
        Column[AttendanceSnapshot]("Sessions", _sessions, _sessions),
        Column[AttendanceSnapshot]("Entered", _entered, _entered),
    )


def _window_point(record: WindowFigures, at_end: bool) -> str:
    point = record.attendance_end if at_end else record.attendance_start
    return f"{point.percent:.1f}% ({format_date(point.as_of)})" if point else "—"


def _window_percent(record: WindowFigures, at_end: bool) -> float:
    point = record.attendance_end if at_end else record.attendance_start
    return point.percent if point else -1.0


class WindowsModel(RowsModel[WindowFigures]):
    COL_WINDOW, COL_DATES, COL_SUSPENSIONS, COL_DAYS, COL_START, COL_END = range(6)
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[WindowFigures](
            "Window",
            lambda r: r.window.label + ("" if r.window.complete else " (so far)"),
            lambda r: r.window.first.isoformat(),
        ),
        Column[WindowFigures](
            "Dates",
            lambda r: f"{format_date(r.window.first)} to {format_date(r.window.last)}",
            lambda r: r.window.first.isoformat(),
        ),
        Column[WindowFigures]("Suspensions", lambda r: str(r.incidents), lambda r: r.incidents),
        Column[WindowFigures]("Days", lambda r: format_days(r.half_days), lambda r: r.half_days),
        Column[WindowFigures](
            "Attendance at start",
            lambda r: _window_point(r, at_end=False),
            lambda r: _window_percent(r, at_end=False),
        ),
        Column[WindowFigures](
            "Attendance at end",
            lambda r: _window_point(r, at_end=True),
            lambda r: _window_percent(r, at_end=True),
        ),
    )


def _will_be_added(record: ImportRow) -> str:
    if record.suspension is not None:
        s = record.suspension
        days = format_days(s.half_days or 0)
        return (
            f"Suspension from {format_date(s.start_date)}, {days} day(s), "
            f"{REASONS.get(s.reason, s.reason)}"
        )
    a = record.attendance
    assert a is not None
    return f"Attendance {a.resolved_percent():.1f}% on {format_date(a.as_of)}"


def _upn(record: ImportRow) -> str:
    return record.upn


class ImportRowsModel(RowsModel[ImportRow]):
    COL_LINE, COL_UPN, COL_WHAT = range(3)
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[ImportRow]("Line", lambda r: str(r.line), lambda r: r.line),
        Column[ImportRow]("UPN", _upn, _upn),
        Column[ImportRow]("Will be added", _will_be_added, _will_be_added),
    )


class ImportErrorsModel(RowsModel[RowError]):
    COL_LINE, COL_PROBLEM = range(2)
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[RowError]("Line", lambda r: str(r.line), lambda r: r.line),
        Column[RowError](
            "Problem (this row will not be imported)", lambda r: r.message, lambda r: r.message
        ),
    )
