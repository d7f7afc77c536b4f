"""Importing a bundle: match pupils, compare every record, list conflicts, apply in one go.

Merge rule for a record that exists on both sides (the `handover_sync` table remembers, per
record, the content hash of every version this installation has exchanged; the bundle lists,
per record, the versions the sender has exchanged): equal -> nothing to do; the incoming version
was exchanged here before -> nothing new from them, keep ours; our version is one the sender has
already seen -> only they changed it, take theirs; otherwise both changed it -> a conflict.
History rows (tables whose rows can never be updated) are only ever added: two sides that both
appended to the same history since they last exchanged it (both re-worded a target, both
revised an APDR cycle) make a conflict too; "take theirs" then appends theirs as the newest,
keeping ours in the history, and "keep mine" declines theirs.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3

from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.exchange.handover.errors import NOTHING_IMPORTED, HandoverError
from semh_desktop.exchange.handover.read import Bundle, read_bundle
from semh_desktop.exchange.handover.schema import (
    _REMEMBER,
    CHAIN_REFINEMENTS,
    ROOT_TABLE,
    TableData,
    TableInfo,
    UniqueKey,
    _json_ids,
    _known_hashes,
    _order_clause,
    _quote,
    content_hash,
    discover_schema,
    table_label,
)
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.register import audit
from semh_desktop.register.access import requires

Progress = Callable[[int, int], None]

# --- import: compare, preview, apply -------------------------------------------------------

MINE, THEIRS = "mine", "theirs"
CONFLICT_KINDS = {
    "changed_both": "Changed in both databases since they last exchanged it",
    "added_both": "Added in both databases in the same place",
    "history_both": "Both databases added to this history since they last exchanged it",
}


@dataclass
class Conflict:
    """A record both sides changed: the person importing keeps theirs or takes the sender's."""

    key: str
    kind: str
    table: str
    pupil_id: str
    pupil_name: str
    fields: tuple[str, ...]  # the columns that differ
    mine: dict[str, Any]
    theirs: dict[str, Any]
    can_take_theirs: bool
    choice: str | None = None
    shown: dict[str, tuple[str, str]] = field(default_factory=dict)  # readable (mine, theirs)

    @property
    def label(self) -> str:
        return table_label(self.table)

    @property
    def explanation(self) -> str:
        text = CONFLICT_KINDS[self.kind]
        if self.kind == "added_both" and self.can_take_theirs:
            text = (
                "Both databases added a new version since they last exchanged it; taking "
                "theirs keeps yours in the history"
            )
        elif self.kind == "history_both":
            text += "; taking theirs keeps yours in the history"
        if not self.can_take_theirs:
            text += "; only yours can be kept here (re-enter theirs by hand if needed)"
        return text


@dataclass
class PupilOutcome:
    incoming_id: str
    local_id: str
    name: str
    upn: str
    status: str  # new, merged (same UUID), merged_by_upn
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def status_label(self) -> str:
        return {
            "new": "New pupil",
            "merged": "Already here: merged",
            "merged_by_upn": "Already here (same UPN): merged",
        }[self.status]


@dataclass
class ImportReport:
    """What an import would do (preview) or did (applied), pupil by pupil."""

    bundle_id: str
    made_at: str
    sender: str
    applied: bool
    pupils: list[PupilOutcome]
    staff_added: list[str]
    conflicts: list[Conflict]
    problems: list[str]
    totals: Counter[str]

    @property
    def undecided(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.choice is None]

    @property
    def new_pupils(self) -> int:
        return sum(1 for p in self.pupils if p.status == "new")

    @property
    def merged_pupils(self) -> int:
        return len(self.pupils) - self.new_pupils

    def summary(self) -> str:
        """One or two sentences for the result message (counts only)."""
        t = self.totals
        verb = "were" if self.applied else "would be"
        count = len(self.pupils)
        text = (
            f"{count} pupil{'' if count == 1 else 's'}: {self.new_pupils} new, "
            f"{self.merged_pupils} merged. "
            f"{t['added']} records {verb} added and {t['updated']} updated; "
            f"{t['unchanged'] + t['kept']} were already up to date here."
        )
        if self.conflicts:
            decided = len(self.conflicts) - len(self.undecided)
            many = len(self.conflicts)
            text += f" {many} conflict{'' if many == 1 else 's'} ({decided} decided"
            text += f", {len(self.undecided)} left as they are)." if self.undecided else ")."
        if self.problems:
            text += f" {len(self.problems)} records could not be applied."
        return text


