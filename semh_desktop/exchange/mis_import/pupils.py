"""Importing pupils from the school's MIS: a CSV export or a DfE Common Transfer File.

Read the file, preview every change without writing anything, then apply the valid rows in one
transaction.

Rules a person can rely on:
- a pupil is matched by UPN, then by former UPN (CTF), then by legal name and date of birth
  (with a warning, because the UPN will change);
- an update only sets what the file carries: a column the file lacks, or an empty cell, leaves
  the stored value alone, and a pupil whose carried values already match is not written at all;
- a row with any error is left out, and the preview says which line, which field and why;
- new pupils join the SEMH register only when the person asks (a MIS export is the whole school);
- the whole import is one transaction, audited with its counts; cancelling changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import.csv_pupils import (
    CsvTable,
    check_mapping,
    read_csv,
    records,
    remember_mapping,
    suggested_mapping,
)
from semh_desktop.exchange.mis_import.ctf import CtfFile, read_ctf
from semh_desktop.exchange.mis_import.fields import (
    CancelCheck,
    ImportCancelled,
    Progress,
    SourceRecord,
    check_cancel,
    label,
    read_value,
)
from semh_desktop.register import audit, pupils, upn
from semh_desktop.register.access import requires
from semh_desktop.register.pupils import PupilDetails

__all__ = [
    "ImportCancelled",
    "ImportOutOfDate",
    "ImportPreview",
    "ImportResult",
    "PlannedPupil",
    "RowProblem",
    "apply_import",
    "preview_import",
    "preview_records",
    "read_import_file",
    "read_source",
]

MAX_FILE_BYTES = 50 * 1024 * 1024  # a whole-school export is well under 5 MB
REQUIRED_FOR_NEW = ("upn", "legal_surname", "legal_forename", "date_of_birth", "year_group")
COMPARED = tuple(f.name for f in dataclasses.fields(PupilDetails) if f.name != "on_semh_register")
ImportSource = CsvTable | CtfFile


class ImportOutOfDate(SemhError):
    """Pupils changed between the preview and the import."""


@dataclass(frozen=True)
class RowProblem:
    """An error (the row is not imported) or a warning (it is), at a line or CTF pupil."""

    where: str
    field: str  # a field name, or "row" / "file"
    reason: str
    upn: str = ""
    line: int | None = None
    index: int | None = None

    @property
    def field_label(self) -> str:
        return label(self.field)

    def describe(self) -> str:
        upn_part = f", UPN {self.upn}" if self.upn else ""
        return f"{self.where}{upn_part}: {self.field_label}: {self.reason}"


@dataclass(frozen=True)
class PlannedPupil:
    """One valid row: the pupil as it will be stored, and what changes."""

    where: str
    details: PupilDetails
    pupil_id: str | None  # None for a new pupil
    changed: tuple[str, ...]  # field names that change (empty for new and unchanged pupils)
    matched_by: str  # "new", "upn", "former_upn" or "name_and_dob"
    stored_updated_at: str | None = None
    line: int | None = None
    index: int | None = None

    @property
    def upn(self) -> str:
        return self.details.upn

    @property
    def changed_labels(self) -> tuple[str, ...]:
        return tuple(label(name) for name in self.changed)


@dataclass(frozen=True)
class ImportPreview:
    source_name: str
    description: str
    new: tuple[PlannedPupil, ...]
    updated: tuple[PlannedPupil, ...]
    unchanged: tuple[PlannedPupil, ...]
    errors: tuple[RowProblem, ...]
    warnings: tuple[RowProblem, ...]
    error_rows: int
    on_register: bool
    headers: tuple[str, ...] | None = None  # CSV only: remembered with the mapping on import
    mapping: tuple[str, ...] | None = None

    @property
    def to_write(self) -> int:
        return len(self.new) + len(self.updated)

    @property
    def counts(self) -> str:
        return (
            f"created {len(self.new)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, errors {self.error_rows}"
        )


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    error_rows: int
    pupil_ids: tuple[str, ...]  # every pupil created or updated

    @property
    def detail(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, errors {self.error_rows}"
        )


# -- reading a file ----------------------------------------------------------------------------


def _looks_like_xml(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def read_source(data: bytes, name: str = "the file") -> ImportSource:
    """A CSV export or a CTF, told apart by the extension or by the first character."""
    if name.lower().endswith(".xml") or _looks_like_xml(data):
        return read_ctf(data, name)
    return read_csv(data, name)


def read_import_file(path: Path) -> ImportSource:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError(
                f"{path.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, far bigger than "
                "a whole-school export; check it is the right file.",
                field="file",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"{path.name} cannot be read ({exc.strerror or exc}).", field="file"
        ) from None
    return read_source(data, path.name)


def describe_source(source: ImportSource) -> str:
    if isinstance(source, CsvTable):
        return (
            f"{source.name}: CSV, {len(source.rows)} rows, {source.separator_name}-separated, "
            f"{source.encoding}"
        )
    count = len(source.pupils)
    return (
        f"{source.name}: Common Transfer File from {source.header.describe()}, "
        f"{count} pupil{'' if count == 1 else 's'}"
    )


# -- the preview -------------------------------------------------------------------------------


@dataclass
class _Stored:
    """The few columns matching needs, for every pupil in the database (one query)."""

    by_upn: dict[str, str]
    by_name_dob: dict[tuple[str, str, str], list[str]]
    updated_at: dict[str, str]
    archived: set[str]

    @classmethod
    def load(cls, store: Store) -> _Stored:
        stored = cls({}, defaultdict(list), {}, set())
        for row in store.db.query(
            "SELECT id, upn, legal_surname, legal_forename, date_of_birth, archived_at, updated_at "
            "FROM pupils"
        ):
            stored.by_upn[row["upn"]] = row["id"]
            key = _name_key(row["legal_surname"], row["legal_forename"], row["date_of_birth"])
            stored.by_name_dob[key].append(row["id"])
            stored.updated_at[row["id"]] = row["updated_at"]
            if row["archived_at"]:
                stored.archived.add(row["id"])
        return stored


def _name_key(surname: str, forename: str, dob: str) -> tuple[str, str, str]:
    return (" ".join(surname.split()).casefold(), " ".join(forename.split()).casefold(), dob)


@dataclass
class _Outcome:
    record: SourceRecord
    plan: PlannedPupil | None = None
    errors: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    warnings: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def _merge(base: PupilDetails, parsed: dict[str, object]) -> PupilDetails:
    """The pupil with the file's values laid over the stored ones (never clearing a field)."""
    changes = {
        name: value for name, value in parsed.items() if name in COMPARED and value is not None
    }
    if parsed.get("first_language") is not None and "eal" not in parsed:
        changes["eal"] = parsed["first_language"]
    if "looked_after" in parsed and "social_care" not in parsed:
        if parsed["looked_after"]:
            changes["social_care"] = "CLA"
        elif base.social_care == "CLA":
            changes["social_care"] = ""  # no longer looked after; CIN or CP stay as recorded
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _plan_row(store: Store, stored: _Stored, record: SourceRecord, on_register: bool) -> _Outcome:
    outcome = _Outcome(record, errors=list(record.problems))
    parsed: dict[str, object] = {}
    for name, text in record.values.items():
        try:
            parsed[name] = read_value(name, text)
        except ValidationError as exc:
            outcome.errors.append((exc.field or name, exc.message))
    if outcome.errors:
        return outcome

    pupil_id, matched_by = None, "new"
    file_upn = str(parsed.get("upn") or "")
    former_upn = str(parsed.get("former_upn") or "")
    if file_upn and file_upn in stored.by_upn:
        pupil_id, matched_by = stored.by_upn[file_upn], "upn"
    elif former_upn and former_upn in stored.by_upn:
        pupil_id, matched_by = stored.by_upn[former_upn], "former_upn"
        outcome.warnings.append(
            (
                "upn",
                "Matched by the former UPN: the pupil's UPN will change to the one in the file.",
            )
        )
    elif all(
        isinstance(parsed.get(n), str | dt.date)
        for n in ("legal_surname", "legal_forename", "date_of_birth")
    ):
        dob = parsed["date_of_birth"]
        assert isinstance(dob, dt.date)
        key = _name_key(
            str(parsed["legal_surname"]), str(parsed["legal_forename"]), dob.isoformat()
        )
        found = stored.by_name_dob.get(key, [])
        if len(found) > 1:
            outcome.errors.append(
                (
                    "upn",
                    "More than one pupil in the database has this legal name "
                    "and date of birth; give the UPN to tell them apart.",
                )
            )
            return outcome
        if found:
            pupil_id, matched_by = found[0], "name_and_dob"
            outcome.warnings.append(
                (
                    "upn",
                    "Matched by legal name and date of birth, not by UPN"
                    + (
                        ": the pupil's UPN will change to the one in the file. "
                        if file_upn
                        else ". "
                    )
                    + "Check this is the same pupil.",
                )
            )

    if pupil_id is None:
        missing = [name for name in REQUIRED_FOR_NEW if name not in parsed]
        for name in missing:
            outcome.errors.append(
                (
                    name,
                    f"The {label(name).lower() if name != 'upn' else 'UPN'} "
                    "is missing; a new pupil needs one.",
                )
            )
        if missing:
            return outcome
        before = None
        base = PupilDetails(on_semh_register=on_register)
    else:
        before = pupils.get_pupil(store, pupil_id)
        base = before.details
        if pupil_id in stored.archived:
            outcome.warnings.append(
                ("row", "This pupil is archived: the record is updated but stays archived.")
            )
    details = _merge(base, parsed)
    checked = pupils.validate(store, details, pupil_id=pupil_id)
    outcome.errors.extend(checked.errors.items())
    # A warning about a value already stored (an unknown LA code in a known UPN) is old news.
    outcome.warnings.extend(
        (name, warning)
        for name, warning in checked.warnings.items()
        if before is None or getattr(before.details, name, None) != getattr(details, name, None)
    )
    if outcome.errors:
        return outcome
    details = dataclasses.replace(details, upn=checked.upn)
    changed = (
        ()
        if before is None
        else tuple(
            name for name in COMPARED if getattr(before.details, name) != getattr(details, name)
        )
    )
    outcome.plan = PlannedPupil(
        record.where,
        details,
        pupil_id,
        changed,
        matched_by,
        stored.updated_at.get(pupil_id) if pupil_id else None,
        record.line,
        record.index,
    )
    return outcome


