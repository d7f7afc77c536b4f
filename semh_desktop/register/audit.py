"""The append-only, tamper-evident audit trail: who did what to which record, and when.

Details name fields and counts, never the values, so the trail itself holds no personal data
beyond the record ids it points at.

Each entry is sealed: `mac` is an HMAC-SHA256, keyed by `store.audit_key` (derived from the
database key), over the previous entry's seal and this entry's content. Changing, replacing
or removing an entry in the middle breaks the seal of that entry or of the next; removing the
last entries is caught by the counter SQLite keeps (`sqlite_sequence`) and by the checkpoint,
the last entry checked, which is kept outside the database (in the key-slot file beside it),
so that cutting off the end and fixing up the counter is caught too.

What this does not stop: whoever holds the database key itself (the recovery key) can work
out the seal key and re-seal a changed trail, and rows written after the last checkpoint can
be cut off together with the counter unseen. It makes tampering with a copy of the key in a
SQLite tool visible; it is not a signature.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import json
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from semh_desktop.core import changes, keyslots
from semh_desktop.core.changes import Changes
from semh_desktop.core.errors import StoreError
from semh_desktop.core.store import Store, new_id, translate

ACTIONS = (
    "create",
    "change",
    "archive",
    "open",
    "export",
    "print",
    "import",
    "unlock",
    "lock",
    "view",
    "refused",
    "sign_in_failed",
    "chain_broken",
    "verify",
)
# Actions that change what a screen shows; opening, printing, exporting, viewing, refusals,
# sign-ins and checks only leave a trace.
WRITING_ACTIONS = frozenset({"create", "change", "archive", "import"})

ACTION_LABELS = {
    "create": "Created",
    "change": "Changed",
    "archive": "Archived",
    "open": "Opened",
    "export": "Exported",
    "print": "Printed",
    "import": "Imported",
    "unlock": "Signed in",
    "lock": "Locked",
    "view": "Viewed a list",
    "refused": "Refused",
    "sign_in_failed": "Sign-in failed",
    "chain_broken": "Tampering found",
    "verify": "Checked the trail",
}

# One encoder, made once (json.dumps builds one per call: half the cost of a check).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COLUMNS = "seq, id, at, staff_id, action, record_type, record_id, pupil_id, detail"


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: str
    staff_id: str | None
    action: str
    record_type: str
    record_id: str | None
    detail: str
    pupil_id: str | None = None
    seq: int = 0


# -- sealing -----------------------------------------------------------------------------------


def _content(row: Sequence[Any]) -> bytes:
    """The canonical encoding of an entry: its fields in order, as compact JSON.

    JSON is unambiguous whatever the text holds (no separator can be forged inside a field).
    """
    return _ENCODER.encode(list(row)).encode("utf-8")


def seal(key: bytes, previous_mac: str | None, row: Sequence[Any]) -> str:
    """The seal of an entry, chained onto the previous entry's seal ("" for the first).

    `row` is seq, id, at, staff_id, action, record_type, record_id, pupil_id, detail.
    """
    message = (previous_mac or "").encode("ascii") + b"\n" + _content(row)
    return hmac.digest(key, message, "sha256").hex()


@contextlib.contextmanager
def _writing(store: Store) -> Iterator[None]:
    """One transaction holding the write lock from its start (BEGIN IMMEDIATE).

    Reading the last seal and appending onto it then cannot interleave with another
    connection doing the same (both would chain onto one entry).

    Inside a caller's transaction, a savepoint of it (the caller's write holds the lock).
    """
    conn = store.conn
    if conn.in_transaction:
        with store.atomic():
            yield
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except Exception as exc:
        raise translate(exc) from exc
    try:
        with store.atomic():  # a savepoint: errors come back translated
            yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except Exception as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise translate(exc) from exc


def _last(store: Store) -> tuple[int, str | None] | None:
    row = store.conn.execute("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), row[1]) if row else None


def _counter(store: Store) -> int:
    row = store.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def record(
    store: Store,
    action: str,
    record_type: str,
    record_id: str | None = None,
    detail: str = "",
    *,
    pupil_id: str | None = None,
    everyone: bool = False,
) -> None:
    """Append a sealed audit row; a writing action also notes what changed.

    The change goes into the journal of the write in progress, as before.

    `pupil_id` names the pupil whose records changed (None for staff, settings and the like);
    `everyone` marks a bulk write that may change any pupil's records.
    """
    if action in WRITING_ACTIONS:
        changes.note(store, Changes.of(record_type, pupil_ids=[pupil_id], everyone=everyone))
    concerns = pupil_id if pupil_id is not None or record_type != "pupil" else record_id
    with _writing(store):
        last = _last(store)
        if last is not None and last[1] is None:
            # An upgraded database's first new entry: seal the older ones first (once).
            _seal_legacy_rows(store)
            last = _last(store)
        seq = max(_counter(store), last[0] if last else 0) + 1
        row = (
            seq,
            new_id(),
            store.clock.now().isoformat(timespec="seconds"),
            store.staff_id,
            action,
            record_type,
            record_id,
            concerns,
            detail,
        )
        mac = seal(store.audit_key, last[1] if last else None, row)
        store.conn.execute(
            f"INSERT INTO audit ({_COLUMNS}, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row, mac),
        )


def viewed(store: Store, what: str, count: int, detail: str = "") -> None:
    """One "view" entry for one look at a list (the caseload, the Due list, a search).

    `detail` gives the counts and the kind of filter, never names or search text.
    """
    noun = "entry" if count == 1 else "entries"
    record(store, "view", what, None, detail or f"{count} {noun} shown")


# -- the legacy rows of an upgraded database ---------------------------------------------------


def seal_legacy(store: Store) -> int:
    """Seal the entries written before schema 8, in order, and return how many.

    Only while no entry has a seal yet and no checkpoint was ever saved: afterwards an
    unsealed entry is a break (it was added or blanked outside SEMH Desktop).
    """
    with _writing(store):
        return _seal_legacy_rows(store)


def _seal_legacy_rows(store: Store) -> int:
    conn = store.conn
    if conn.execute("SELECT 1 FROM audit WHERE mac IS NOT NULL LIMIT 1").fetchone():
        return 0
    if _load_checkpoint(store) is not None:
        return 0
    rows = conn.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY seq").fetchall()
    if not rows:
        return 0
    previous: str | None = None
    sealed = []
    for row in rows:
        previous = seal(store.audit_key, previous, row)
        sealed.append((previous, row[0]))
    # The trail refuses updates: lift that for the sealing only, in this transaction.
    trigger = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_no_update'"
    ).fetchone()
    if trigger:
        conn.execute("DROP TRIGGER audit_no_update")
    conn.executemany("UPDATE audit SET mac = ? WHERE seq = ?", sealed)
    if trigger:
        conn.execute(trigger[0])
    return len(sealed)


# -- checking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The result of a check: whole (`ok`), or the first entry found broken and why."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    first_bad_at: str | None = None
    first_bad_action: str | None = None
    reason: str = ""

    @property
    def summary(self) -> str:
        if self.ok:
            noun = "entry" if self.checked == 1 else "entries"
            return f"The audit trail is whole: {self.checked} {noun} checked."
        return f"The audit trail has been tampered with: {self.reason}."


def _when(at: str | None, *, with_time: bool = True) -> str:
    if not at:
        return ""
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        return at
    return moment.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def describe(seq: int, action: str | None, at: str | None, *, with_time: bool = True) -> str:
    """'entry 41 (open, 02/12/2026 10:14)', as a reason names an entry."""
    parts = [p for p in (action, _when(at, with_time=with_time)) if p]
    return f"entry {seq} ({', '.join(parts)})" if parts else f"entry {seq}"


def _broken(
    checked: int, row: Sequence[Any] | None, reason: str, seq: int | None = None
) -> ChainReport:
    if row is None:
        return ChainReport(False, checked, first_bad_seq=seq, reason=reason)
    return ChainReport(
        False,
        checked,
        first_bad_seq=int(row[0]),
        first_bad_id=row[1],
        first_bad_at=row[2],
        first_bad_action=row[4],
        reason=reason,
    )


def verify(store: Store, *, from_start: bool = True) -> ChainReport:
    """Check the seals of the trail (from the first entry, or from the checkpoint on).

    Entry numbers may skip (SQLite's counter can), but a removed entry breaks the seal of
    the next; an unsealed entry is a break; the counter must match the last entry (the last
    entries removed); the checkpoint entry must still be there with the seal it had.
    """
    conn = store.conn
    key = store.audit_key
    checkpoint = _load_checkpoint(store)
    checked = 0
    previous: str | None = None
    previous_seq = 0
    start_after = 0
    if not from_start and checkpoint is not None:
        cp_seq, cp_mac = checkpoint
        found = conn.execute(
            f"SELECT {_COLUMNS}, mac FROM audit WHERE seq = ?", [cp_seq]
        ).fetchone()
        if found is None:
            return _missing_checkpoint(store, 0, cp_seq)
        before = conn.execute(
            "SELECT mac FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT 1", [cp_seq]
        ).fetchone()
        # The checkpoint entry's own content too, not only its seal.
        if found[9] != cp_mac or not hmac.compare_digest(
            seal(key, before[0] if before else None, found[:9]), cp_mac
        ):
            return _broken(
                0, found, f"{describe(cp_seq, found[4], found[2])} was changed or replaced"
            )
        previous, previous_seq, start_after = cp_mac, cp_seq, cp_seq
    cursor = conn.execute(
        f"SELECT {_COLUMNS}, mac FROM audit WHERE seq > ? ORDER BY seq", [start_after]
    )
    checkpoint_seq = checkpoint[0] if checkpoint else None
    for row in cursor:
        seq, stored = int(row[0]), row[9]
        content = row[:9]
        if stored is None:
            return _broken(
                checked,
                row,
                f"{describe(seq, row[4], row[2])} has no seal: it was added or changed "
                "outside SEMH Desktop",
            )
        if not hmac.compare_digest(seal(key, previous, content), stored):
            if seq - previous_seq > 1:
                reason = f"entries are missing before {describe(seq, row[4], row[2])}"
            else:
                reason = f"{describe(seq, row[4], row[2])} was changed or replaced"
            return _broken(checked, row, reason)
        if seq == checkpoint_seq and checkpoint is not None and stored != checkpoint[1]:
            return _broken(checked, row, f"{describe(seq, row[4], row[2])} was changed or replaced")
        checked += 1
        previous, previous_seq = stored, seq
    counter = _counter(store)
    if counter > previous_seq:
        after = f"after {describe(previous_seq, None, None)}" if previous_seq else "from the start"
        return _broken(checked, None, f"the last entries were deleted ({after})", counter)
    if checkpoint is not None and checkpoint[0] > previous_seq:
        return _missing_checkpoint(store, checked, checkpoint[0])
    return ChainReport(True, checked)


def _missing_checkpoint(store: Store, checked: int, cp_seq: int) -> ChainReport:
    return _broken(
        checked,
        None,
        f"the last entries were deleted (entry {cp_seq}, checked before, is missing)",
        cp_seq,
    )


def verify_since_checkpoint(store: Store) -> ChainReport:
    """Check from the last entry checked to the end, and move the checkpoint to the end.

    An upgraded database's older entries are sealed first (once). A broken trail keeps its
    old checkpoint, so the break is found again at every check until it is dealt with.
    """
    first = store.conn.execute("SELECT mac FROM audit ORDER BY seq LIMIT 1").fetchone()
    if first is not None and first[0] is None:
        # Only then (an upgraded database): sealing takes the write lock.
        with contextlib.suppress(StoreError):
            seal_legacy(store)
    report = verify(store, from_start=False)
    if report.ok:
        _save_end(store)
    return report


def checkpoint(store: Store) -> ChainReport:
    """Save the end of the trail as the checkpoint (at lock and close), if it is whole.

    Checked since the last checkpoint first: a broken trail keeps its old checkpoint, so a
    break (the last entries cut off, say) is not hidden by moving the checkpoint past it.
    """
    return verify_since_checkpoint(store)


# -- the checkpoint ----------------------------------------------------------------------------

# In-memory stores (tests) keep theirs here, by the store object's id, until it is collected.
_memory_checkpoints: dict[int, tuple[int, str]] = {}


def _load_checkpoint(store: Store) -> tuple[int, str] | None:
    if store.path is None:
        return _memory_checkpoints.get(id(store))
    return keyslots.audit_checkpoint(Path(store.path))


def _save_end(store: Store) -> None:
    last = _last(store)
    if last is None or last[1] is None:
        return
    seq, mac = last[0], last[1]
    if store.path is None:
        if id(store) not in _memory_checkpoints:
            weakref.finalize(store, _memory_checkpoints.pop, id(store), None)
        _memory_checkpoints[id(store)] = (seq, mac)
        return
    keyslots.save_audit_checkpoint(Path(store.path), seq, mac)


# -- reading -----------------------------------------------------------------------------------


def _entry(row: Sequence[Any]) -> AuditEntry:
    seq, id_, at, staff_id, action, record_type, record_id, pupil_id, detail = row
    return AuditEntry(
        id=id_,
        at=at,
        staff_id=staff_id,
        action=action,
        record_type=record_type,
        record_id=record_id,
        detail=detail,
        pupil_id=pupil_id,
        seq=int(seq),
    )


def entries(store: Store, record_id: str | None = None) -> list[AuditEntry]:
    where, params = ("record_id = ?", [record_id]) if record_id else ("1 = 1", [])
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM audit WHERE {where} ORDER BY seq", params
    ).fetchall()
    return [_entry(row) for row in rows]


def search(
    store: Store,
    *,
    pupil_id: str | None = None,
    staff_id: str | None = None,
    action: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries matching every filter given, newest first (dates inclusive)."""
    where, params = _filters(pupil_id, staff_id, action, date_from, date_to)
    sql = f"SELECT {_COLUMNS} FROM audit WHERE {where} ORDER BY seq DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [_entry(row) for row in store.conn.execute(sql, params).fetchall()]


def _filters(
    pupil_id: str | None,
    staff_id: str | None,
    action: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if pupil_id is not None:
        clauses.append("pupil_id = ?")
        params.append(pupil_id)
    if staff_id is not None:
        clauses.append("staff_id = ?")
        params.append(staff_id)
    if action is not None:
        clauses.append("action = ?")
        params.append(action)
    if date_from is not None:
        clauses.append("at >= ?")
        params.append(date_from.isoformat())
    if date_to is not None:
        clauses.append("at < ?")
        params.append((date_to + dt.timedelta(days=1)).isoformat())
    return " AND ".join(clauses), params


class Seen(NamedTuple):
    """One line of "who has seen or changed this record"."""

    staff_name: str
    action: str
    times: int
    last_at: str


def who_has_seen(store: Store, pupil_id: str) -> list[Seen]:
    """Each member of staff and what they did to the pupil's records: how often, last when."""
    rows = store.conn.execute(
        "SELECT coalesce(staff.name, 'Nobody signed in'), audit.action, count(*), max(audit.at) "
        "FROM audit LEFT JOIN staff ON staff.id = audit.staff_id "
        "WHERE audit.pupil_id = ? GROUP BY audit.staff_id, audit.action "
        "ORDER BY max(audit.seq) DESC",
        [pupil_id],
    ).fetchall()
    return [
        Seen(str(name), str(action), int(count), str(last)) for name, action, count, last in rows
    ]


def staff_names(store: Store) -> dict[str, str]:
    """Every staff profile's name by id (archived ones too: old entries name them)."""
    return {row[0]: row[1] for row in store.conn.execute("SELECT id, name FROM staff")}
