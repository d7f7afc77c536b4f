"""Import suspensions or attendance figures for many pupils from one CSV file (an MIS export).

Reading a file writes nothing: `read_import` returns a preview with every valid row and every
bad row's line number and reason. Only when the person accepts the valid rows does
`apply_import` store them, all in one transaction with one audit row for the batch (and one
per record), or none at all.

A file holds one kind of record, recognised from its header row:
- suspensions: UPN, start date, length in school days (0.5 for a lunchtime), reason (our
  category, its wording, or the MIS two-letter code), optional note;
- attendance: UPN, date, and the % attended or the sessions possible and attended.
Column names vary between MIS exports; common spellings are accepted (see COLUMN_NAMES).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from semh_desktop.attendance.attendance import (
    AttendanceDetails,
    attendance_row,
    parse_percent,
    parse_sessions,
    validate_attendance,
)
from semh_desktop.attendance.suspensions import (
    Suspension,
    SuspensionDetails,
    check_against,
    parse_length,
    parse_reason,
    suspension_row,
    suspensions_for_pupil,
    validate_suspension,
)
from semh_desktop.core.dates import parse_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import audit, upn
from semh_desktop.register.access import requires

KINDS = {"suspensions": "Suspensions", "attendance": "Attendance"}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000

# Column -> the header spellings accepted (compared lower-case, punctuation as spaces).
COLUMN_NAMES = {
    "upn": ("upn", "unique pupil number", "pupil upn"),
    "start_date": (
        "start date",
        "start",
        "suspension start",
        "suspension date",
        "first day",
        "date from",
        "from",
    ),
    "length": (
        "days",
        "length",
        "length days",
        "school days",
        "number of days",
        "duration",
        "days suspended",
        "length in days",
    ),
    "reason": ("reason", "category", "reason category", "reason code", "suspension reason"),
    "note": ("note", "notes", "comment", "comments"),
    "as_of": ("as of", "as at", "attendance date", "snapshot date", "date to", "to"),
    "percent": (
        "attendance",
        "attendance %",
        "attendance percent",
        "attendance percentage",
        "percent",
        "percentage",
        "%",
        "% attendance",
        "% attended",
        "attendance pct",
    ),
    "sessions_possible": ("sessions possible", "possible sessions", "possible"),
    "sessions_attended": ("sessions attended", "attended sessions", "attended", "present"),
}
_SUSPENSION_MARKERS = {"length", "reason"}
_ATTENDANCE_MARKERS = {"percent", "sessions_possible", "sessions_attended"}


@dataclass(frozen=True)
class RowError:
    line: int  # line number in the file (the header is line 1)
    message: str

    @property
    def text(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass(frozen=True)
class ImportRow:
    line: int
    pupil_id: str
    upn: str
    suspension: SuspensionDetails | None = None
    attendance: AttendanceDetails | None = None


@dataclass
class ImportPreview:
    kind: str
    file_name: str
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def lines_read(self) -> int:
        return len(self.rows) + len(self.errors)

    @property
    def pupils(self) -> int:
        return len({row.pupil_id for row in self.rows})

    def summary(self) -> str:
        noun = "suspension" if self.kind == "suspensions" else "attendance figure"
        valid = f"{len(self.rows)} valid {noun}{'s' if len(self.rows) != 1 else ''}"
        bad = f"{len(self.errors)} row{'s' if len(self.errors) != 1 else ''} with problems"
        return f"{valid} for {self.pupils} pupil{'s' if self.pupils != 1 else ''}; {bad}."


@dataclass(frozen=True)
class ImportResult:
    batch_id: str
    imported: int
    skipped: int
    pupils: int


def _header_key(text: str) -> str:
    cleaned = text.replace("\ufeff", "").casefold()
    cleaned = re.sub(r"[_\-/().:]+", " ", cleaned)
    return " ".join(cleaned.split())


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ValidationError("The file is larger than 10 MB; is it the right file?", field="file")
    if b"\x00" in data:
        raise ValidationError(
            "This is not a CSV text file (it contains binary data).", field="file"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "The file's text cannot be read: save it as CSV (UTF-8) and try again.", field="file"
    )


def _columns(header: list[str]) -> tuple[str, dict[str, int]]:
    """The kind of file and where each known column is; refuses a header it cannot place."""
    keys = [_header_key(cell) for cell in header]
    found: dict[str, int] = {}
    for column, names in COLUMN_NAMES.items():
        for position, key in enumerate(keys):
            if key in names and column not in found:
                found[column] = position
                break
    is_suspensions = bool(_SUSPENSION_MARKERS & found.keys())
    is_attendance = bool(_ATTENDANCE_MARKERS & found.keys())
    if is_suspensions == is_attendance:
        raise ValidationError(
            "The first row must name the columns: for suspensions UPN, Start date, Days, "
            "Reason (and Note); for attendance UPN, Date and Attendance % (or Sessions "
            "possible and Sessions attended).",
            field="file",
        )
    kind = "suspensions" if is_suspensions else "attendance"
    date_column = "start_date" if is_suspensions else "as_of"
    if date_column not in found and "date" in keys:
        found[date_column] = keys.index("date")
    needed = ["upn", "start_date", "length", "reason"] if is_suspensions else ["upn", "as_of"]
    missing = [c for c in needed if c not in found]
    if (
        not is_suspensions
        and "percent" not in found
        and not ({"sessions_possible", "sessions_attended"} <= found.keys())
    ):
        missing.append("percent")
    if missing:
        words = {
            "upn": "UPN",
            "start_date": "Start date",
            "length": "Days",
            "reason": "Reason",
            "as_of": "Date",
            "percent": "Attendance %",
        }
        raise ValidationError(
            f"The {KINDS[kind].lower()} file has no column for: "
            + ", ".join(words[c] for c in missing)
            + ".",
            field="file",
        )
    return kind, found


def _cell(row: list[str], found: dict[str, int], column: str) -> str:
    position = found.get(column)
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


class _Pupils:
    """UPN -> pupil id, read once per import."""

    def __init__(self, store: Store) -> None:
        self.by_upn = {
            str(r["upn"]): (str(r["id"]), r["archived_at"])
            for r in store.db.query("SELECT id, upn, archived_at FROM pupils")
        }

    def find(self, text: str) -> tuple[str, str]:
        if not text:
            raise ValidationError("The UPN is empty.", field="upn")
        normal = upn.normalise(text)
        found = self.by_upn.get(normal)
        if found is None:
            raise ValidationError(
                f"No pupil with UPN {normal[:20]} is in this database.", field="upn"
            )
        if found[1]:
            raise ValidationError(
                f"The pupil with UPN {normal} is archived; restore the record first.", field="upn"
            )
        return found[0], normal


def _suspension(row: list[str], found: dict[str, int]) -> SuspensionDetails:
    problems = []
    details = SuspensionDetails(note=_cell(row, found, "note"))
    try:
        details.start_date = parse_date(_cell(row, found, "start_date") or "(empty)")
    except ValidationError as exc:
        problems.append(exc.message)
    try:
        details.half_days = parse_length(_cell(row, found, "length") or "(empty)")
    except ValidationError as exc:
        problems.append(exc.message)
    try:
        details.reason = parse_reason(_cell(row, found, "reason"))
    except ValidationError as exc:
        problems.append(exc.message)
    if problems:
        raise ValidationError(" ".join(problems))
    return details


def _attendance(row: list[str], found: dict[str, int]) -> AttendanceDetails:
    problems = []
    details = AttendanceDetails()
    try:
        details.as_of = parse_date(_cell(row, found, "as_of") or "(empty)")
    except ValidationError as exc:
        problems.append(exc.message)
    for column in ("sessions_possible", "sessions_attended"):
        text = _cell(row, found, column)
        if text:
            try:
                setattr(details, column, parse_sessions(text, field=column))
            except ValidationError as exc:
                problems.append(exc.message)
    text = _cell(row, found, "percent")
    if text:
        try:
            details.percent = parse_percent(text)
        except ValidationError as exc:
            problems.append(exc.message)
    if problems:
        raise ValidationError(" ".join(problems))
    return details


def read_import(store: Store, data: bytes, *, file_name: str = "") -> ImportPreview:
    """Check every row of the file; nothing is written. Whole-file problems raise."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise ValidationError("The file is empty.", field="file")
        kind, found = _columns(header)
        preview = ImportPreview(kind, file_name)
        pupils = _Pupils(store)
        earlier: dict[str, list[Suspension | SuspensionDetails]] = {}
        dates_taken: dict[str, set[dt.date]] = {}
        previous_end = reader.line_num
        for row in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if preview.lines_read >= MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {MAX_ROWS} rows; split it.", field="file"
                )
            try:
                pupil_id, normal = pupils.find(_cell(row, found, "upn"))
                if kind == "suspensions":
                    details = _suspension(row, found)
                    others = earlier.get(pupil_id)
                    if others is None:
                        others = earlier[pupil_id] = list(suspensions_for_pupil(store, pupil_id))
                    errors = validate_suspension(store, pupil_id, details, others=others)
                    if errors:
                        raise ValidationError(" ".join(dict.fromkeys(errors.values())))
                    others.append(details)
                    preview.rows.append(ImportRow(line, pupil_id, normal, suspension=details))
                else:
                    figure = _attendance(row, found)
                    taken = dates_taken.get(pupil_id)
                    if taken is None:
                        taken = dates_taken[pupil_id] = {
                            dt.date.fromisoformat(str(r["as_of"]))
                            for r in store.db.query(
                                "SELECT as_of FROM attendance_snapshots WHERE pupil_id = ? "
                                "AND withdrawn_at IS NULL",
                                [pupil_id],
                            )
                        }
                    errors = validate_attendance(store, pupil_id, figure, taken_dates=taken)
                    if errors:
                        raise ValidationError(" ".join(dict.fromkeys(errors.values())))
                    assert figure.as_of is not None
                    taken.add(figure.as_of)
                    preview.rows.append(ImportRow(line, pupil_id, normal, attendance=figure))
            except ValidationError as exc:
                preview.errors.append(RowError(line, exc.message))
    except csv.Error as exc:
        raise ValidationError(
            f"The file is not valid CSV near line {reader.line_num} ({exc}).", field="file"
        ) from None
    return preview


