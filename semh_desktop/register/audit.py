"""The append-only audit trail: who did what to which record, and when.

Details name fields and counts, never the values, so the trail itself holds no personal data
beyond the record ids it points at.
"""

from __future__ import annotations

from dataclasses import dataclass

from semh_desktop.core import changes
from semh_desktop.core.changes import Changes
from semh_desktop.core.store import Store, new_id

ACTIONS = ("create", "change", "archive", "open", "export", "print", "import", "unlock", "lock")
# Actions that change what a screen shows; opening, printing, exporting and (un)locking only
# leave a trace.
WRITING_ACTIONS = frozenset({"create", "change", "archive", "import"})


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: str
    staff_id: str | None
    action: str
    record_type: str
    record_id: str | None
    detail: str


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
    """Append an audit row; a writing action also notes what changed for the write in progress.

    `pupil_id` names the pupil whose records changed (None for staff, settings and the like);
    `everyone` marks a bulk write that may change any pupil's records.
    """
    if action in WRITING_ACTIONS:
        changes.note(store, Changes.of(record_type, pupil_ids=[pupil_id], everyone=everyone))
    store.db.table("audit").insert(
        {
            "id": new_id(),
            "at": store.clock.now().isoformat(timespec="seconds"),
            "staff_id": store.staff_id,
            "action": action,
            "record_type": record_type,
            "record_id": record_id,
            "detail": detail,
        }
    )


def entries(store: Store, record_id: str | None = None) -> list[AuditEntry]:
    where, params = ("record_id = ?", [record_id]) if record_id else ("1 = 1", [])
    rows = store.db.query(
        f"SELECT id, at, staff_id, action, record_type, record_id, detail FROM audit "
        f"WHERE {where} ORDER BY seq",
        params,
    )
    return [AuditEntry(**row) for row in rows]
