"""`semh-desktop import`: the printed preview, --dry-run, --mapping, --register, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from semh_desktop.cli import main as cli
from semh_desktop.core.keystore import Passphrase
from semh_desktop.register.database import open_database

from .import_helpers import BAD_ROWS, CTF, SIMS, audit_rows, pupil_rows


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCHOOL_PASS", "correct horse")
    path = tmp_path / "school.db"
    assert cli.main(["init", "--db", str(path), "--passphrase-env", "SCHOOL_PASS"]) == 0
    return path


def _run(db: Path, *args: str) -> int:
    return cli.main(["import", "--db", str(db), "--passphrase-env", "SCHOOL_PASS", *args])


def _stored(db: Path) -> dict[str, dict[str, object]]:
    store = open_database(db, passphrase=Passphrase("correct horse"))
    try:
        return pupil_rows(store)
    finally:
        store.close()


def test_dry_run_prints_the_preview_and_writes_nothing(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert _run(db, str(BAD_ROWS), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Columns (guessed):\n  UPN -> UPN\n  Surname -> Legal surname" in out
    assert "New pupils: 3 (they will not be on the SEMH register)" in out
    assert "Rows with errors (not imported): 6" in out
    assert "  line 5, UPN A873412713003: UPN: The UPN's check letter does not match" in out
    assert "  line 6, UPN G873412713004: Date of birth: The date of birth is not a real date" in out
    assert "  line 11, UPN Z873412713007: Year group:" in out
    assert out.rstrip().endswith("Dry run: nothing was imported.")
    for name in ("Halloran", "Renée", "Fenlowe", "2013"):  # no personal values printed
        assert name not in out
    # Opening from the command line audits the "unlock" (as every command does); the dry run
    # adds no pupil, no import audit row and no remembered mapping.
    store = open_database(db, passphrase=Passphrase("correct horse"))
    try:
        assert pupil_rows(store) == {}
        actions = [row["action"] for row in audit_rows(store)]
        assert actions[0] == "create" and set(actions[1:]) == {"unlock"}
        assert list(store.db.query("SELECT * FROM settings WHERE key LIKE 'import.%'")) == []
    finally:
        store.close()


def test_import_then_reimport(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(db, str(SIMS)) == 0
    out = capsys.readouterr().out
    assert "Imported: created 6, updated 0, unchanged 0, errors 0." in out
    assert "not on the SEMH register (use --register to add them)" in out
    assert len(_stored(db)) == 6
    assert _run(db, str(SIMS)) == 0
    out = capsys.readouterr().out
    assert "Columns (remembered from the last import):" in out
    assert "Imported: created 0, updated 0, unchanged 6, errors 0." in out


def test_mapping_file_and_register_flag(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Surname": "ignore", "Forename": "ignore"}), encoding="utf-8")
    assert _run(db, str(SIMS), "--mapping", str(mapping), "--register") == 0
    out = capsys.readouterr().out
    assert "Columns (from --mapping):" in out and "  Surname -> (not imported)" in out
    rows = _stored(db)
    assert all(row["on_semh_register"] == 1 for row in rows.values())
    assert rows["T873412713003"]["preferred_forename"] is None


def test_ctf_import_from_the_command_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(db, str(CTF)) == 0
    out = capsys.readouterr().out
    assert "Common Transfer File from Wrenfield Primary School (fictional) (873/2046)" in out
    assert "  pupil 4, UPN A873204619005: Date of birth:" in out
    assert "Imported: created 3, updated 0, unchanged 0, errors 1." in out
    store = open_database(db, passphrase=Passphrase("correct horse"))
    try:
        imports = [row for row in audit_rows(store) if row["action"] == "import"]
        assert imports[-1]["detail"] == "created 3, updated 0, unchanged 0, errors 1"
    finally:
        store.close()


def test_unreadable_files_are_one_plain_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = tmp_path / "pupils.xlsx"
    workbook.write_bytes(b"PK\x03\x04 not really a workbook")
    assert _run(db, str(workbook)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "spreadsheet workbook" in err[0]
    assert _run(db, str(tmp_path / "missing.csv")) == 1
    assert "cannot be read" in capsys.readouterr().err
