"""Opening a bundle: unseal it with the passphrase, then check the shape of everything inside."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semh_desktop.exchange.handover.crypto import unseal
from semh_desktop.exchange.handover.errors import (
    DAMAGED,
    NOTHING_IMPORTED,
    DamagedBundle,
    HandoverError,
)
from semh_desktop.exchange.handover.schema import ROOT_TABLE, TableData

# --- reading a bundle ----------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Bundle:
    """A decrypted, shape-checked bundle (not yet compared with any database)."""

    bundle_id: str
    made_at: str
    schema_version: int
    app_version: str
    sender: str
    pupil_ids: tuple[str, ...]
    tables: dict[str, TableData]
    reference: dict[str, TableData]

    @property
    def record_count(self) -> int:
        return sum(len(d.rows) for d in self.tables.values())


def _shape(ok: bool) -> None:
    if not ok:
        raise DamagedBundle(
            "The bundle opened, but its contents are not in the shape SEMH Desktop expects, "
            f"so it cannot be imported. {NOTHING_IMPORTED}"
        )


def _table_data(value: Any, *, with_known: bool) -> TableData:
    _shape(
        isinstance(value, dict)
        and isinstance(value.get("columns"), list)
        and isinstance(value.get("rows"), list)
    )
    columns = value["columns"]
    _shape(
        all(isinstance(c, str) and _IDENTIFIER.match(c) for c in columns)
        and "id" in columns
        and len(set(columns)) == len(columns)
    )
    rows = []
    for row in value["rows"]:
        _shape(
            isinstance(row, list)
            and len(row) == len(columns)
            and all(v is None or isinstance(v, str | int | float) for v in row)
        )
        rows.append(tuple(row))
    at = columns.index("id")
    _shape(all(isinstance(r[at], str) for r in rows))
    known: dict[str, tuple[str, ...]] = {}
    if with_known:
        raw = value.get("known", {})
        _shape(
            isinstance(raw, dict)
            and all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(h, str) for h in v)
                for k, v in raw.items()
            )
        )
        known = {k: tuple(v) for k, v in raw.items()}
    return TableData(tuple(columns), tuple(rows), known)


def parse_payload(payload: bytes) -> Bundle:
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DamagedBundle(DAMAGED) from None
    _shape(isinstance(data, dict) and data.get("format") == "semh-desktop-handover")
    _shape(
        isinstance(data.get("format_version"), int)
        and isinstance(data.get("schema_version"), int)
        and isinstance(data.get("bundle_id"), str)
        and isinstance(data.get("made_at"), str)
        and isinstance(data.get("sender"), dict)
        and isinstance(data["sender"].get("installation_id"), str)
        and isinstance(data.get("pupils"), list)
        and all(isinstance(p, str) for p in data["pupils"])
        and isinstance(data.get("tables"), dict)
        and isinstance(data.get("reference"), dict)
    )
    _shape(
        all(
            isinstance(n, str) and _IDENTIFIER.match(n)
            for n in [*data["tables"], *data["reference"]]
        )
    )
    _shape(ROOT_TABLE in data["tables"])
    return Bundle(
        bundle_id=data["bundle_id"],
        made_at=data["made_at"],
        schema_version=data["schema_version"],
        app_version=str(data.get("app_version", "")),
        sender=data["sender"]["installation_id"],
        pupil_ids=tuple(data["pupils"]),
        tables={n: _table_data(v, with_known=True) for n, v in data["tables"].items()},
        reference={n: _table_data(v, with_known=False) for n, v in data["reference"].items()},
    )


def read_bundle(path: Path, passphrase: str) -> Bundle:
    """Open a bundle file with its passphrase. Touches no database."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise HandoverError(f"There is no file at {path}. {NOTHING_IMPORTED}") from None
    except OSError as exc:
        raise HandoverError(
            f"The bundle could not be read: {exc.strerror or exc}. {NOTHING_IMPORTED}"
        ) from None
    return parse_payload(unseal(data, passphrase))