@requires("import")
def apply_import(store: Store, preview: ImportPreview) -> ImportResult:
    """Store the preview's valid rows in one transaction (all of them or none) and audit it."""
    if not preview.rows:
        raise ValidationError("There are no valid rows to import.", field="file")
    batch = new_id()
    record_type = "suspension" if preview.kind == "suspensions" else "attendance"
    with store.atomic():
        by_pupil: dict[str, list[ImportRow]] = defaultdict(list)
        for row in preview.rows:
            by_pupil[row.pupil_id].append(row)
        for pupil_id, rows in by_pupil.items():
            if preview.kind == "suspensions":
                # Checked again: the database may have changed since the preview.
                existing: list[Suspension | SuspensionDetails] = list(
                    suspensions_for_pupil(store, pupil_id)
                )
                for row in rows:
                    assert row.suspension is not None
                    if check_against(row.suspension, existing):
                        raise ValidationError(
                            f"Line {row.line} no longer fits (a suspension was added since the "
                            "file was checked). Nothing was imported; check the file again."
                        )
                    existing.append(row.suspension)
                    record = suspension_row(store, pupil_id, row.suspension, batch)
                    store.db.table("suspensions").insert(record)
                    audit.record(
                        store,
                        "create",
                        "suspension",
                        record["id"],
                        f"pupil {pupil_id}; imported, batch {batch}",
                        pupil_id=pupil_id,
                    )
            else:
                for row in rows:
                    assert row.attendance is not None
                    if validate_attendance(store, pupil_id, row.attendance):
                        raise ValidationError(
                            f"Line {row.line} no longer fits (a figure was added since the "
                            "file was checked). Nothing was imported; check the file again."
                        )
                    record = attendance_row(store, pupil_id, row.attendance, batch)
                    store.db.table("attendance_snapshots").insert(record)
                    audit.record(
                        store,
                        "create",
                        "attendance",
                        record["id"],
                        f"pupil {pupil_id}; imported, batch {batch}",
                        pupil_id=pupil_id,
                    )
        audit.record(
            store,
            "import",
            f"{record_type}_csv",
            batch,
            f"rows imported: {len(preview.rows)}; rows refused: "
            f"{len(preview.errors)}; pupils: {preview.pupils}",
        )
    return ImportResult(batch, len(preview.rows), len(preview.errors), preview.pupils)
