"""Real faults: a writer killed mid-transaction, a full disk. Nothing committed is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from semh_desktop.core.errors import StoreError
from semh_desktop.core.keystore import Passphrase
from semh_desktop.register import pupils
from semh_desktop.register.database import create_database, open_database
from semh_desktop.register.upn import make_upn

from .conftest import sample_details

PASS = Passphrase("fault test")

WRITER = textwrap.dedent(
    """
    import sys, datetime as dt
    from semh_desktop.register import pupils, staff
    from semh_desktop.register.database import open_database
    from semh_desktop.core.keystore import Passphrase
    from semh_desktop.register.pupils import PupilDetails
    from semh_desktop.register.upn import make_upn
    store = open_database(sys.argv[1], passphrase=Passphrase("fault test"))
    store.staff_id = staff.list_staff(store)[0].id
    with store.atomic():
        for n in range(200):
            pupils.add_pupil(store, PupilDetails(
                upn=make_upn(801, 3000, 14, n), legal_forename="Uncommitted",
                legal_surname=f"Pupil{n}",
                date_of_birth=dt.date(2013, 1, 1), year_group=8))
        print("IN_TRANSACTION", flush=True)
        sys.stdin.readline()  # hold the transaction open until killed
    """
)


def make_db(path: Path, clock) -> str:
    created = create_database(path, staff_name="Test SENCO", passphrase=PASS, clock=clock)
    pupil = pupils.add_pupil(created.store, sample_details())
    created.store.close()
    return pupil.id


def test_writer_killed_mid_transaction_loses_nothing_committed(tmp_path, clock):
    path = tmp_path / "school.db"
    committed = make_db(path, clock)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "IN_TRANSACTION"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    store = open_database(path, passphrase=PASS, clock=clock)
    assert pupils.get_pupil(store, committed).details.legal_surname == "O'Neill"
    assert store.db["pupils"].count == 1, "the killed transaction left no rows behind"
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if os.environ.get("SEMH_REQUIRE_FAULT_MOUNT"):
            pytest.fail(f"could not mount a small disk: {result.stderr}")
        pytest.skip("mounting a small tmpfs needs root")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_gives_a_clear_message_and_keeps_what_was_saved(small_disk, clock):
    path = small_disk / "school.db"
    committed = make_db(path, clock)
    store = open_database(path, passphrase=PASS, clock=clock)
    store.staff_id = store.db["staff"].rows.__next__()["id"]
    with pytest.raises(StoreError, match="disk is full"), store.atomic():
        for n in range(20000):
            pupils.add_pupil(
                store,
                sample_details(
                    upn=make_upn(801, 3000 + n // 1000, 15, n % 1000),
                    legal_surname=uuid.uuid4().hex
                    * 40,  # long, incompressible rows fill pages fast
                ),
            )
    store.close()

    # Signing in is audited, so on a still-full disk it is refused in plain words...
    try:
        open_database(path, passphrase=PASS, clock=clock).close()
    except StoreError as exc:
        assert "disk is full" in str(exc)
    # ...and once space is freed, everything saved before is there.
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    reopened = open_database(path, passphrase=PASS, clock=clock)
    assert reopened.db["pupils"].count == 1
    assert pupils.get_pupil(reopened, committed).details.legal_forename == "Siân"
    assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened.close()
