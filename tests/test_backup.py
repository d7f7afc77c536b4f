"""Backups taken while another process writes open, check out, and restore what they held."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlcipher3

from semh_desktop.cli import main as cli
from semh_desktop.core.errors import NotAllowed, StoreError
from semh_desktop.core.keystore import Passphrase
from semh_desktop.register import audit, backup, pupils, staff
from semh_desktop.register.database import create_database, open_database
from semh_desktop.register.upn import make_upn

from .conftest import sample_details

PASS = "backup test passphrase"

# Commits one pupil at a time and says so after each commit (the number of the last one).
WRITER = textwrap.dedent(
    """
    import sys, datetime as dt
    from semh_desktop.core.keystore import Passphrase
    from semh_desktop.register import pupils
    from semh_desktop.register.database import open_database
    from semh_desktop.register.pupils import PupilDetails
    from semh_desktop.register.upn import make_upn
    store = open_database(sys.argv[1], passphrase=Passphrase(sys.argv[2]))
    for n in range(100000):
        pupils.add_pupil(store, PupilDetails(
            upn=make_upn(801, 4000 + n // 1000, 14, n % 1000), legal_forename="Written",
            legal_surname=f"Pupil{n:05d}", date_of_birth=dt.date(2013, 1, 1), year_group=8))
        print(n + 1, flush=True)
    """
)


@pytest.fixture
def school(tmp_path, clock):
    path = tmp_path / "school.db"
    created = create_database(
        path, staff_name="Sam Senco", passphrase=Passphrase(PASS), clock=clock
    )
    pupils.add_pupil(created.store, sample_details())
    created.store.close()
    return path


def _written_count(path: Path, key) -> tuple[int, str]:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = {key.pragma_value()}")
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        (count,) = conn.execute(
            "SELECT count(*) FROM pupils WHERE legal_forename = 'Written'"
        ).fetchone()
        return int(count), str(check)
    finally:
        conn.close()


def test_backups_taken_while_another_process_commits_hold_everything_committed_before(
    school, tmp_path, clock
):
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(school), PASS],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert writer.stdout is not None
    store = open_database(school, passphrase=Passphrase(PASS), clock=clock)
    key = store.database_key()
    taken: list[tuple[backup.Backup, int]] = []
    try:
        committed = 0
        for trial in range(50):
            # Every row the writer has said it committed before this backup began.
            for _ in range(2 + trial % 3):
                committed = int(writer.stdout.readline())
            clock.advance(seconds=1)
            made = backup.make_backup(store, tmp_path / "backups")
            taken.append((made, committed))
    finally:
        writer.kill()
        writer.wait(timeout=30)
        store.close()
    counts = []
    for made, committed in taken:
        count, check = _written_count(made.path, key)
        assert check == "ok", made.path.name
        assert count >= committed, f"{made.path.name} lost rows committed before it began"
        counts.append(count)
    assert counts == sorted(counts) and counts[-1] > counts[0]
    assert not list((tmp_path / "backups").glob("*.part*")), "no half backups left behind"

    # Restoring one gives back exactly what it held.
    chosen, _ = taken[10]
    moved = backup.restore_backup(chosen.path, school)
    assert moved is not None and moved.exists()
    restored = open_database(school, passphrase=Passphrase(PASS), clock=clock)
    written = restored.conn.execute(
        "SELECT count(*) FROM pupils WHERE legal_forename = 'Written'"
    ).fetchone()[0]
    assert written == counts[10]
    assert audit.verify(restored).ok
    restored.close()


def test_a_backup_opens_with_every_passphrase_and_the_recovery_key(school, tmp_path, clock):
    store = open_database(school, passphrase=Passphrase(PASS), clock=clock)
    staff.add_staff(store, "Pat Pastoral", "pastoral", "pastoral words", must_change=False)
    made = backup.make_backup(store, tmp_path / "b")
    store.close()
    open_database(made.path, passphrase=Passphrase("pastoral words")).close()
    copy = open_database(made.path, passphrase=Passphrase(PASS))
    assert pupils.find_by_upn(copy, "B801200005001").details.legal_surname == "O'Neill"
    copy.close()


def test_only_a_senco_backs_up_and_bad_folders_are_named(school, tmp_path, clock):
    store = open_database(school, passphrase=Passphrase(PASS), clock=clock)
    reader = staff.add_staff(store, "Rae Reader", "read_only")
    senco_id = store.staff_id
    store.staff_id = reader.id
    with pytest.raises(NotAllowed):
        backup.make_backup(store, tmp_path / "b")
    store.staff_id = senco_id
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(StoreError, match="read-only"):
            backup.make_backup(store, locked)
    finally:
        locked.chmod(0o700)
        store.close()
    assert list(locked.iterdir()) == []


def test_the_commands_back_up_and_restore(school, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PW", PASS)
    folder = tmp_path / "out"
    assert (
        cli.main(["backup", "--db", str(school), "--passphrase-env", "PW", "--to", str(folder)])
        == 0
    )
    (made,) = folder.glob("*.db")
    assert (folder / f"{made.name}.keys").exists()
    assert "Backed up 1 pupils" in capsys.readouterr().out
    store = open_database(school, passphrase=Passphrase(PASS))
    pupils.add_pupil(store, sample_details(upn=make_upn(801, 2000, 5, 2)))
    store.close()
    assert cli.main(["restore", str(made), "--db", str(school), "--passphrase-env", "PW"]) == 0
    store = open_database(school, passphrase=Passphrase(PASS))
    assert len(pupils.caseload(store, whole_register=True)) == 1
    assert any(e.detail.startswith("restored from") for e in audit.entries(store))
    store.close()
    monkeypatch.setenv("WRONG", "not the passphrase")
    assert cli.main(["restore", str(made), "--db", str(school), "--passphrase-env", "WRONG"]) == 1
    err = capsys.readouterr().err
    assert "does not open" in err and "Traceback" not in err
