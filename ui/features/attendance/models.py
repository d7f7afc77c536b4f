"""Table models for suspensions, exclusions, attendance, support windows, imports and reports.

One QAbstractTableModel per list, with COL_* constants; `set_rows` resets the model; raw
values for sorting are served in UserRole so a QSortFilterProxyModel sorts dates as dates.
"""

from __future__ import annotations

from typing import Any

from semh_desktop.attendance.attendance import AttendanceSnapshot
from semh_desktop.attendance.support_windows import WindowFigures
from semh_desktop.attendance.suspensions import REASONS, PermanentExclusion, Suspension, format_days
from semh_desktop.core.dates import format_date
from semh_desktop.exchange.mis_import.attendance import ImportRow, RowError
from ui.common.table_model import RecordsModel


class SuspensionsModel(RecordsModel[Suspension]):
    COL_START, COL_DAYS, COL_REASON, COL_NOTE, COL_SOURCE = range(5)
    HEADERS = ("Start", "School days", "Reason", "Note", "Entered")

    def display(self, record: Suspension, column: int) -> str:
        if column == self.COL_START:
            return format_date(record.start_date)
        if column == self.COL_DAYS:
            return "0.5 (lunchtime)" if record.is_lunchtime else record.days_text
        if column == self.COL_REASON:
            return REASONS.get(record.reason, record.reason)
        if column == self.COL_NOTE:
            return record.note
        return "Imported" if record.import_batch else "Typed in"

    def sort_key(self, record: Suspension, column: int) -> Any:
        if column == self.COL_START:
            return record.start_date.isoformat()
        if column == self.COL_DAYS:
            return record.half_days
        return self.display(record, column)


class ExclusionsModel(RecordsModel[PermanentExclusion]):
    COL_DATE, COL_REASON, COL_OUTCOME, COL_DECIDED = range(4)
    HEADERS = ("Date", "Reason", "Outcome", "Decided on")

    def display(self, record: PermanentExclusion, column: int) -> str:
        if column == self.COL_DATE:
            return format_date(record.exclusion_date)
        if column == self.COL_REASON:
            return record.reason_label
        if column == self.COL_OUTCOME:
            return record.outcome_label
        return format_date(record.decided_on)

    def sort_key(self, record: PermanentExclusion, column: int) -> Any:
        if column == self.COL_DATE:
            return record.exclusion_date.isoformat()
        if column == self.COL_DECIDED:
            return record.decided_on.isoformat() if record.decided_on else ""
        return self.display(record, column)


class AttendanceModel(RecordsModel[AttendanceSnapshot]):
    COL_DATE, COL_PERCENT, COL_SESSIONS, COL_SOURCE = range(4)
    HEADERS = ("Date", "Attended", "Sessions", "Entered")

    def display(self, record: AttendanceSnapshot, column: int) -> str:
        if column == self.COL_DATE:
            return format_date(record.as_of)
        if column == self.COL_PERCENT:
            flag = " (persistent absence)" if record.persistent_absence else ""
            return f"{record.percent:.1f}%{flag}"
        if column == self.COL_SESSIONS:
            if record.sessions_possible:
                return f"{record.sessions_attended} of {record.sessions_possible}"
            return ""
        return "Imported" if record.import_batch else "Typed in"

    def sort_key(self, record: AttendanceSnapshot, column: int) -> Any:
        if column == self.COL_DATE:
            return record.as_of.isoformat()
        if column == self.COL_PERCENT:
            return record.percent
        return self.display(record, column)


class WindowsModel(RecordsModel[WindowFigures]):
    COL_WINDOW, COL_DATES, COL_SUSPENSIONS, COL_DAYS, COL_START, COL_END = range(6)
    HEADERS = ("Window", "Dates", "Suspensions", "Days", "Attendance at start", "Attendance at end")

    def display(self, record: WindowFigures, column: int) -> str:
        window = record.window
        if column == self.COL_WINDOW:
            return window.label + ("" if window.complete else " (so far)")
        if column == self.COL_DATES:
            return f"{format_date(window.first)} to {format_date(window.last)}"
        if column == self.COL_SUSPENSIONS:
            return str(record.incidents)
        if column == self.COL_DAYS:
            return format_days(record.half_days)
        point = record.attendance_start if column == self.COL_START else record.attendance_end
        return f"{point.percent:.1f}% ({format_date(point.as_of)})" if point else "—"

    def sort_key(self, record: WindowFigures, column: int) -> Any:
        if column in (self.COL_WINDOW, self.COL_DATES):
            return record.window.first.isoformat()
        if column == self.COL_SUSPENSIONS:
            return record.incidents
        if column == self.COL_DAYS:
            return record.half_days
        point = record.attendance_start if column == self.COL_START else record.attendance_end
        return point.percent if point else -1.0


class ImportRowsModel(RecordsModel[ImportRow]):
    COL_LINE, COL_UPN, COL_WHAT = range(3)
    HEADERS = ("Line", "UPN", "Will be added")

    def display(self, record: ImportRow, column: int) -> str:
        if column == self.COL_LINE:
            return str(record.line)
        if column == self.COL_UPN:
            return record.upn
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

    def sort_key(self, record: ImportRow, column: int) -> Any:
        return record.line if column == self.COL_LINE else self.display(record, column)


class ImportErrorsModel(RecordsModel[RowError]):
    COL_LINE, COL_PROBLEM = range(2)
    HEADERS = ("Line", "Problem (this row will not be imported)")

    def display(self, record: RowError, column: int) -> str:
        return str(record.line) if column == self.COL_LINE else record.message

    def sort_key(self, record: RowError, column: int) -> Any:
        return record.line if column == self.COL_LINE else record.message
