"""Shared by the import tests: the fixture folder, reading fixtures, and snapshots of the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.pupils import ImportPreview, ImportResult

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SIMS = FIXTURES / "sims_pupils_cp1252.csv"
ARBOR = FIXTURES / "arbor_pupils_utf8_bom.csv"
BROMCOM = FIXTURES / "bromcom_pupils_semicolon.csv"
BAD_ROWS = FIXTURES / "bad_rows.csv"
CTF = FIXTURES / "ctf_from_primary.xml"
CTF_OLD = FIXTURES / "ctf_old_version.xml"


def preview_file(store: Store, path: Path, **options: Any) -> ImportPreview:
    return pupil_import.preview_import(store, pupil_import.read_import_file(path), **options)


def import_file(store: Store, path: Path, **options: Any) -> ImportResult:
    return pupil_import.apply_import(store, preview_file(store, path, **options))


def pupil_rows(store: Store) -> dict[str, dict[str, Any]]:
    """Every stored pupil row keyed by UPN, updated_at included."""
    return {row["upn"]: row for row in store.db.query("SELECT * FROM pupils")}


def audit_rows(store: Store) -> list[dict[str, Any]]:
    return list(
        store.db.query("SELECT action, record_type, record_id, detail FROM audit ORDER BY seq")
    )
