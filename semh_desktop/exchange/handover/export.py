"""Collecting pupils' rows (and the rows they point at) and writing them as one sealed bundle."""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semh_desktop import __version__
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.exchange.handover import crypto
from semh_desktop.exchange.handover.crypto import (
    BUNDLE_SUFFIX,
    FORMAT_VERSION,
    KdfParams,
    check_passphrase,
    seal,
)
from semh_desktop.exchange.handover.schema import (
    _REMEMBER,
    ROOT_TABLE,
    ForeignKey,
    SyncSchema,
    TableData,
    TableInfo,
    _json_ids,
    _known_hashes,
    _order_clause,
    _quote,
    _self_ordered,
    content_hash,
    discover_schema,
    installation_id,
    table_label,
)
from semh_desktop.register import audit
from semh_desktop.register.access import requires

Progress = Callable[[int, int], None]


@dataclass
class _Collected:
    tables: dict[str, TableData]
    reference: dict[str, TableData]
    owner: dict[tuple[str, str], str]  # (table, id) -> pupil id


def _collect(
    store: Store,
    schema: SyncSchema,
    pupil_ids: Sequence[str],
    *,
    known: bool,
    progress: Progress | None = None,
) -> _Collected:
    """The pupils' rows table by table, then the rows they point at (the bundle's content)."""
    selected: dict[str, list[str]] = {}  # table -> ids taken so far (children follow parents)
    tables: dict[str, TableData] = {}
    owner: dict[tuple[str, str], str] = {}
    total = len(schema.linked) + 1
    for step, name in enumerate(schema.linked):
        info = schema[name]
        parents, columns, rows = _linked_rows(store, info, pupil_ids, selected)
        selected[name] = [str(row[columns.index("id")]) for row in rows]
        _note_owners(name, parents, columns, rows, owner)
        known_map = _known_map(store, info, columns, rows) if known else {}
        tables[name] = TableData(columns, tuple(rows), known_map)
        if progress:
            progress(step + 1, total)
    reference = _reference_rows(store, schema, tables)
    if progress:
        progress(total, total)
    return _Collected(tables, _in_reference_order(schema, reference), owner)


def _linked_rows(
    store: Store, info: TableInfo, pupil_ids: Sequence[str], selected: dict[str, list[str]]
) -> tuple[list[ForeignKey], tuple[str, ...], list[tuple[Any, ...]]]:
    """One pupil-linked table's rows: the chosen pupils, or rows under rows already taken."""
    name = info.name
    if name == ROOT_TABLE:
        where, params = "id IN (SELECT value FROM json_each(?))", [_json_ids(pupil_ids)]
        parents: list[ForeignKey] = []
    else:
        parents = [fk for fk in info.foreign_keys if fk.table in selected and fk.table != name]
        where = " OR ".join(
            f"{_quote(fk.column)} IN (SELECT value FROM json_each(?))" for fk in parents
        )
        params = [_json_ids(selected[fk.table]) for fk in parents]
    cursor = store.conn.execute(
        f"SELECT * FROM {_quote(name)} WHERE {where} {_order_clause(info)}", params
    )
    columns = tuple(str(d[0]) for d in cursor.description)
    rows = _self_ordered(info, columns, [tuple(r) for r in cursor.fetchall()])
    return parents, columns, rows


def _note_owners(
    name: str,
    parents: Sequence[ForeignKey],
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    owner: dict[tuple[str, str], str],
) -> None:
    """Which pupil each row belongs to, through the first parent row that has one."""
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        if name == ROOT_TABLE:
            owner[(name, record["id"])] = record["id"]
            continue
        for fk in parents:
            pupil = owner.get((fk.table, str(record.get(fk.column))))
            if pupil:
                owner[(name, record["id"])] = pupil
                break