class _Rollback(Exception):
    """Raised inside the preview's transaction so that nothing it did is kept."""


class _Merge:
    def __init__(
        self,
        store: Store,
        bundle: Bundle,
        choices: dict[str, str],
        apply: bool,
        progress: Progress | None,
    ) -> None:
        self.store = store
        self.conn = store.conn
        self.bundle = bundle
        self.choices = choices
        self.apply = apply
        self.progress = progress
        self.schema = discover_schema(store)
        self.pupil_map: dict[str, str] = {}  # incoming pupil id -> local pupil id
        self.reverse_map: dict[str, str] = {}
        self.blocked: set[tuple[str, str]] = set()  # (table, local id) not present here
        self.owner: dict[tuple[str, str], str] = {}
        self.outcomes: dict[str, PupilOutcome] = {}
        self.conflicts: list[Conflict] = []
        self.problems: list[str] = []
        self.totals: Counter[str] = Counter()
        self.staff_added: list[str] = []
        self.synced: list[tuple[str, str, str]] = []  # (table, id, hash) exchanged now
        self._staff_names: dict[str, str] | None = None
        self.now = store.clock.now().isoformat(timespec="seconds")

    # -- helpers

    def _count(self, table: str, record_id: str, what: str) -> None:
        self.totals[what] += 1
        pupil = self.owner.get((table, record_id))
        if pupil and pupil in self.outcomes:
            self.outcomes[pupil].counts[what] += 1

    def _remember(self, table: str, record_id: str, digest: str) -> None:
        self.synced.append((table, record_id, digest))

    # A refused statement (constraint, trigger) is undone by SQLite on its own and leaves the
    # transaction going, so rows need no savepoint each (they would double the statements).

    def _insert(self, info: TableInfo, row: dict[str, Any], columns: Sequence[str]) -> None:
        names = [c for c in columns if c != info.seq_column]
        sql = (
            f"INSERT INTO {_quote(info.name)} ({', '.join(_quote(c) for c in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        self.conn.execute(sql, [row[c] for c in names])

    def _update(
        self, info: TableInfo, record_id: str, row: dict[str, Any], columns: Sequence[str]
    ) -> None:
        names = [c for c in columns if c not in ("id", info.seq_column)]
        sql = (
            f"UPDATE {_quote(info.name)} SET {', '.join(f'{_quote(c)} = ?' for c in names)} "
            "WHERE id = ?"
        )
        self.conn.execute(sql, [row[c] for c in names] + [record_id])

    def _local_rows(self, info: TableInfo, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        cursor = self.conn.execute(
            f"SELECT * FROM {_quote(info.name)} WHERE id IN (SELECT value FROM json_each(?))",
            [_json_ids(ids)],
        )
        columns = [str(d[0]) for d in cursor.description]
        return {
            str(r[columns.index("id")]): dict(zip(columns, r, strict=True))
            for r in cursor.fetchall()
        }

    def _usable_columns(self, name: str, data: TableData) -> list[str]:
        local = set(self.schema[name].columns)
        extra = [c for c in data.columns if c not in local]
        if extra:
            self.problems.append(
                f"{table_label(name)}: fields this version does not know were "
                f"left out ({', '.join(extra)})."
            )
        return [c for c in data.columns if c in local]

    def _problem(self, info: TableInfo, record_id: str, verb: str, exc: Exception) -> None:
        """A record the database refused (a rule or a trigger); its message is kept."""
        pupil = self._pupil_name(self.owner.get((info.name, record_id), ""))
        whose = f" for {pupil}" if pupil else ""
        self.problems.append(f"{info.label}{whose} could not be {verb}: {exc}.")
        self.totals["problems"] += 1

    def _pupil_name(self, pupil_id: str) -> str:
        outcome = self.outcomes.get(pupil_id)
        return outcome.name if outcome else ""

    # -- pupils: who is who

    def _match_pupils(self) -> None:
        data = self.bundle.tables[ROOT_TABLE]
        for row in data.dicts():
            incoming = row["id"]
            by_id = self.conn.execute("SELECT id FROM pupils WHERE id = ?", [incoming]).fetchone()
            status = "merged"
            local = incoming
            if by_id is None:
                by_upn = self.conn.execute(
                    "SELECT id FROM pupils WHERE upn = ?", [row.get("upn")]
                ).fetchone()
                if by_upn is not None:
                    local, status = str(by_upn[0]), "merged_by_upn"
                else:
                    status = "new"
            self.pupil_map[incoming] = local
            self.reverse_map[local] = incoming
            forename = row.get("preferred_forename") or row.get("legal_forename") or ""
            surname = row.get("preferred_surname") or row.get("legal_surname") or ""
            self.outcomes[local] = PupilOutcome(
                incoming, local, f"{forename} {surname}".strip(), str(row.get("upn") or ""), status
            )

    def _map_row(self, info: TableInfo, row: dict[str, Any]) -> dict[str, Any]:
        mapped = dict(row)
        if info.name == ROOT_TABLE:
            mapped["id"] = self.pupil_map.get(row["id"], row["id"])
        for fk in info.foreign_keys:
            if fk.table == ROOT_TABLE and mapped.get(fk.column) in self.pupil_map:
                mapped[fk.column] = self.pupil_map[mapped[fk.column]]
        return mapped

    def _unmap_row(self, info: TableInfo, row: dict[str, Any]) -> dict[str, Any]:
        """A local row as the sender would write it (their pupil ids), to compare hashes."""
        unmapped = dict(row)
        for fk in info.foreign_keys:
            if fk.table == ROOT_TABLE and unmapped.get(fk.column) in self.reverse_map:
                unmapped[fk.column] = self.reverse_map[unmapped[fk.column]]
        return unmapped

    def _set_owner(self, info: TableInfo, row: dict[str, Any]) -> None:
        if info.name == ROOT_TABLE:
            self.owner[(info.name, row["id"])] = row["id"]
            return
        for fk in info.foreign_keys:
            if fk.table in self.schema.linked and fk.table != info.name:
                pupil = self.owner.get((fk.table, str(row.get(fk.column))))
                if pupil:
                    self.owner[(info.name, row["id"])] = pupil
                    return

    def _blocked_by(self, info: TableInfo, row: dict[str, Any]) -> bool:
        return any(
            (fk.table, row.get(fk.column)) in self.blocked
            for fk in info.foreign_keys
            if fk.table in self.schema.linked
        )

    # -- reference rows (staff, templates): added if missing, never changed

    def _reference(self) -> None:
        if "gr_template_versions" in self.bundle.reference:
            # The school's own template stays the newest version whatever arrives.
            gr_templates.current_template(self.store)
        for name in self.schema.reference:
            data = self.bundle.reference.get(name)
            if data is None:
                continue
            info = self.schema[name]
            columns = self._usable_columns(name, data)
            present = self._local_rows(info, [r[data.columns.index("id")] for r in data.rows])
            for row in data.dicts():
                if row["id"] in present:
                    continue
                row = dict(row)
                if name == "staff" and "archived_at" in columns:
                    # Named in the records, but not a profile anyone here unlocks with.
                    row["archived_at"] = row.get("archived_at") or self.now
                    self.staff_added.append(str(row.get("name", "")))
                insert_columns = list(columns)
                if info.seq_column:
                    lowest = self.conn.execute(
                        f"SELECT min({_quote(info.seq_column)}) FROM {_quote(name)}"
                    ).fetchone()
                    if lowest and lowest[0] is not None:
                        # Another installation's history never becomes this one's newest row.
                        row[info.seq_column] = int(lowest[0]) - 1
                        insert_columns = [*columns, info.seq_column]
                try:
                    names = [c for c in insert_columns if c in info.columns]
                    sql = (
                        f"INSERT INTO {_quote(name)} ({', '.join(_quote(c) for c in names)}) "
                        f"VALUES ({', '.join('?' for _ in names)})"
                    )
                    self.conn.execute(sql, [row.get(c) for c in names])
                    self.totals["reference_added"] += 1
                except sqlcipher3.DatabaseError as exc:
                    self.problems.append(f"{table_label(name)} could not be added ({exc}).")

    # -- pupil-linked rows

    def _collision(
        self, info: TableInfo, row: dict[str, Any]
    ) -> tuple[UniqueKey, dict[str, Any]] | None:
        for key in info.unique_keys:
            if any(c not in row for c in key.columns):
                continue
            where = " AND ".join(f"{_quote(c)} IS ?" for c in key.columns)
            if key.where:
                where += f" AND ({key.where})"
            cursor = self.conn.execute(
                f"SELECT * FROM {_quote(info.name)} WHERE {where} AND id != ? LIMIT 1",
                [row[c] for c in key.columns] + [row["id"]],
            )
            found = cursor.fetchone()
            if found is not None:
                columns = [str(d[0]) for d in cursor.description]
                return key, dict(zip(columns, found, strict=True))
        return None

    def _renumber_column(self, info: TableInfo, key: UniqueKey) -> str | None:
        """The whole-number column (a version or position) theirs can be appended after."""
        if not info.immutable:
            return None
        fk_columns = {fk.column for fk in info.foreign_keys}
        numbers = [c for c in key.columns if "INT" in info.column_type(c) and c not in fk_columns]
        return numbers[0] if len(numbers) == 1 and not key.where else None

    def _append_renumbered(
        self,
        info: TableInfo,
        row: dict[str, Any],
        columns: Sequence[str],
        key: UniqueKey,
        column: str,
    ) -> None:
        others = [c for c in key.columns if c != column]
        where = " AND ".join(f"{_quote(c)} IS ?" for c in others) or "1 = 1"
        top = self.conn.execute(
            f"SELECT coalesce(max({_quote(column)}), 0) FROM {_quote(info.name)} WHERE {where}",
            [row[c] for c in others],
        ).fetchone()[0]
        self._insert(info, {**row, column: int(top) + 1}, columns)

    def _differing(
        self, columns: Sequence[str], mine: dict[str, Any], theirs: dict[str, Any], info: TableInfo
    ) -> tuple[str, ...]:
        return tuple(
            c for c in columns if c not in ("id", info.seq_column) and mine.get(c) != theirs.get(c)
        )

    def _conflict(
        self,
        kind: str,
        key: str,
        info: TableInfo,
        mine: dict[str, Any],
        theirs: dict[str, Any],
        columns: Sequence[str],
        can_take: bool,
    ) -> Conflict:
        pupil = (
            self.owner.get((info.name, theirs["id"]))
            or self.owner.get((info.name, mine.get("id", "")))
            or ""
        )
        choice = self.choices.get(key)
        if choice == THEIRS and not can_take:
            choice = None
        differing = self._differing(columns, mine, theirs, info)
        conflict = Conflict(
            key,
            kind,
            info.name,
            pupil,
            self._pupil_name(pupil),
            differing,
            {c: mine.get(c) for c in columns},
            {c: theirs.get(c) for c in columns},
            can_take,
            choice,
            {
                c: (self._readable(info, c, mine.get(c)), self._readable(info, c, theirs.get(c)))
                for c in differing
            },
        )
        self.conflicts.append(conflict)
        self.totals["conflicts"] += 1
        if pupil in self.outcomes:
            self.outcomes[pupil].counts["conflicts"] += 1
        return conflict

    def _staff_name(self, staff_id: str) -> str | None:
        if self._staff_names is None:
            names = {str(r[0]): str(r[1]) for r in self.conn.execute("SELECT id, name FROM staff")}
            data = self.bundle.reference.get("staff")
            if data is not None and "name" in data.columns:
                for row in data.dicts():
                    names.setdefault(row["id"], str(row["name"]))
            self._staff_names = names
        return self._staff_names.get(staff_id)

    def _readable(self, info: TableInfo, column: str, value: Any) -> str:
        """A value as a person reads it: staff by name, other records' ids not at all."""
        target = next((fk.table for fk in info.foreign_keys if fk.column == column), None)
        if value is None or value == "":
            return "(empty)"
        if target == "staff":
            return self._staff_name(str(value)) or "(a staff member)"
        if target is not None:
            return f"(a {table_label(target).lower()})"
        return describe_value(value)

    def _add(
        self, info: TableInfo, row: dict[str, Any], columns: Sequence[str], digest: str
    ) -> bool:
        """Insert a row that is new here; a clash on a unique key becomes a conflict."""
        try:
            self._insert(info, row, columns)
        except sqlcipher3.IntegrityError as exc:
            clash = self._collision(info, row)
            if clash is None:
                self._problem(info, row["id"], "added", exc)
                return False
            key, mine = clash
            column = self._renumber_column(info, key)
            conflict = self._conflict(
                "added_both",
                f"{info.name}:{row['id']}",
                info,
                mine,
                row,
                columns,
                column is not None,
            )
            if conflict.choice == MINE:
                self._remember(info.name, row["id"], digest)
                self._count(info.name, row["id"], "declined")
                return False
            if conflict.choice == THEIRS and column is not None:
                try:
                    self._append_renumbered(info, row, columns, key, column)
                except sqlcipher3.DatabaseError as again:
                    self._problem(info, row["id"], "added", again)
                    return False
                self._remember(info.name, row["id"], digest)
                self._count(info.name, row["id"], "added")
                return True
            return False
        except sqlcipher3.DatabaseError as exc:
            self._problem(info, row["id"], "added", exc)
            return False
        self._remember(info.name, row["id"], digest)
        self._count(info.name, row["id"], "added")
        return True

    def _chain_columns(self, info: TableInfo) -> tuple[str, ...]:
        linked = [
            fk.column
            for fk in info.foreign_keys
            if fk.table in self.schema.linked and fk.table != info.name
        ]
        return tuple(linked) + CHAIN_REFINEMENTS.get(info.name, ())

    def _table(self, name: str) -> None:
        """Compare one pupil-linked table's incoming rows with ours and apply what is decided."""
        info = self.schema[name]
        data = self.bundle.tables[name]
        columns = self._usable_columns(name, data)
        hashed = [c for c in columns if c not in ("id", info.seq_column)]
        rows = [self._map_row(info, r) for r in data.dicts()]
        incoming_ids = {r["id"] for r in rows}
        local = self._local_rows(info, list(incoming_ids))
        known = _known_hashes(self.store, name, list(incoming_ids))
        fresh: list[tuple[dict[str, Any], str]] = []
        chained = info.immutable and not info.unique_keys
        for row in rows:
            self._set_owner(info, row)
            record_id = row["id"]
            if self._blocked_by(info, row):
                if record_id not in local:
                    self.blocked.add((name, record_id))
                self._count(name, record_id, "waiting")
                continue
            digest = content_hash(hashed, row)
            seen_here = digest in known.get(record_id, set())
            mine = local.get(record_id)
            if mine is None:
                if seen_here:
                    self.blocked.add((name, record_id))  # declined (or removed) here before
                    self._count(name, record_id, "declined")
                elif chained:
                    fresh.append((row, digest))
                elif not self._add(info, row, columns, digest):
                    self.blocked.add((name, record_id))
            else:
                self._existing(info, data, row, mine, columns, digest, seen_here=seen_here)
        if chained:
            self._fresh_history(info, fresh, columns, incoming_ids)

    def _existing(
        self,
        info: TableInfo,
        data: TableData,
        row: dict[str, Any],
        mine: dict[str, Any],
        columns: Sequence[str],
        digest: str,
        *,
        seen_here: bool,
    ) -> None:
        """A record both sides have: keep, take theirs, or make it a conflict (the merge rule)."""
        name, record_id = info.name, row["id"]
        hashed = [c for c in columns if c not in ("id", info.seq_column)]
        if content_hash(hashed, mine) == digest:
            self._remember(name, record_id, digest)
            self._count(name, record_id, "unchanged")
            return
        if info.immutable:
            self._count(name, record_id, "unchanged")  # history is never rewritten
            return
        if seen_here:
            self._count(name, record_id, "kept")  # nothing new from them
            return
        sender_id = self.reverse_map.get(record_id, record_id) if name == ROOT_TABLE else record_id
        theirs_saw_ours = content_hash(hashed, self._unmap_row(info, mine)) in set(
            data.known.get(sender_id, ())
        )
        if not theirs_saw_ours:
            conflict = self._conflict(
                "changed_both", f"{name}:{record_id}", info, mine, row, columns, True
            )
            if conflict.choice == MINE:
                self._remember(name, record_id, digest)
                self._count(name, record_id, "kept")
                return
            if conflict.choice is None:
                return
        try:
            self._update(info, record_id, row, columns)
        except sqlcipher3.DatabaseError as exc:
            self._problem(info, record_id, "updated", exc)
            return
        self._remember(name, record_id, digest)
        self._count(name, record_id, "updated")

    def _fresh_history(
        self,
        info: TableInfo,
        fresh: list[tuple[dict[str, Any], str]],
        columns: Sequence[str],
        incoming_ids: set[str],
    ) -> None:
        """New history rows, chain by chain: both sides appending since is a conflict."""
        chain_columns = self._chain_columns(info)
        chains: dict[tuple[Any, ...], list[tuple[dict[str, Any], str]]] = defaultdict(list)
        for row, digest in fresh:
            chains[tuple(row.get(c) for c in chain_columns)].append((row, digest))
        ours: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        if chain_columns and chains:
            # Our rows in these chains that the sender does not have, in one query.
            wanted = {
                c: sorted({str(v[i]) for v in chains if v[i] is not None})
                for i, c in enumerate(chain_columns)
            }
            clauses = [
                f"{_quote(c)} IN (SELECT value FROM json_each(?))"
                for c, values in wanted.items()
                if values
            ]
            cursor = self.conn.execute(
                f"SELECT * FROM {_quote(info.name)} WHERE ({' OR '.join(clauses)}) "
                f"AND id NOT IN (SELECT value FROM json_each(?)) {_order_clause(info)}",
                [_json_ids(v) for v in wanted.values() if v] + [_json_ids(incoming_ids)],
            )
            names = [str(d[0]) for d in cursor.description]
            for found in cursor.fetchall():
                record = dict(zip(names, found, strict=True))
                ours[tuple(record.get(c) for c in chain_columns)].append(record)
        for values, members in chains.items():
            choice: str | None = THEIRS
            if ours.get(values):
                key = f"{info.name}:chain:" + json.dumps(list(values), ensure_ascii=False)
                choice = self._conflict(
                    "history_both", key, info, ours[values][-1], members[-1][0], columns, True
                ).choice
            for row, digest in members:
                if choice == THEIRS:
                    if not self._add(info, row, columns, digest):
                        self.blocked.add((info.name, row["id"]))
                elif choice == MINE:
                    self._remember(info.name, row["id"], digest)
                    self.blocked.add((info.name, row["id"]))
                    self._count(info.name, row["id"], "declined")
                else:
                    self.blocked.add((info.name, row["id"]))

    # -- the whole import

    def run(self) -> ImportReport:
        local_version = self.store.schema_version()
        if self.bundle.schema_version > local_version:
            raise HandoverError(
                "This bundle was made by a newer version of SEMH Desktop (database schema "
                f"{self.bundle.schema_version}; this one has {local_version}). Update SEMH "
                f"Desktop here, then import it. {NOTHING_IMPORTED}"
            )
        unknown = [n for n in self.bundle.tables if n not in self.schema.linked]
        for name in unknown:
            self.problems.append(
                f"{table_label(name)} records were left out: this database "
                "does not keep them with pupils."
            )
        self._match_pupils()
        self._reference()
        order = [n for n in self.schema.linked if n in self.bundle.tables]
        for step, name in enumerate(order):
            self._table(name)
            if self.progress:
                self.progress(step + 1, len(order))
        report = ImportReport(
            self.bundle.bundle_id,
            self.bundle.made_at,
            self.bundle.sender,
            self.apply,
            list(self.outcomes.values()),
            self.staff_added,
            self.conflicts,
            self.problems,
            self.totals,
        )
        if self.apply:
            self.conn.executemany(
                _REMEMBER,
                [
                    (table, record_id, digest, self.bundle.sender, self.now)
                    for table, record_id, digest in self.synced
                ],
            )
            t = self.totals
            audit.record(
                self.store,
                "import",
                "handover_bundle",
                self.bundle.bundle_id,
                f"{len(report.pupils)} pupils ({report.new_pupils} new, "
                f"{report.merged_pupils} merged), {t['added']} records added, {t['updated']} "
                f"updated, {len(report.conflicts)} conflicts ({len(report.undecided)} "
                f"undecided), {t['declined']} declined, {len(self.problems)} problems, "
                f"{len(self.staff_added)} staff profiles added",
                everyone=True,  # a merge may touch any pupil's records: every screen re-reads
            )
            for outcome in report.pupils:
                c = outcome.counts
                audit.record(
                    self.store,
                    "import",
                    "pupil",
                    outcome.local_id,
                    f"handover bundle {self.bundle.bundle_id}: {outcome.status}, "
                    f"{c['added']} added, {c['updated']} updated, "
                    f"{c['conflicts']} conflicts",
                )
        return report


def _merge(
    store: Store,
    bundle: Bundle,
    choices: dict[str, str] | None,
    *,
    apply: bool,
    progress: Progress | None,
) -> ImportReport:
    for key, choice in (choices or {}).items():
        if choice not in (MINE, THEIRS):
            raise ValidationError(f"Choose keep mine or take theirs for {key}.", field="choice")
    merge = _Merge(store, bundle, dict(choices or {}), apply, progress)
    if apply:
        with store.atomic():
            return merge.run()
    report: ImportReport | None = None
    try:
        with store.atomic():
            report = merge.run()
            raise _Rollback
    except _Rollback:
        pass
    assert report is not None
    return report


@requires("import")
def preview_import(
    store: Store,
    bundle: Bundle,
    choices: dict[str, str] | None = None,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Everything the import would do, conflicts included; nothing is kept."""
    return _merge(store, bundle, choices, apply=False, progress=progress)


@requires("import")
def apply_import(
    store: Store,
    bundle: Bundle,
    choices: dict[str, str] | None = None,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Import in one transaction. Conflicts without a choice are left exactly as they are."""
    return _merge(store, bundle, choices, apply=True, progress=progress)


@requires("import")
def import_bundle(
    store: Store, path: Path, passphrase: str, choices: dict[str, str] | None = None
) -> ImportReport:
    """Read and apply a bundle file (the command line and scripts)."""
    return apply_import(store, read_bundle(path, passphrase), choices)


def describe_value(value: Any, limit: int = 120) -> str:
    """A stored value in words for the conflict list."""
    if value is None or value == "":
        return "(empty)"
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def conflict_lines(conflict: Conflict) -> list[tuple[str, str, str]]:
    """(field, mine, theirs) in words for each field that differs."""
    return [
        (
            name.replace("_", " "),
            *conflict.shown.get(
                name,
                (
                    describe_value(conflict.mine.get(name)),
                    describe_value(conflict.theirs.get(name)),
                ),
            ),
        )
        for name in conflict.fields
    ]
