"""The encrypted store: keys, refusals that leave the file untouched, migrations."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3

from semh_desktop.core.errors import (
    FileTooNew,
    NotADatabase,
    SignInRefused,
    StoreError,
    ValidationError,
    WrongKey,
)
from semh_desktop.core.keystore import (
    Passphrase,
    RawKey,
    parse_recovery_key,
    recovery_key,
)
from semh_desktop.core.store import latest_schema, open_store
from semh_desktop.register import pupils
from semh_desktop.register.database import create_database, open_database

from .conftest import file_hash, sample_details

FIXTURES = Path(__file__).parent / "fixtures"


PASS = "correct horse"


def make_db(tmp_path: Path, clock, passphrase: Passphrase | None = None) -> Path:
    path = tmp_path / "school.db"
    passphrase = passphrase or Passphrase(PASS)
    created = create_database(path, staff_name="Test SENCO", clock=clock, passphrase=passphrase)
    pupils.add_pupil(created.store, sample_details())
    created.store.close()
    (path.parent / "recovery.txt").write_text(created.recovery_key)
    return path


def raw_key_of(path: Path) -> RawKey:
    return parse_recovery_key((path.parent / "recovery.txt").read_text())


def test_passphrase_database_round_trips_accented_names(tmp_path, clock):
    path = make_db(tmp_path, clock, passphrase=Passphrase("it's a secret"))
    store = open_database(path, passphrase=Passphrase("it's a secret"), clock=clock)
    pupil = pupils.find_by_upn(store, "b801 2000 05001")
    assert (pupil.details.legal_forename, pupil.details.legal_surname) == ("Siân", "O'Neill")
    assert pupil.details.preferred_forename == "Zoë"
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA cipher_memory_security").fetchone()[0] == "1"
    store.close()


def test_standard_sqlite_cannot_read_the_file(tmp_path, clock):
    path = make_db(tmp_path, clock)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()


def test_recovery_key_opens_the_file_itself(tmp_path, clock):
    path = make_db(tmp_path, clock)
    typed = (path.parent / "recovery.txt").read_text().lower().replace("-", " ")
    assert len((path.parent / "recovery.txt").read_text().split("-")) == 14
    store = open_database(path, recovery=parse_recovery_key(typed), clock=clock)
    assert pupils.find_by_upn(store, "B801200005001").details.legal_surname == "O'Neill"
    store.close()


def test_recovery_key_rejects_typing_mistakes():
    key = RawKey(bytes(range(32)))
    text = recovery_key(key)
    assert parse_recovery_key(text) == key
    mistyped = ("B" if text[0] != "B" else "C") + text[1:]
    with pytest.raises(ValidationError, match="not a valid recovery key"):
        parse_recovery_key(mistyped)
    with pytest.raises(ValidationError, match="not a valid recovery key"):
        parse_recovery_key(text[:-5])


def test_a_database_needs_a_passphrase_for_its_first_senco(tmp_path, clock):
    with pytest.raises(StoreError, match="passphrase"):
        create_database(tmp_path / "x.db", staff_name="A", clock=clock)
    with pytest.raises(ValidationError, match="at least 8 characters"):
        create_database(tmp_path / "x.db", staff_name="A", clock=clock, passphrase=Passphrase("x"))
    assert not (tmp_path / "x.db").exists()
    assert not (tmp_path / "x.db.keys").exists()


# Refusals: each leaves the file byte-for-byte as it was.


def test_wrong_passphrase_is_refused_and_file_unchanged(tmp_path, clock):
    path = make_db(tmp_path, clock, passphrase=Passphrase("the right one"))
    before = file_hash(path)
    with pytest.raises(SignInRefused, match="does not open any staff profile"):
        open_database(path, passphrase=Passphrase("the wrong one"), clock=clock)
    assert file_hash(path) == before
    assert not Path(f"{path}-wal").exists()


def test_wrong_recovery_key_is_refused_and_file_unchanged(tmp_path, clock):
    path = make_db(tmp_path, clock)
    before = file_hash(path)
    with pytest.raises(WrongKey, match="key does not open"):
        open_database(path, recovery=RawKey(b"\xab" * 32), clock=clock)
    assert file_hash(path) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"Dear parents, the school trip is on Friday.\n" * 100, "not a SEMH Desktop database"),
        (
            bytes(range(256)) * 16,
            "does not open",
        ),  # one page of noise: indistinguishable from a wrong key
    ],
)
def test_files_that_are_not_databases(tmp_path, clock, content, message):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = file_hash(path)
    with pytest.raises(StoreError, match=message):
        open_database(path, passphrase=Passphrase(PASS), clock=clock)
    assert file_hash(path) == before


def test_plain_sqlite_file_is_named_as_such(tmp_path, clock):
    path = tmp_path / "plain.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    before = file_hash(path)
    with pytest.raises(NotADatabase, match="ordinary unencrypted SQLite file"):
        open_database(path, passphrase=Passphrase(PASS), clock=clock)
    assert file_hash(path) == before


def test_missing_file_is_not_created(tmp_path, clock):
    path = tmp_path / "nothing.db"
    with pytest.raises(NotADatabase, match="There is no database"):
        open_database(path, passphrase=Passphrase(PASS), clock=clock)
    assert not path.exists()


@pytest.mark.parametrize("keep", [0.5, "pages"])
def test_truncated_file_is_refused_and_unchanged(tmp_path, clock, keep):
    path = make_db(tmp_path, clock)
    data = path.read_bytes()
    # Cut mid-page, and cut on a page boundary (which only an integrity check can notice).
    cut = len(data) // 2 + 100 if keep == 0.5 else len(data) - 4096 * 3
    path.write_bytes(data[:cut])
    before = file_hash(path)
    with pytest.raises(NotADatabase, match="damaged"):
        open_database(path, passphrase=Passphrase(PASS), clock=clock)
    assert file_hash(path) == before


def test_encrypted_database_of_another_app_is_refused(tmp_path, clock):
    path = tmp_path / "other.db"
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = '{PASS}'")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = file_hash(path)
    with pytest.raises(NotADatabase, match="not a SEMH Desktop one"):
        open_database(path, passphrase=Passphrase(PASS), clock=clock)
    assert file_hash(path) == before


def test_database_from_a_newer_app_is_refused_unchanged(tmp_path, clock):
    path = make_db(tmp_path, clock)
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = {raw_key_of(path).pragma_value()}")
    conn.execute(f"PRAGMA user_version = {latest_schema() + 5}")
    conn.close()
    before = file_hash(path)
    with pytest.raises(FileTooNew, match="newer version of SEMH Desktop"):
        open_database(path, passphrase=Passphrase(PASS), clock=clock)
    assert file_hash(path) == before


# Migrations


def test_schema_1_database_upgrades_to_current_with_a_backup(tmp_path, clock):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema_1.db", path)
    original = file_hash(path)
    store = open_store(path, Passphrase("fixture"), clock=clock)
    assert store.schema_version() == latest_schema() > 1
    pupil = pupils.find_by_upn(store, "B801200005001")
    assert pupil.details.legal_surname == "O'Neill"
    assert pupil.details.reg_group == ""  # column added by schema 2
    store.close()
    backups = list(tmp_path.glob("old.db.schema1-*.bak"))
    assert len(backups) == 1 and file_hash(backups[0]) == original


def test_failed_migration_leaves_the_previous_version(tmp_path, clock, monkeypatch):
    from semh_desktop.core import store as store_module

    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema_1.db", path)
    broken = tmp_path / "migrations"
    broken.mkdir()
    shutil.copy(store_module.MIGRATIONS_DIR / "0001_initial.sql", broken)
    (broken / "0002_broken.sql").write_text(
        "ALTER TABLE pupils ADD COLUMN sex TEXT;\nTHIS IS NOT SQL;\n", encoding="utf-8"
    )
    real = store_module.migrations
    monkeypatch.setattr(store_module, "migrations", lambda directory=broken: real(directory))
    with pytest.raises(StoreError, match="schema 2 failed"):
        open_store(path, Passphrase("fixture"), clock=clock)
    monkeypatch.setattr(store_module, "migrations", real)
    conn = sqlcipher3.connect(str(path))
    conn.execute("PRAGMA key = 'fixture'")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in conn.execute("PRAGMA table_info(pupils)")]
    assert "sex" not in columns  # the half-applied file was rolled back as a whole
    conn.close()


def test_audit_trail_is_append_only(encrypted_store):
    pupils.add_pupil(encrypted_store, sample_details())
    with pytest.raises(sqlcipher3.DatabaseError, match="audit trail cannot be changed"):
        encrypted_store.conn.execute("DELETE FROM audit")
    with pytest.raises(sqlcipher3.DatabaseError, match="audit trail cannot be changed"):
        encrypted_store.conn.execute("UPDATE audit SET action = 'x'")