def _known_map(
    store: Store, info: TableInfo, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> dict[str, tuple[str, ...]]:
    """Per record, every version this side has exchanged, and the version it holds now."""
    if info.immutable:  # history rows never change, so there are no versions to compare
        return {}
    at = columns.index("id")
    stored = _known_hashes(store, info.name, [str(row[at]) for row in rows])
    hashed = [c for c in columns if c not in ("id", info.seq_column)]
    known_map: dict[str, tuple[str, ...]] = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        digests = stored.get(record["id"], set())
        digests.add(content_hash(hashed, record))
        known_map[record["id"]] = tuple(sorted(digests))
    return known_map


def _point_at(
    schema: SyncSchema,
    info: TableInfo,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    wanted: dict[str, set[str]],
) -> None:
    """Add the reference rows these rows point at to `wanted`."""
    for fk in info.foreign_keys:
        if fk.table in schema.reference and fk.column in columns:
            at = columns.index(fk.column)
            wanted[fk.table].update(str(r[at]) for r in rows if r[at] is not None)


def _reference_rows(
    store: Store, schema: SyncSchema, tables: dict[str, TableData]
) -> dict[str, TableData]:
    """The rows they point at outside the pupil-linked set, and what those point at in turn."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for name in schema.linked:
        data = tables[name]
        _point_at(schema, schema[name], data.columns, data.rows, wanted)
    reference: dict[str, TableData] = {}
    fetched: dict[str, set[str]] = defaultdict(set)
    while any(wanted[n] - fetched[n] for n in list(wanted)):
        for name in list(wanted):
            missing = wanted[name] - fetched[name]
            if not missing:
                continue
            fetched[name] |= missing
            cursor = store.conn.execute(
                f"SELECT * FROM {_quote(name)} WHERE id IN (SELECT value FROM json_each(?))",
                [_json_ids(sorted(missing))],
            )
            columns = tuple(str(d[0]) for d in cursor.description)
            rows = [tuple(r) for r in cursor.fetchall()]
            old = reference.get(name)
            combined = list(old.rows) + rows if old else rows
            reference[name] = TableData(columns, tuple(combined))
            _point_at(schema, schema[name], columns, rows, wanted)
    return reference


def _in_reference_order(
    schema: SyncSchema, reference: dict[str, TableData]
) -> dict[str, TableData]:
    """Parents before children, and history in entry order, as an insert needs them."""
    ordered: dict[str, TableData] = {}
    for name in schema.reference:
        if name not in reference:
            continue
        data = reference[name]
        info = schema[name]
        rows = list(data.rows)
        if info.seq_column and info.seq_column in data.columns:
            at = data.columns.index(info.seq_column)
            rows.sort(key=lambda r: r[at])
        ordered[name] = TableData(data.columns, tuple(_self_ordered(info, data.columns, rows)))
    return ordered


# --- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableCount:
    table: str
    label: str
    rows: int


@dataclass(frozen=True)
class PupilLine:
    id: str
    name: str
    upn: str


@dataclass(frozen=True)
class ExportPreview:
    """What a bundle for these pupils will contain (the export dialog shows it before sending)."""

    pupils: tuple[PupilLine, ...]
    tables: tuple[TableCount, ...]  # pupil-linked tables with rows
    reference: tuple[TableCount, ...]
    staff: tuple[str, ...]  # names of the staff profiles that travel (named in the records)
    unsupported: tuple[str, ...]

    @property
    def record_count(self) -> int:
        return sum(t.rows for t in self.tables)


def _check_pupils(store: Store, pupil_ids: Sequence[str]) -> list[PupilLine]:
    if not pupil_ids:
        raise ValidationError("Choose at least one pupil to send.", field="pupils")
    rows = {
        str(r[0]): r
        for r in store.conn.execute(
            "SELECT id, coalesce(preferred_forename, legal_forename) || ' ' || "
            "coalesce(preferred_surname, legal_surname), upn FROM pupils "
            "WHERE id IN (SELECT value FROM json_each(?))",
            [_json_ids(pupil_ids)],
        )
    }
    missing = [p for p in pupil_ids if p not in rows]
    if missing:
        raise NotFound("A chosen pupil is not in this database.")
    return [PupilLine(p, str(rows[p][1]), str(rows[p][2])) for p in dict.fromkeys(pupil_ids)]


def _preview_of(
    lines: Sequence[PupilLine], collected: _Collected, schema: SyncSchema
) -> ExportPreview:
    staff_names: list[str] = []
    staff = collected.reference.get("staff")
    if staff is not None:
        at = staff.columns.index("name")
        staff_names = sorted({str(r[at]) for r in staff.rows}, key=str.casefold)
    return ExportPreview(
        tuple(lines),
        tuple(
            TableCount(n, table_label(n), len(d.rows))
            for n, d in collected.tables.items()
            if d.rows
        ),
        tuple(TableCount(n, table_label(n), len(d.rows)) for n, d in collected.reference.items()),
        tuple(staff_names),
        schema.unsupported,
    )


def export_preview(store: Store, pupil_ids: Sequence[str]) -> ExportPreview:
    """Counts of what would leave, for the dialog; nothing is written."""
    lines = _check_pupils(store, pupil_ids)
    schema = discover_schema(store)
    return _preview_of(lines, _collect(store, schema, [p.id for p in lines], known=False), schema)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    bundle_id: str
    preview: ExportPreview


def _payload(
    store: Store, bundle_id: str, sender: str, pupil_ids: Sequence[str], collected: _Collected
) -> dict[str, Any]:
    """The JSON inside a bundle.

    {"format": "semh-desktop-handover", "format_version": 1, "bundle_id", "made_at",
     "schema_version": the sender's PRAGMA user_version, "app_version",
     "sender": {"installation_id"}, "pupils": [pupil ids],
     "tables": {name: {"columns": [...], "rows": [[...], ...],
                       "known": {record id: [content hashes the sender has exchanged]}}},
     "reference": {name: {"columns": [...], "rows": [[...], ...]}}}
    Rows are in insertion order: parents before children, history in entry order.
    """

    def table(data: TableData, *, with_known: bool) -> dict[str, Any]:
        result: dict[str, Any] = {
            "columns": list(data.columns),
            "rows": [list(r) for r in data.rows],
        }
        if with_known:
            result["known"] = {k: list(v) for k, v in data.known.items()}
        return result

    return {
        "format": "semh-desktop-handover",
        "format_version": FORMAT_VERSION,
        "bundle_id": bundle_id,
        "made_at": store.clock.now().isoformat(timespec="seconds"),
        "schema_version": store.schema_version(),
        "app_version": __version__,
        "sender": {"installation_id": sender},
        "pupils": list(pupil_ids),
        "tables": {n: table(d, with_known=True) for n, d in collected.tables.items()},
        "reference": {n: table(d, with_known=False) for n, d in collected.reference.items()},
    }


def _write_atomically(path: Path, data: bytes) -> None:
    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".semh-", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ValidationError(
            f"The bundle could not be written: {exc.strerror or exc}.", field="out"
        ) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ValidationError(
            f"The bundle could not be written: {exc.strerror or exc}.", field="out"
        ) from None


@requires("export")
def export_bundle(
    store: Store,
    pupil_ids: Sequence[str],
    path: Path,
    passphrase: str,
    *,
    kdf: KdfParams | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write one encrypted bundle with the pupils' records and history; audit and remember it.

    `kdf` exists for tests only (to make them fast); the product always uses `default_kdf()`.
    """
    path = Path(path)
    if path.suffix.lower() != BUNDLE_SUFFIX:
        raise ValidationError(f"The bundle file must end in {BUNDLE_SUFFIX}.", field="out")
    check_passphrase(passphrase)
    lines = _check_pupils(store, pupil_ids)
    ids = [p.id for p in lines]
    schema = discover_schema(store)
    sender = installation_id(store)
    collected = _collect(store, schema, ids, known=True, progress=progress)
    bundle_id = new_id()
    payload = json.dumps(
        _payload(store, bundle_id, sender, ids, collected),
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    _write_atomically(path, seal(payload, passphrase, kdf or crypto.default_kdf()))
    preview = _preview_of(lines, collected, schema)
    with store.atomic():
        now = store.clock.now().isoformat(timespec="seconds")
        sent: list[tuple[str, str, str, str, str]] = []
        for name, data in collected.tables.items():
            info = schema[name]
            if info.immutable:
                continue
            hashed = [c for c in data.columns if c not in ("id", info.seq_column)]
            sent += [
                (name, record["id"], content_hash(hashed, record), "", now)
                for record in data.dicts()
            ]
        store.conn.executemany(_REMEMBER, sent)
        audit.record(
            store,
            "export",
            "handover_bundle",
            bundle_id,
            f"{len(ids)} pupils, {preview.record_count} records, "
            f"{len(preview.staff)} staff profiles ({BUNDLE_SUFFIX.lstrip('.')})",
        )
        for pupil_id in ids:
            audit.record(store, "export", "pupil", pupil_id, f"handover bundle {bundle_id}")
    return ExportResult(path, bundle_id, preview)
