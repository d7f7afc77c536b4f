"""Which tables travel, found from the schema's foreign keys, and how rows are compared.

A table is *pupil-linked* when it has a TEXT `id` key (either the primary key, or a UNIQUE column
beside an INTEGER `seq` primary key) and a foreign key to `pupils` or to another pupil-linked
table; the rows those point at outside that set travel as *reference* rows. A row's content
hash (every column but its id and entry order) is what `handover_sync` remembers per exchange.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from semh_desktop.core.store import Store, new_id
from semh_desktop.exchange.handover.errors import HandoverError
from semh_desktop.register import audit

LOCAL_ONLY_TABLES = frozenset({"audit", "settings", "handover_sync"})
ROOT_TABLE = "pupils"
# History tables with no unique key are compared as chains: rows sharing these columns (beside
# the foreign keys to pupil-linked tables) are one history. Optional refinements only; a table
# not named here is chained by its foreign keys alone.
CHAIN_REFINEMENTS: dict[str, tuple[str, ...]] = {
    "gr_item_answers": ("item_id",),
    "impact_areas": ("area",),
}
TABLE_LABELS = {
    "pupils": "Pupil record",
    "staff": "Staff profile",
    "gr_templates": "Graduated-response template",
    "gr_template_versions": "Graduated-response template version",
    "gr_phase_changes": "Phase change",
    "gr_item_answers": "Checklist answer",
    "apdr_cycles": "APDR cycle",
    "apdr_cycle_revisions": "APDR cycle revision",
    "cases": "Case (episode of support)",
    "case_network": "Person in the network",
    "targets": "Target",
    "target_versions": "Target wording",
    "case_aims": "Case aim",
    "case_reviews": "Scoring point",
    "review_people": "Person at a scoring point",
    "scores": "Agreed score",
    "independent_scores": "Independent score",
}


def table_label(name: str) -> str:
    return TABLE_LABELS.get(name, name.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str


@dataclass(frozen=True)
class UniqueKey:
    columns: tuple[str, ...]
    where: str = ""  # the condition of a partial unique index


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    seq_column: str | None  # an INTEGER autoincrement key beside the TEXT id (entry order)
    foreign_keys: tuple[ForeignKey, ...]
    unique_keys: tuple[UniqueKey, ...]
    immutable: bool  # a trigger refuses every update: rows are history, only ever added
    keyed: bool  # has a TEXT id we can match rows by

    @property
    def label(self) -> str:
        return table_label(self.name)

    def column_type(self, column: str) -> str:
        return self.types[self.columns.index(column)].upper()

    @property
    def hashed_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in ("id", self.seq_column))


@dataclass(frozen=True)
class SyncSchema:
    tables: dict[str, TableInfo]
    linked: tuple[str, ...]  # pupil-linked tables, parents before children, pupils first
    reference: tuple[str, ...]  # tables they point at, parents before children
    unsupported: tuple[str, ...]  # pupil-linked tables without a TEXT id: not carried

    def __getitem__(self, name: str) -> TableInfo:
        return self.tables[name]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_UPDATE_TRIGGER = re.compile(
    r"\bBEFORE\s+UPDATE\s+ON\s+(\S+)\s+(FOR\s+EACH\s+ROW\s+)?BEGIN\b", re.IGNORECASE
)


def _table_info(conn: Any, name: str) -> TableInfo:
    cols = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
    columns = tuple(str(c[1]) for c in cols)
    types = tuple(str(c[2] or "") for c in cols)
    pks = [c for c in cols if c[5]]
    uniques: list[UniqueKey] = []
    for _seq, index, unique, _origin, partial in conn.execute(
        f"PRAGMA index_list({_quote(name)})"
    ).fetchall():
        if not unique:
            continue
        key = tuple(str(r[2]) for r in conn.execute(f"PRAGMA index_info({_quote(index)})"))
        where = ""
        if partial:
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [index]).fetchone()
            match = re.search(
                r"\bWHERE\b(.*)$", (sql[0] if sql else "") or "", re.IGNORECASE | re.DOTALL
            )
            where = match.group(1).strip().rstrip(";") if match else ""
        uniques.append(UniqueKey(key, where))
    seq_column = None
    keyed = False
    if len(pks) == 1 and pks[0][1] == "id" and "TEXT" in str(pks[0][2]).upper():
        keyed = True
    elif (
        len(pks) == 1
        and "INT" in str(pks[0][2]).upper()
        and "id" in columns
        and any(u.columns == ("id",) and not u.where for u in uniques)
    ):
        keyed, seq_column = True, str(pks[0][1])
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall():
        groups[int(row[0])].append(row)
    fks = tuple(
        ForeignKey(str(rows[0][3]), str(rows[0][2]))
        for rows in groups.values()
        if len(rows) == 1 and rows[0][4] in (None, "id")
    )
    immutable = False
    for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [name]
    ).fetchall():
        head = (sql or "").split("BEGIN", 1)[0] + "BEGIN"
        if (
            _UPDATE_TRIGGER.search(head)
            and not re.search(r"\bWHEN\b", head, re.IGNORECASE)
            and "RAISE" in (sql or "").upper()
        ):
            immutable = True
    return TableInfo(
        name,
        columns,
        types,
        seq_column,
        fks,
        tuple(u for u in uniques if u.columns != ("id",)),
        immutable,
        keyed,
    )


def _ordered(names: Iterable[str], tables: dict[str, TableInfo]) -> tuple[str, ...]:
    """Parents before children (foreign keys between the named tables); ties by name."""
    wanted = set(names)
    parents = {
        n: {fk.table for fk in tables[n].foreign_keys if fk.table in wanted and fk.table != n}
        for n in wanted
    }
    order: list[str] = []
    while parents:
        ready = sorted(n for n, p in parents.items() if not p - set(order))
        if not ready:  # a cycle between tables: keep going in name order
            ready = sorted(parents)[:1]
        for name in ready:
            order.append(name)
            del parents[name]
    return tuple(order)


def discover_schema(store: Store) -> SyncSchema:
    """Which tables are pupil-linked, which they reference, and in what order to insert them."""
    conn = store.conn
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
        if r[0] not in LOCAL_ONLY_TABLES
    ]
    tables = {name: _table_info(conn, name) for name in names}
    linked = {ROOT_TABLE}
    grew = True
    while grew:
        grew = False
        for name, info in tables.items():
            if name not in linked and any(
                fk.table in linked and fk.table != name for fk in info.foreign_keys
            ):
                linked.add(name)
                grew = True
    unsupported = sorted(n for n in linked if not tables[n].keyed)
    carried = linked - set(unsupported)
    reference: set[str] = set()
    pending = [fk.table for n in carried for fk in tables[n].foreign_keys]
    while pending:
        name = pending.pop()
        if name in carried or name in reference or name not in tables:
            continue
        reference.add(name)
        pending.extend(fk.table for fk in tables[name].foreign_keys)
    unsupported += sorted(n for n in reference if not tables[n].keyed)
    reference = {n for n in reference if tables[n].keyed}
    linked_order = _ordered(carried, tables)
    return SyncSchema(tables, linked_order, _ordered(reference, tables), tuple(unsupported))


# --- content hashes and sync state ---------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        raise HandoverError("A record holds binary data, which bundles cannot carry.")
    return value


def content_hash(columns: Sequence[str], row: dict[str, Any]) -> str:
    """SHA-256 of a row's content (every listed column but its own id and entry order)."""
    pairs = [[c, _canonical(row.get(c))] for c in sorted(columns)]
    text = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_ids(ids: Iterable[str]) -> str:
    return json.dumps(list(ids))


