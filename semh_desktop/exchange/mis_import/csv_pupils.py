"""Pupil lists exported as CSV by a school's MIS: decoding, separators, and the column mapping.

Every MIS names its columns differently, so the importer guesses which column is which from the
header, shows the guess for a person to correct, and remembers the corrected mapping for files
with the same header (in the database's `settings` table, keyed by a hash of the header).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import.fields import (
    FIELDS_BY_NAME,
    IMPORT_FIELDS,
    NOT_IMPORTED,
    SourceRecord,
    label,
    squash,
)
from semh_desktop.register.access import requires

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
SETTING_PREFIX = "import.csv_mapping."
_HEADER_PREFIXES = ("pupil", "student", "learner", "child")


@dataclass(frozen=True)
class CsvRow:
    line: int  # the physical line the row starts on; the header is line 1 in a plain export
    cells: tuple[str, ...]
    problems: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CsvTable:
    name: str
    encoding: str
    separator: str
    headers: tuple[str, ...]
    rows: tuple[CsvRow, ...]

    @property
    def separator_name(self) -> str:
        return SEPARATORS.get(self.separator, repr(self.separator))

    def filled(self, column: int) -> int:
        """How many rows fill this column (shown beside the mapping instead of the values)."""
        return sum(1 for row in self.rows if column < len(row.cells) and row.cells[column])


@dataclass(frozen=True)
class MappingSuggestion:
    fields: tuple[str, ...]  # the field per column, NOT_IMPORTED for columns left out
    remembered: bool  # True when it is the mapping a person confirmed for this header before


def decode(data: bytes) -> tuple[str, str]:
    """The text of an export and its encoding: UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            "This is a spreadsheet workbook, not a CSV file. Open it in the spreadsheet program, "
            "save it as CSV, and import that.",
            field="file",
        )
    text: str | None = None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            text = None
    if text is None:
        try:
            text = data.decode("utf-8-sig")
            encoding = "UTF-8 with BOM" if data.startswith(codecs.BOM_UTF8) else "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                raise ValidationError(
                    "The file is not text in UTF-8 or Windows-1252, so it cannot be a CSV export.",
                    field="file",
                ) from None
    if "\x00" in text:
        raise ValidationError(
            "The file contains binary data, so it cannot be a CSV export.", field="file"
        )
    return text.lstrip("\ufeff"), encoding


def _count_outside_quotes(line: str, separator: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == separator and not quoted:
            count += 1
    return count


def guess_separator(text: str) -> str:
    """Comma, semicolon (European Excel) or tab: whichever the header line uses most."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: _count_outside_quotes(first, sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv(data: bytes, name: str = "the file") -> CsvTable:
    """Split an export into its header and rows, keeping each row's physical line number."""
    text, encoding = decode(data)
    separator = guess_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=False)
    headers: tuple[str, ...] | None = None
    rows: list[CsvRow] = []
    last_line = 0
    try:
        for record in reader:
            start, last_line = last_line + 1, reader.line_num
            cells = tuple(cell.strip().lstrip("\ufeff").strip() for cell in record)
            if not any(cells):
                continue
            if headers is None:
                headers = cells
                continue
            problems: tuple[tuple[str, str], ...] = ()
            if any(cells[len(headers) :]):
                problems = (
                    (
                        "row",
                        "The row has more cells than the header has columns; a "
                        "separator inside a value may have shifted the columns.",
                    ),
                )
            rows.append(CsvRow(start, cells[: len(headers)], problems))
    except csv.Error as exc:
        raise ValidationError(
            f"Line {reader.line_num} of the file cannot be read as CSV ({exc}).", field="file"
        ) from None
    if headers is None:
        raise ValidationError(
            "The file is empty: there is no header line and no pupils.", field="file"
        )
    return CsvTable(name, encoding, separator, headers, tuple(rows))


# -- the column mapping -----------------------------------------------------------------------


def _header_keys(header: str) -> set[str]:
    key = squash(header)
    keys = {key}
    for prefix in _HEADER_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            keys.add(key.removeprefix(prefix))
    return keys


def guess_mapping(headers: Sequence[str]) -> tuple[str, ...]:
    """The likely field of each column, from the header alone (exact synonyms, no fuzzy guessing).

    Synonyms are tried rank by rank across all fields, so a field's most specific spelling wins
    a column before a looser spelling of another field can take it.
    """
    keys = [_header_keys(h) for h in headers]
    fields = [NOT_IMPORTED] * len(headers)
    taken: set[str] = set()
    for rank in range(max(len(f.synonyms) for f in IMPORT_FIELDS)):
        for import_field in IMPORT_FIELDS:
            if import_field.name in taken or rank >= len(import_field.synonyms):
                continue
            wanted = squash(import_field.synonyms[rank])
            for column, column_keys in enumerate(keys):
                if fields[column] == NOT_IMPORTED and wanted in column_keys:
                    fields[column] = import_field.name
                    taken.add(import_field.name)
                    break
    return tuple(fields)


