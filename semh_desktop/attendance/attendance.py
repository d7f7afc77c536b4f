"""Attendance snapshots: the % of possible sessions a pupil attended, as the MIS reports it.

A snapshot is dated (usually the year-to-date figure on that day) and holds either the
percentage alone or the sessions possible and attended it came from (the % is then worked
out here). Persistent absence is attendance below 90%. One figure per pupil per date; a wrong
figure is withdrawn (kept, not counted) and entered again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from semh_desktop.attendance.suspensions import now_text, raise_first, require_pupil, withdraw_row
from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import audit
from semh_desktop.register.access import requires

PERSISTENT_ABSENCE_BELOW = 90.0  # % of sessions attended
AGREEMENT_TOLERANCE = 0.5  # a typed % may differ from the sessions' % by rounding only


@dataclass
class AttendanceDetails:
    as_of: dt.date | None = None
    percent: float | None = None
    sessions_possible: int | None = None
    sessions_attended: int | None = None
    note: str = ""

    def resolved_percent(self) -> float | None:
        """The % that is stored: from the sessions when given, else the typed %."""
        if self.sessions_possible and self.sessions_attended is not None:
            return round(100 * self.sessions_attended / self.sessions_possible, 1)
        return None if self.percent is None else round(self.percent, 1)


@dataclass(frozen=True)
class AttendanceSnapshot:
    id: str
    pupil_id: str
    as_of: dt.date
    percent: float
    sessions_possible: int | None
    sessions_attended: int | None
    note: str
    import_batch: str | None

    @property
    def persistent_absence(self) -> bool:
        return self.percent < PERSISTENT_ABSENCE_BELOW

    @property
    def label(self) -> str:
        sessions = (
            f" ({self.sessions_attended} of {self.sessions_possible} sessions)"
            if self.sessions_possible
            else ""
        )
        return f"{format_date(self.as_of)}: {self.percent:.1f}%{sessions}"


def parse_percent(text: str, *, field: str = "percent") -> float:
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValidationError(
            f"'{text.strip()}' is not a percentage. Write it like 93.5.", field=field
        ) from None
    if value != value or not 0 <= value <= 100:  # NaN fails both comparisons
        raise ValidationError("Attendance is a percentage from 0 to 100.", field=field)
    return value


def parse_sessions(text: str, *, field: str) -> int:
    cleaned = text.strip()
    if not re.fullmatch(r"[0-9]{1,6}", cleaned):
        raise ValidationError(
            f"'{cleaned}' is not a number of sessions (a whole number).", field=field
        )
    return int(cleaned)


def validate_attendance(
    store: Store,
    pupil_id: str | None,
    details: AttendanceDetails,
    *,
    taken_dates: set[dt.date] | None = None,
) -> dict[str, str]:
    """Every problem at once, keyed by field (as_of, percent, sessions_possible, ...)."""
    errors: dict[str, str] = {}
    if details.as_of is None:
        errors["as_of"] = "Enter the date of the attendance figure as dd/mm/yyyy."
    elif details.as_of > store.clock.today():
        errors["as_of"] = "The attendance date cannot be in the future."
    elif details.as_of.year < 2000:
        errors["as_of"] = "Check the year of the attendance date."
    possible, attended = details.sessions_possible, details.sessions_attended
    if (possible is None) != (attended is None):
        field = "sessions_attended" if attended is None else "sessions_possible"
        errors[field] = "Enter both the sessions possible and the sessions attended, or neither."
    elif possible is not None and attended is not None:
        if possible <= 0:
            errors["sessions_possible"] = "Sessions possible must be more than 0."
        elif attended < 0 or attended > possible:
            errors["sessions_attended"] = (
                "Sessions attended must be from 0 to the sessions possible."
            )
        elif (
            details.percent is not None
            and abs(100 * attended / possible - details.percent) > AGREEMENT_TOLERANCE
        ):
            errors["percent"] = (
                f"The sessions give {100 * attended / possible:.1f}%, not "
                f"{details.percent:g}%. Check the figures, or leave the % empty."
            )
    elif details.percent is None:
        errors["percent"] = (
            "Enter the % of sessions attended, or the sessions possible and attended."
        )
    if details.percent is not None and not 0 <= details.percent <= 100:
        errors["percent"] = "Attendance is a percentage from 0 to 100."
    if len(details.note) > 500:
        errors["note"] = "Keep the note under 500 characters."
    if "as_of" not in errors and details.as_of is not None:
        if taken_dates is None and pupil_id is not None:
            taken_dates = {s.as_of for s in attendance_for_pupil(store, pupil_id)}
        if details.as_of in (taken_dates or set()):
            errors["as_of"] = (
                f"There is already an attendance figure for {format_date(details.as_of)}. "
                "Remove that one first if it is wrong."
            )
    return errors


def _snapshot(row: dict[str, Any]) -> AttendanceSnapshot:
    return AttendanceSnapshot(
        id=row["id"],
        pupil_id=row["pupil_id"],
        as_of=dt.date.fromisoformat(row["as_of"]),
        percent=float(row["percent"]),
        sessions_possible=row["sessions_possible"],
        sessions_attended=row["sessions_attended"],
        note=row["note"],
        import_batch=row["import_batch"],
    )


def attendance_for_pupil(store: Store, pupil_id: str) -> list[AttendanceSnapshot]:
    """The pupil's attendance figures in date order (withdrawn ones left out)."""
    rows = store.db.query(
        "SELECT * FROM attendance_snapshots WHERE pupil_id = ? AND withdrawn_at IS NULL "
        "ORDER BY as_of",
        [pupil_id],
    )
    return [_snapshot(row) for row in rows]


def get_attendance(store: Store, snapshot_id: str) -> AttendanceSnapshot:
    rows = list(store.db.query("SELECT * FROM attendance_snapshots WHERE id = ?", [snapshot_id]))
    if not rows:
        raise NotFound("That attendance figure is not in this database.")
    return _snapshot(rows[0])


def attendance_row(
    store: Store, pupil_id: str, details: AttendanceDetails, import_batch: str | None = None
) -> dict[str, Any]:
    assert details.as_of is not None
    return {
        "id": new_id(),
        "pupil_id": pupil_id,
        "as_of": details.as_of.isoformat(),
        "percent": details.resolved_percent(),
        "sessions_possible": details.sessions_possible,
        "sessions_attended": details.sessions_attended,
        "note": details.note.strip(),
        "import_batch": import_batch,
        "created_at": now_text(store),
        "created_by": store.staff_id,
    }


@requires("casework")
def record_attendance(
    store: Store, pupil_id: str, details: AttendanceDetails
) -> AttendanceSnapshot:
    require_pupil(store, pupil_id)
    with store.atomic():
        raise_first(validate_attendance(store, pupil_id, details))
        row = attendance_row(store, pupil_id, details)
        store.db.table("attendance_snapshots").insert(row)
        audit.record(
            store,
            "create",
            "attendance",
            row["id"],
            f"pupil {pupil_id}; {'sessions' if details.sessions_possible else 'percent'}",
            pupil_id=pupil_id,
        )
    return get_attendance(store, row["id"])


@requires("casework")
def withdraw_attendance(store: Store, snapshot_id: str, reason: str) -> None:
    withdraw_row(store, "attendance_snapshots", "attendance", snapshot_id, reason)
