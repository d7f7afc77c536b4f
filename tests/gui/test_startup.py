"""Start-up: welcome, creating a database, the recovery key, converting older files, the demo.

These open real SQLCipher files, so they sit after the faster window tests.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from semh_desktop.core import locations
from semh_desktop.core.errors import SemhError, WrongKey
from semh_desktop.core.keystore import KeyStore, Passphrase, new_raw_key, parse_recovery_key
from semh_desktop.core.store import create_store, open_store
from semh_desktop.demo import school as demo
from semh_desktop.register import audit, sign_in, staff
from semh_desktop.register.database import create_database, open_database
from tests.memory_keyring import MemoryKeyring
from ui.app.application import Startup
from ui.app.startup_dialogs import (
    ConvertDialog,
    RecoveryKeyDialog,
    WelcomeChoice,
    WelcomeDialog,
    grouped_key_lines,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def critical(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _parent, _title, text, *args: shown.append(text)
    )
    return shown


def test_welcome_create_signs_the_first_senco_in_and_shows_the_recovery_key_once(
    monkeypatch: pytest.MonkeyPatch, keystore: KeyStore
) -> None:
    choice = WelcomeChoice("create", staff_name="Siân O'Neill", passphrase="a long passphrase")
    monkeypatch.setattr(WelcomeDialog, "ask", lambda *args, **kwargs: choice)
    shown: list[str] = []
    monkeypatch.setattr(RecoveryKeyDialog, "ask", lambda _parent, key, _db: shown.append(key))
    session = Startup(keystore).begin(None, None, False)
    assert session is not None
    path = locations.default_database()
    try:
        assert session.store.path == path
        assert session.start_locked is False and session.store.is_open
        acting = staff.get_staff(session.store, session.store.staff_id or "")
        assert (acting.name, acting.role) == ("Siân O'Neill", "senco")
        assert session.store.draft_recipient is not None  # drafts can be kept for her
    finally:
        session.store.close()
    assert len(shown) == 1
    # The recovery key opens the file; so does her passphrase, through her key slot.
    by_key = open_database(path, recovery=parse_recovery_key(shown[0]))
    by_key.close()
    assert [p.name for p in sign_in.profiles(path)] == ["Siân O'Neill"]

    # Next start: the file has key slots, so the window opens on its sign-in screen.
    again = Startup(keystore).begin(None, None, False)
    assert again is not None and again.start_locked and not again.store.is_open


def _legacy_passphrase_file(path: Path) -> None:
    store = create_store(path, Passphrase("the old shared one"))
    senco = staff.add_staff(store, "Old Senco", "senco")
    store.staff_id = senco.id
    staff.add_staff(store, "Ms Ashdown", "pastoral")
    store.close()


def test_an_older_passphrase_file_is_converted_by_the_person_opening_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keystore: KeyStore
) -> None:
    path = tmp_path / "old.db"
    _legacy_passphrase_file(path)
    seen: dict[str, object] = {}

    def ask(
        _parent: object, _db: Path, *, profiles: object, prove: object, convert: object
    ) -> bool:
        assert profiles is None and callable(prove) and callable(convert)
        with pytest.raises(SemhError) as wrong:
            prove("not the old one")
        seen["wrong"] = wrong.value.message
        found = prove("the old shared one")
        seen["profiles"] = [p.name for p in found]
        ashdown = next(p for p in found if p.name == "Ms Ashdown")
        with pytest.raises(SemhError):
            convert(ashdown.id, "short")
        convert(ashdown.id, "ashdown's own words")
        return True

    monkeypatch.setattr(ConvertDialog, "ask", ask)
    shown: list[str] = []
    monkeypatch.setattr(RecoveryKeyDialog, "ask", lambda _parent, key, _db: shown.append(key))
    session = Startup(keystore).begin(path, None, False)
    assert session is not None
    try:
        assert not session.start_locked and session.store.is_open
        assert staff.get_staff(session.store, session.store.staff_id or "").name == "Ms Ashdown"
        assert session.store.draft_recipient is not None
    finally:
        session.store.close()
    assert "does not open this file" in str(seen["wrong"])
    assert sorted(seen["profiles"]) == ["Ms Ashdown", "Old Senco"]  # type: ignore[arg-type]
    assert len(shown) == 1 and not sign_in.needs_conversion(path)
    with pytest.raises(WrongKey):
        open_store(path, Passphrase("the old shared one"))
    signed = sign_in.sign_in(
        path, next(p.staff_id for p in sign_in.profiles(path)), "ashdown's own words"
    )
    signed.store.close()


def test_an_older_keyring_file_asks_nothing_old_and_lists_the_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keystore: KeyStore
) -> None:
    path = tmp_path / "old.db"
    old_key = new_raw_key()
    store = create_store(path, old_key)
    staff.add_staff(store, "Farah Okonjo", "senco")
    store.close()
    keystore.save(path, old_key)
    seen: dict[str, object] = {}

    def ask(
        _parent: object, _db: Path, *, profiles: object, prove: object, convert: object
    ) -> bool:
        assert isinstance(profiles, list) and callable(convert)
        seen["profiles"] = [p.name for p in profiles]
        convert(profiles[0].id, "farah's own words")
        return True

    monkeypatch.setattr(ConvertDialog, "ask", ask)
    monkeypatch.setattr(RecoveryKeyDialog, "ask", lambda *_args: None)
    session = Startup(keystore).begin(path, None, False)
    assert session is not None
    session.store.close()
    assert seen["profiles"] == ["Farah Okonjo"]
    assert not sign_in.needs_conversion(path)


def test_the_convert_dialog_proves_then_sets_the_passphrase(qtbot: QtBot, tmp_path: Path) -> None:
    people = [staff.Staff("s1", "Old Senco", "senco"), staff.Staff("s2", "Ms Ashdown", "pastoral")]
    done: list[tuple[str, str]] = []

    def prove(text: str) -> list[staff.Staff]:
        if text != "old words":
            raise SemhError("That does not open this file.")
        return people

    dialog = ConvertDialog(
        tmp_path / "old.db", profiles=None, prove=prove, convert=lambda s, n: done.append((s, n))
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.proving and not dialog.staff_combo.isVisible()
    dialog.old_edit.setText("wrong")
    dialog.ok_button.click()
    assert dialog.isVisible() and "does not open" in dialog.message_text("old")
    dialog.old_edit.setText("old words")
    dialog.ok_button.click()
    assert not dialog.proving and dialog.staff_combo.count() == 2
    dialog.staff_combo.setCurrentIndex(1)
    dialog.new_edit.setText("my own words")
    dialog.confirm_edit.setText("my own wordz")
    dialog.ok_button.click()
    assert dialog.isVisible() and "not the same" in dialog.message_text("confirm")
    dialog.new_edit.setText("my own words")
    dialog.confirm_edit.setText("my own words")
    dialog.ok_button.click()
    assert done == [("s2", "my own words")]
    assert dialog.result() == ConvertDialog.DialogCode.Accepted


def test_storage_errors_are_shown_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, critical: list[str]
) -> None:
    plain = tmp_path / "plain.db"
    connection = sqlite3.connect(plain)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    monkeypatch.setenv("SEMH_TEST_PASS", "whatever it is")
    startup = Startup(KeyStore(MemoryKeyring()))
    assert startup.begin(plain, "SEMH_TEST_PASS", False) is None
    assert startup.failed
    assert "ordinary unencrypted SQLite file" in critical[-1]
    assert critical[-1].startswith("SEMH Desktop could not open plain.db.")

    cut = tmp_path / "cut.db"
    cut.write_bytes(b"\x01" * 5000)
    assert startup.begin(cut, "SEMH_TEST_PASS", False) is None
    assert "damaged" in critical[-1]
    assert startup.begin(cut, "SEMH_NO_SUCH_VARIABLE", False) is None
    assert "not set" in critical[-1]


def test_demo_school_is_built_once_with_progress_then_opened(
    monkeypatch: pytest.MonkeyPatch, critical: list[str]
) -> None:
    monkeypatch.setattr(
        demo, "build_demo", functools.partial(demo.build_demo, pupil_count=12, register_count=4)
    )
    session = Startup().begin(None, None, True)
    assert session is not None and not critical
    path = locations.demo_database()
    assert session.store.path == path
    assert session.demo and session.start_locked and not session.store.is_open
    names = [p.name for p in sign_in.profiles(path)]
    assert names[0] == "Farah Okonjo" and "Ruth Adeyemi" in names
    for profile in sign_in.profiles(path):  # every demo profile's passphrase is "demo"
        signed = sign_in.sign_in(path, profile.staff_id, locations.DEMO_PASSPHRASE)
        signed.store.close()

    def must_not_rebuild(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the demo school was built twice")

    monkeypatch.setattr(demo, "build_demo", must_not_rebuild)
    second = Startup().begin(None, None, True)
    assert second is not None and not second.store.is_open


def test_failed_demo_build_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, critical: list[str]
) -> None:
    from semh_desktop.core.errors import StoreError

    def broken(*_args: object, **_kwargs: object) -> None:
        raise StoreError("The disk is full, so the change was not saved.")

    monkeypatch.setattr(demo, "build_demo", broken)
    assert Startup().begin(None, None, True) is None
    assert "disk is full" in critical[-1]
    assert not locations.demo_database().exists()


def test_welcome_dialog_checks_the_passphrase_fields(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = WelcomeDialog(tmp_path / "semh.db")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.create_button.click()
    assert dialog.pages.currentIndex() == 1
    dialog.create_ok_button.click()
    assert dialog.choice is None
    assert "your name" in dialog.name_message.text()
    assert "at least 8" in dialog.passphrase_message.text()
    dialog.name_edit.setText("  Zoë   Ashdown ")
    dialog.passphrase_edit.setText("correct horse")
    dialog.confirm_edit.setText("correct hoarse")
    dialog.create_ok_button.click()
    assert dialog.choice is None and "not the same" in dialog.confirm_message.text()
    dialog.confirm_edit.setText("correct horse")
    dialog.create_ok_button.click()
    assert dialog.choice == WelcomeChoice(
        "create", staff_name="Zoë Ashdown", role="senco", passphrase="correct horse"
    )


def test_welcome_offers_the_demo(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = WelcomeDialog(tmp_path / "semh.db")
    qtbot.addWidget(dialog)
    dialog.demo_button.click()
    assert dialog.choice == WelcomeChoice("demo")


def test_recovery_key_dialog_needs_the_tick_and_saves_and_prints(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "-".join(["ABCD"] * 13 + ["EF"])
    dialog = RecoveryKeyDialog(key, tmp_path / "semh.db")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.continue_button.isEnabled()
    dialog.reject()  # Escape or the close button cannot lose the only way back in
    assert dialog.isVisible()
    assert dialog.key_label.text() == "\n".join(grouped_key_lines(key))

    target = tmp_path / "key.txt"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), "Text files (*.txt)")
    )
    dialog.save_button.click()
    saved = target.read_text(encoding="utf-8")
    assert "ABCD ABCD ABCD ABCD ABCD ABCD ABCD" in saved and "semh.db" in saved
    assert str(target) in dialog.status.text()

    pdf = tmp_path / "key.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setOutputFileName(str(pdf))
    dialog.print_to(printer)
    text = " ".join(PdfReader(str(pdf)).pages[0].extract_text().split())
    assert "recovery key" in text and "ABCD" in text and "EF" in text

    dialog.kept_check.setChecked(True)
    assert dialog.continue_button.isEnabled()
    dialog.continue_button.click()
    assert dialog.result() == RecoveryKeyDialog.DialogCode.Accepted


def test_the_started_window_signs_in_screenshots_and_quits(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    created = create_database(
        path, staff_name=demo.STAFF[0][0], passphrase=Passphrase("pw"), demo=True
    )
    demo.build_demo(created.store, pupil_count=12, register_count=4, passphrase="pw")
    created.store.close()
    shot = tmp_path / "shots" / "main.png"
    # Started as run() starts it and driven like a person (tests/e2e/app_window.py), in its
    # own process: its event loop ends with QApplication.quit(), which this one must not see.
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SEMH_DESKTOP_HOME": str(tmp_path / "home"),
        "SEMH_TEST_PASS": "pw",
    }
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.e2e.app_window",
            "--staff",
            "Farah Okonjo",
            "--sign-in-env",
            "SEMH_TEST_PASS",
            "--screenshot",
            str(shot),
            "--db",
            str(path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert started.returncode == 0, started.stderr
    for name in ("main.png", "main-sign-in.png", "main-add-pupil.png", "main-lock.png"):
        assert (shot.parent / name).stat().st_size > 5000
    store = open_database(path, passphrase=Passphrase("pw"), staff_name="Farah Okonjo")
    try:
        actions = [entry.action for entry in audit.entries(store)]
        # signed in, the caseload viewed, a pupil opened, locked; then this check signs in
        assert actions[-5:] == ["unlock", "view", "open", "lock", "unlock"]
    finally:
        store.close()