def header_signature(headers: Sequence[str]) -> str:
    """Files with the same columns (in the same order) share a remembered mapping."""
    joined = "\x1f".join(squash(h) for h in headers)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:24]


def _setting_key(headers: Sequence[str]) -> str:
    return SETTING_PREFIX + header_signature(headers)


def remembered_mapping(store: Store, headers: Sequence[str]) -> tuple[str, ...] | None:
    rows = list(store.db.query("SELECT value FROM settings WHERE key = ?", [_setting_key(headers)]))
    if not rows:
        return None
    try:
        saved = json.loads(rows[0]["value"])
        fields = tuple(str(f) for f in saved["fields"])
    except (ValueError, KeyError, TypeError):
        return None
    if len(fields) != len(headers) or any(f and f not in FIELDS_BY_NAME for f in fields):
        return None
    return fields


def suggested_mapping(store: Store, headers: Sequence[str]) -> MappingSuggestion:
    """The mapping confirmed last time for this header, or else a fresh guess."""
    remembered = remembered_mapping(store, headers)
    if remembered is not None:
        return MappingSuggestion(remembered, True)
    return MappingSuggestion(guess_mapping(headers), False)


@requires("import")
def remember_mapping(store: Store, headers: Sequence[str], fields: Sequence[str]) -> bool:
    """Store the confirmed mapping (call inside the import's transaction); False if already so."""
    if remembered_mapping(store, headers) == tuple(fields):
        return False
    value = json.dumps({"headers": list(headers), "fields": list(fields)}, ensure_ascii=False)
    store.db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [_setting_key(headers), value],
    )
    return True


def field_named(text: str) -> str:
    """A field from its name or label as a person writes it in a mapping file."""
    wanted = squash(text)
    if wanted in ("", "ignore", "notimported", "none", "skip"):
        return NOT_IMPORTED
    for import_field in IMPORT_FIELDS:
        if wanted in (squash(import_field.name), squash(import_field.label)):
            return import_field.name
    names = ", ".join(f.name for f in IMPORT_FIELDS)
    raise ValidationError(
        f"'{text}' is not a field SEMH Desktop imports. Use one of: {names} (or \"ignore\").",
        field="mapping",
    )


def mapping_from_json(
    headers: Sequence[str], mapping: object, base: Sequence[str]
) -> tuple[str, ...]:
    """Lay a {"Column header": "field"} document over `base`; columns it omits keep `base`."""
    if not isinstance(mapping, Mapping):
        raise ValidationError(
            'A mapping file holds one JSON object: {"Column header": "field", ...}.',
            field="mapping",
        )
    fields = list(base)
    for header, value in mapping.items():
        columns = [i for i, h in enumerate(headers) if squash(h) == squash(str(header))]
        if not columns:
            raise ValidationError(
                f"The mapping names a column '{header}' that this file does not have.",
                field="mapping",
            )
        if value is not None and not isinstance(value, str):
            raise ValidationError(
                f"The field for column '{header}' should be text.", field="mapping"
            )
        for column in columns:
            fields[column] = field_named(value or "")
    return tuple(fields)


def load_mapping_file(path: Path, headers: Sequence[str], base: Sequence[str]) -> tuple[str, ...]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ValidationError(
            f"The mapping file {path} cannot be read ({exc.strerror}).", field="mapping"
        ) from None
    except ValueError as exc:
        raise ValidationError(
            f"The mapping file {path} is not valid JSON ({exc}).", field="mapping"
        ) from None
    return mapping_from_json(headers, document, base)


def check_mapping(headers: Sequence[str], fields: Sequence[str]) -> None:
    """A usable mapping: no field twice, and enough to recognise each pupil."""
    seen: dict[str, int] = {}
    for column, name in enumerate(fields):
        if not name:
            continue
        if name not in FIELDS_BY_NAME:
            raise ValidationError(f"'{name}' is not a field SEMH Desktop imports.", field="mapping")
        if name in seen:
            raise ValidationError(
                f"Two columns ('{headers[seen[name]]}' and '{headers[column]}') are both set to "
                f"{label(name)}; choose one and set the other to {NOT_IMPORTED_TEXT}.",
                field="mapping",
            )
        seen[name] = column
    if "upn" not in seen and not {"legal_surname", "legal_forename", "date_of_birth"} <= set(seen):
        raise ValidationError(
            "Set one column to UPN (or columns to legal surname, legal forename and date of "
            "birth) so that each pupil can be recognised.",
            field="mapping",
        )


NOT_IMPORTED_TEXT = "not imported"


def records(table: CsvTable, fields: Sequence[str]) -> list[SourceRecord]:
    """Each row as the fields it carries; empty cells and unmapped columns are left out."""
    result = []
    for row in table.rows:
        values = {
            name: row.cells[column]
            for column, name in enumerate(fields)
            if name and column < len(row.cells) and row.cells[column]
        }
        result.append(
            SourceRecord(f"line {row.line}", values, line=row.line, problems=row.problems)
        )
    return result
