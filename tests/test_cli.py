"""The command line: init, demo, --version, one-line errors; demo files unreadable without a key."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import apsw
import pytest

from semh_desktop.cli import main as cli
from semh_desktop.core.keystore import Passphrase, parse_recovery_key
from semh_desktop.demo import school as demo
from semh_desktop.register import pupils
from semh_desktop.register.database import open_database

from .conftest import file_hash


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "semh_desktop", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def recovery_line(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("Recovery key:")]
    return line.removeprefix("Recovery key:").strip()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run_cli(
        "demo",
        "--db",
        str(path),
        "--passphrase-env",
        "DEMO_PW",
        env={"DEMO_PW": "tea and biscuits"},
    )
    assert result.returncode == 0, result.stderr
    assert "600 fictional pupils, 40 on the SEMH register" in result.stdout
    (path.parent / "recovery.txt").write_text(recovery_line(result.stdout))
    return path


def known_demo_surname(path: Path) -> str:
    store = open_database(path, passphrase=Passphrase("tea and biscuits"))
    surnames = sorted({row.surname for row in pupils.caseload(store) if len(row.surname) >= 7})
    store.close()
    assert surnames
    return surnames[0]


def test_demo_database_is_refused_by_standard_sqlite(demo_db):
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(demo_db).execute("SELECT name FROM sqlite_master").fetchall()


def _multiple_ciphers(copy: Path, key_pragma: str) -> int:
    conn = apsw.Connection(str(copy), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        conn.execute("PRAGMA cipher = 'sqlcipher'")
        conn.execute("PRAGMA legacy = 4")
        conn.execute(f"PRAGMA key = {key_pragma}")
        query = "SELECT count(*) FROM pupils WHERE on_semh_register = 1"
        (count,) = conn.execute(query).fetchone()
        return int(count)
    finally:
        conn.close()


def test_demo_database_opens_in_another_sqlcipher4_implementation(demo_db, tmp_path):
    # SQLite3 Multiple Ciphers is an independent implementation of the SQLCipher 4 format:
    # given the recovery key as a raw key it reads our file; a person's passphrase alone
    # (which only unwraps their key slot) and no key at all do not.
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_db.read_bytes())
    raw = parse_recovery_key((demo_db.parent / "recovery.txt").read_text())
    assert _multiple_ciphers(copy, raw.pragma_value()) == 40
    for wrong in ("'tea and biscuits'", "''"):
        with pytest.raises(apsw.Error):
            _multiple_ciphers(copy, wrong)
    plain = sqlite3.connect(copy)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        plain.execute("SELECT count(*) FROM pupils").fetchall()
    plain.close()


def test_the_key_slot_file_holds_no_pupil_data(demo_db):
    slots = Path(f"{demo_db}.keys").read_bytes().decode("utf-8")
    store = open_database(demo_db, passphrase=Passphrase("tea and biscuits"))
    everyone = pupils.caseload(store, whole_register=True)
    store.close()
    assert len(everyone) == 600
    for row in everyone:
        for value in (row.upn, row.surname, row.name):
            assert value not in slots, "pupil data in the key-slot file"
    # It does name the staff (the sign-in screen lists them before the file is open).
    assert all(name in slots for name, _role in demo.STAFF)


def test_no_demo_surname_in_the_bytes_on_disk(demo_db, tmp_path):
    surname = known_demo_surname(demo_db)
    assert surname.encode() not in demo_db.read_bytes()
    # With a live connection the newest pages sit in the -wal file (and the index in -shm).
    store = open_database(demo_db, passphrase=Passphrase("tea and biscuits"))
    pupil = pupils.caseload(store)[0]
    details = pupils.get_pupil(store, pupil.pupil_id).details
    pupils.update_pupil(store, pupil.pupil_id, pupils.replace_details(details, reg_group="Zebra9"))
    wal, shm = Path(f"{demo_db}-wal"), Path(f"{demo_db}-shm")
    assert wal.stat().st_size > 0
    for path in (demo_db, wal, shm):
        content = path.read_bytes()
        for needle in (surname, pupil.surname, "Zebra9"):
            assert needle.encode("utf-8") not in content, f"{needle} readable in {path.name}"
    store.close()


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("SEMH Desktop ")


def test_errors_are_one_plain_line_and_exit_non_zero(demo_db, tmp_path):
    before = file_hash(demo_db)
    result = run_cli("demo", "--db", str(demo_db), "--passphrase-env", "PW", env={"PW": "x"})
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "already exists" in result.stderr
    missing = run_cli(
        "init", "--db", str(tmp_path / "a.db"), "--passphrase-env", "NOT_SET_ANYWHERE"
    )
    assert missing.returncode == 1 and "NOT_SET_ANYWHERE is not set" in missing.stderr
    assert "Traceback" not in missing.stderr + result.stderr
    assert file_hash(demo_db) == before


def test_init_prints_the_recovery_key_once_and_the_passphrase_signs_in(
    tmp_path, capsys, monkeypatch
):
    path = tmp_path / "school.db"
    monkeypatch.setenv("FIRST_PW", "a long first passphrase")
    args = ["init", "--db", str(path), "--staff", "Ms Example", "--passphrase-env", "FIRST_PW"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert out.count("Recovery key:") == 1
    key = parse_recovery_key(recovery_line(out))
    store = open_database(path, passphrase=Passphrase("a long first passphrase"))
    assert [s.name for s in demo.staff.list_staff(store)] == ["Ms Example"]
    assert demo.staff.get_staff(store, store.staff_id).role == "senco"
    store.close()
    open_database(path, recovery=key).close()
    # Too short a passphrase, or none at all, is refused in plain words.
    monkeypatch.setenv("SHORT_PW", "short")
    other = tmp_path / "other.db"
    assert cli.main(["init", "--db", str(other), "--passphrase-env", "SHORT_PW"]) == 1
    assert cli.main(["init", "--db", str(other)]) == 1
    err = capsys.readouterr().err
    assert "at least 8 characters" in err and "--passphrase-env" in err
    assert not other.exists()


def test_gui_without_window_package_says_so(capsys):
    assert cli.main(["gui"]) == 1
    assert "window is not installed" in capsys.readouterr().err
