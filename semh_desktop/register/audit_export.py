"""Writing the audit trail (or the entries a filter picks) to a CSV file, itself audited.

Apart from `audit` so that the role check (`access.requires`, which imports `audit`) can guard
it without an import cycle.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from semh_desktop.core.errors import StoreError
from semh_desktop.core.store import Store
from semh_desktop.register import access, audit

HEADER = (
    "entry",
    "at",
    "staff",
    "action",
    "record_type",
    "record_id",
    "pupil_upn",
    "detail",
)


def _cell(text: str) -> str:
    # A spreadsheet runs a cell beginning with = + - @ as a formula: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@access.requires("export")
def export_csv(
    store: Store,
    path: Path,
    *,
    pupil_id: str | None = None,
    staff_id: str | None = None,
    action: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> int:
    """Write the matching entries (oldest first) with staff names; return how many."""
    found = audit.search(
        store,
        pupil_id=pupil_id,
        staff_id=staff_id,
        action=action,
        date_from=date_from,
        date_to=date_to,
    )
    found.reverse()
    names = audit.staff_names(store)
    upns = {row[0]: row[1] for row in store.conn.execute("SELECT id, upn FROM pupils")}
    path = Path(path)
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for entry in found:
                writer.writerow(
                    [
                        entry.seq,
                        entry.at,
                        _cell(names.get(entry.staff_id or "", "")),
                        entry.action,
                        entry.record_type,
                        entry.record_id or "",
                        upns.get(entry.pupil_id or "", ""),
                        _cell(entry.detail),
                    ]
                )
    except OSError as exc:
        raise StoreError(f"{path.name} could not be written ({exc.strerror or exc}).") from None
    used = [
        name
        for name, value in (
            ("pupil", pupil_id),
            ("staff", staff_id),
            ("action", action),
            ("from", date_from),
            ("to", date_to),
        )
        if value is not None
    ]
    detail = f"{len(found)} entries to CSV" + (f", filtered by {', '.join(used)}" if used else "")
    audit.record(store, "export", "audit", None, detail, pupil_id=pupil_id)
    return len(found)