def _known_hashes(store: Store, table: str, ids: Sequence[str]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = defaultdict(set)
    for record_id, digest in store.conn.execute(
        "SELECT record_id, content_hash FROM handover_sync WHERE table_name = ? "
        "AND record_id IN (SELECT value FROM json_each(?))",
        [table, _json_ids(ids)],
    ):
        known[str(record_id)].add(str(digest))
    return known


_REMEMBER = (
    "INSERT INTO handover_sync (table_name, record_id, content_hash, peer, synced_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_name, record_id, content_hash) "
    "DO UPDATE SET peer = excluded.peer, synced_at = excluded.synced_at"
)


def _setting(store: Store, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None


def installation_id(store: Store) -> str:
    """The id of this database, named in the bundles it sends (made on first use)."""
    found = _setting(store, "installation_id")
    if found:
        return found
    made = new_id()
    with store.atomic():
        store.conn.execute(
            "INSERT INTO settings (key, value) VALUES ('installation_id', ?)", [made]
        )
        audit.record(store, "create", "settings", "installation_id")
    return made


# --- reading rows out of the store ---------------------------------------------------------


@dataclass(frozen=True)
class TableData:
    """One table's rows in a bundle."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    known: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def dicts(self) -> Iterator[dict[str, Any]]:
        for values in self.rows:
            yield dict(zip(self.columns, values, strict=True))


def _self_ordered(
    info: TableInfo, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Rows that point at rows of the same table come after the rows they point at."""
    own = [
        columns.index(fk.column)
        for fk in info.foreign_keys
        if fk.table == info.name and fk.column in columns
    ]
    if not own:
        return rows
    at = columns.index("id")
    by_id = {row[at]: row for row in rows}
    done: set[Any] = set()
    result: list[tuple[Any, ...]] = []

    def visit(row: tuple[Any, ...], depth: int = 0) -> None:
        if row[at] in done or depth > len(rows):
            return
        done.add(row[at])
        for index in own:
            parent = by_id.get(row[index])
            if parent is not None:
                visit(parent, depth + 1)
        result.append(row)

    for row in rows:
        visit(row)
    return result


def _order_clause(info: TableInfo) -> str:
    return f"ORDER BY {_quote(info.seq_column)}" if info.seq_column else "ORDER BY rowid"