def _mark_duplicates(outcomes: list[_Outcome]) -> None:
    """Two rows for one pupil cannot both be right: neither is imported."""
    by_upn: dict[str, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        file_upn = upn.normalise(outcome.record.values.get("upn", ""))
        if file_upn:
            by_upn[file_upn].append(outcome)
    for group in by_upn.values():
        if len(group) > 1:
            places = ", ".join(o.record.where for o in group)
            for outcome in group:
                outcome.errors.append(
                    ("upn", f"The UPN appears more than once in the file ({places}).")
                )
                outcome.plan = None
    by_pupil: dict[str, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.plan is not None and outcome.plan.pupil_id:
            by_pupil[outcome.plan.pupil_id].append(outcome)
    for group in by_pupil.values():
        if len(group) > 1:
            places = ", ".join(o.record.where for o in group)
            for outcome in group:
                outcome.errors.append(("row", f"Several rows match the same pupil ({places})."))
                outcome.plan = None


def preview_records(
    store: Store,
    source_records: Sequence[SourceRecord],
    *,
    source_name: str = "the file",
    description: str = "",
    on_register: bool = False,
    headers: tuple[str, ...] | None = None,
    mapping: tuple[str, ...] | None = None,
    file_warnings: Sequence[RowProblem] = (),
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> ImportPreview:
    """What importing these records would do. Reads the database; never writes to it."""
    stored = _Stored.load(store)
    total = len(source_records)
    outcomes = []
    for done, record in enumerate(source_records, start=1):
        check_cancel(cancelled)
        outcomes.append(_plan_row(store, stored, record, on_register))
        if progress is not None and (done % 25 == 0 or done == total):
            progress(done, total)
    _mark_duplicates(outcomes)

    new: list[PlannedPupil] = []
    updated: list[PlannedPupil] = []
    unchanged: list[PlannedPupil] = []
    errors: list[RowProblem] = []
    warnings = list(file_warnings)
    for outcome in outcomes:
        record = outcome.record
        place = (record.upn, record.line, record.index)
        if outcome.errors or outcome.plan is None:
            errors.extend(
                RowProblem(record.where, name, reason, *place)
                for name, reason in dict.fromkeys(outcome.errors)
            )
            continue
        warnings.extend(
            RowProblem(record.where, name, reason, *place) for name, reason in outcome.warnings
        )
        plan = outcome.plan
        (new if plan.pupil_id is None else updated if plan.changed else unchanged).append(plan)
    return ImportPreview(
        source_name,
        description,
        tuple(new),
        tuple(updated),
        tuple(unchanged),
        tuple(errors),
        tuple(warnings),
        sum(1 for o in outcomes if o.errors or o.plan is None),
        on_register,
        headers,
        mapping,
    )


def preview_import(
    store: Store,
    source: ImportSource,
    *,
    mapping: Sequence[str] | None = None,
    on_register: bool = False,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> ImportPreview:
    """Preview a file read by `read_source`: for a CSV, with `mapping` or the suggested one."""
    if isinstance(source, CsvTable):
        if mapping is None:
            mapping = suggested_mapping(store, source.headers).fields
        fields = tuple(mapping)
        if len(fields) != len(source.headers):
            raise ValidationError(
                "The mapping does not have one field per column.", field="mapping"
            )
        check_mapping(source.headers, fields)
        return preview_records(
            store,
            records(source, fields),
            source_name=source.name,
            description=describe_source(source),
            on_register=on_register,
            headers=source.headers,
            mapping=fields,
            progress=progress,
            cancelled=cancelled,
        )
    file_warnings = []
    if source.header.la_warning:
        file_warnings.append(RowProblem("file header", "la", source.header.la_warning))
    return preview_records(
        store,
        source.pupils,
        source_name=source.name,
        description=describe_source(source),
        on_register=on_register,
        file_warnings=file_warnings,
        progress=progress,
        cancelled=cancelled,
    )


# -- applying it -------------------------------------------------------------------------------


@requires("import")
def apply_import(
    store: Store,
    preview: ImportPreview,
    *,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> ImportResult:
    """Write every valid row of the preview in one transaction, or nothing at all."""
    total = preview.to_write
    written: list[str] = []
    with store.atomic():
        for plan in preview.new:
            check_cancel(cancelled)
            written.append(pupils.add_pupil(store, plan.details).id)
            if progress is not None:
                progress(len(written), total)
        for plan in preview.updated:
            check_cancel(cancelled)
            assert plan.pupil_id is not None
            now = list(
                store.db.query("SELECT updated_at FROM pupils WHERE id = ?", [plan.pupil_id])
            )
            if not now or now[0]["updated_at"] != plan.stored_updated_at:
                raise ImportOutOfDate(
                    f"A pupil in the file ({plan.where}) was changed after the preview was made. "
                    "Nothing was imported; preview the file again."
                )
            pupils.update_pupil(store, plan.pupil_id, plan.details)
            written.append(plan.pupil_id)
            if progress is not None:
                progress(len(written), total)
        if preview.headers is not None and preview.mapping is not None:
            remember_mapping(store, preview.headers, preview.mapping)
        result = ImportResult(
            len(preview.new),
            len(preview.updated),
            len(preview.unchanged),
            preview.error_rows,
            tuple(written),
        )
        # A batch: any pupil on the caseload may have changed, so every screen re-reads.
        audit.record(store, "import", "pupil", None, result.detail, everyone=True)
        check_cancel(cancelled)  # the last moment a cancel can still undo everything
    return result


# -- the same preview in words (the command line prints it) -------------------------------------


def preview_lines(preview: ImportPreview) -> list[str]:
    """The preview for a person: counts, each update's changed fields, each error with its place.

    Only UPNs and places in the file are printed, never names or other personal values.
    """
    lines = [f"Read {preview.description or preview.source_name}."]
    lines.append(
        f"New pupils: {len(preview.new)}"
        + (
            " (they will join the SEMH register)"
            if preview.on_register and preview.new
            else " (they will not be on the SEMH register)"
            if preview.new
            else ""
        )
    )
    lines.append(f"Pupils to update: {len(preview.updated)}")
    for plan in preview.updated:
        lines.append(f"  {plan.where}, UPN {plan.upn}: {', '.join(plan.changed_labels)}")
    lines.append(f"Unchanged: {len(preview.unchanged)}")
    lines.append(f"Rows with errors (not imported): {preview.error_rows}")
    for problem in preview.errors:
        lines.append(f"  {problem.describe()}")
    if preview.warnings:
        lines.append(f"Warnings (imported anyway): {len(preview.warnings)}")
        for problem in preview.warnings:
            lines.append(f"  {problem.describe()}")
    return lines
