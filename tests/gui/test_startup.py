"""Start-up: welcome, creating a database, the recovery key, key entry, the demo school.

These open real SQLCipher files, so they sit after the faster window tests.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from semh_desktop.core import locations
from semh_desktop.core.keystore import KeyStore, Passphrase, parse_recovery_key
from semh_desktop.demo import school as demo
from semh_desktop.register import audit, staff
from semh_desktop.register.database import create_database, open_database
from tests.e2e import app_window
from tests.memory_keyring import MemoryKeyring
from ui.app import application as app_module
from ui.app.application import Startup
from ui.app.startup_dialogs import (
    OpenDatabaseDialog,
    RecoveryKeyDialog,
    WelcomeChoice,
    WelcomeDialog,
    grouped_key_lines,
)
from ui.common import settings

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def critical(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _parent, _title, text, *args: shown.append(text)
    )
    return shown


def test_welcome_create_in_passphrase_mode_opens_unlocked(
    monkeypatch: pytest.MonkeyPatch, keystore: KeyStore
) -> None:
    choice = WelcomeChoice(
        "create",
        staff_name="Siân O'Neill",
        role="senco",
        key_mode="passphrase",
        passphrase="a long passphrase",
    )
    monkeypatch.setattr(WelcomeDialog, "ask", lambda *args, **kwargs: choice)
    session = Startup(keystore).begin(None, None, False)
    assert session is not None
    try:
        assert session.store.path == locations.default_database()
        assert session.passphrase == "a long passphrase"
        assert session.start_locked is False
        acting = staff.get_staff(session.store, session.store.staff_id or "")
        assert (acting.name, acting.role) == ("Siân O'Neill", "senco")
        assert audit.entries(session.store)[-1].action == "unlock"
        assert session.store.key_mode == "passphrase"
    finally:
        session.store.close()
    assert settings.remembered_key_mode(locations.default_database()) == "passphrase"

    # next start: the app remembers the file uses a passphrase and asks only for that
    asked: dict[str, object] = {}

    def ask(
        _parent: object, _db: Path, *, message: str, attempt: object, allow_recovery: bool
    ) -> bool:
        asked.update(message=message, allow_recovery=allow_recovery)
        assert callable(attempt)
        asked["wrong"] = attempt("passphrase", "not it at all")
        return attempt("passphrase", "a long passphrase") is None

    monkeypatch.setattr(OpenDatabaseDialog, "ask", ask)
    again = Startup(keystore).begin(None, None, False)
    assert again is not None
    again.store.close()
    assert asked["allow_recovery"] is False and "passphrase" in str(asked["message"])
    assert "passphrase does not open" in str(asked["wrong"])
    assert again.passphrase == "a long passphrase" and again.start_locked


def test_welcome_create_in_keyring_mode_shows_the_recovery_key_once(
    monkeypatch: pytest.MonkeyPatch, keystore: KeyStore
) -> None:
    choice = WelcomeChoice("create", staff_name="Farah Okonjo", key_mode="keyring")
    monkeypatch.setattr(WelcomeDialog, "ask", lambda *args, **kwargs: choice)
    shown: list[str] = []
    monkeypatch.setattr(RecoveryKeyDialog, "ask", lambda _parent, key, _db: shown.append(key))
    session = Startup(keystore).begin(None, None, False)
    assert session is not None
    session.store.close()
    assert len(shown) == 1
    assert parse_recovery_key(shown[0]) == keystore.load(locations.default_database())
    assert session.passphrase is None and session.store.key_mode == "keyring"


def test_missing_keyring_key_offers_the_recovery_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keystore: KeyStore
) -> None:
    path = tmp_path / "school.db"
    created = create_database(path, staff_name="Ms Ashdown", keystore=keystore)
    created.store.close()
    assert created.recovery_key
    keystore.forget(path)
    seen: dict[str, object] = {}

    def ask(
        _parent: object, _db: Path, *, message: str, attempt: object, allow_recovery: bool
    ) -> bool:
        assert callable(attempt)
        seen.update(
            message=message, allow_recovery=allow_recovery, garbled=attempt("recovery", "ABCD-EFGH")
        )
        return attempt("recovery", created.recovery_key.lower()) is None

    monkeypatch.setattr(OpenDatabaseDialog, "ask", ask)
    session = Startup(keystore).begin(path, None, False)
    assert session is not None
    session.store.close()
    assert seen["allow_recovery"] is True
    assert "recovery key" in str(seen["message"])
    assert "not a valid recovery key" in str(seen["garbled"])
    assert keystore.load(path) == parse_recovery_key(created.recovery_key)  # put back
    assert settings.remembered_key_mode(path) == "keyring"


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
    try:
        assert session.store.path == locations.demo_database()
        assert session.demo and session.passphrase == locations.DEMO_PASSPHRASE
        assert session.passphrase_at_first_unlock and session.start_locked
        assert "Farah Okonjo" in [p.name for p in staff.list_staff(session.store)]
    finally:
        session.store.close()

    def must_not_rebuild(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the demo school was built twice")

    monkeypatch.setattr(demo, "build_demo", must_not_rebuild)
    second = Startup().begin(None, None, True)
    assert second is not None
    second.store.close()


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
    dialog = WelcomeDialog(tmp_path / "semh.db", keyring_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.create_button.click()
    assert dialog.pages.currentIndex() == 1
    assert dialog.keyring_radio.isChecked() and not dialog.passphrase_box.isVisible()
    dialog.passphrase_radio.setChecked(True)
    assert dialog.passphrase_box.isVisible()
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
        "create",
        staff_name="Zoë Ashdown",
        role="senco",
        key_mode="passphrase",
        passphrase="correct horse",
    )


def test_welcome_without_a_keyring_offers_only_a_passphrase(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = WelcomeDialog(tmp_path / "semh.db", keyring_available=False)
    qtbot.addWidget(dialog)
    assert not dialog.keyring_radio.isEnabled() and dialog.passphrase_radio.isChecked()
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


def test_open_dialog_shows_the_reason_next_to_the_field(qtbot: QtBot, tmp_path: Path) -> None:
    tried: list[tuple[str, str]] = []

    def attempt(kind: str, text: str) -> str | None:
        tried.append((kind, text))
        return None if text == "right" else "That is not a valid recovery key."

    dialog = OpenDatabaseDialog(
        tmp_path / "semh.db", message="No key in the keyring.", attempt=attempt, allow_recovery=True
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.kind == "recovery" and dialog.radios.isVisible()
    dialog.secret_edit.setText("wrong")
    dialog.open_button.click()
    assert dialog.isVisible() and "not a valid" in dialog.secret_message.text()
    dialog.passphrase_radio.setChecked(True)
    assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password
    dialog.secret_edit.setText("right")
    dialog.open_button.click()
    assert tried == [("recovery", "wrong"), ("passphrase", "right")]
    assert dialog.result() == OpenDatabaseDialog.DialogCode.Accepted


def test_the_started_window_unlocks_screenshots_and_quits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, critical: list[str]
) -> None:
    path = tmp_path / "demo.db"
    created = create_database(path, staff_name=demo.STAFF[0][0], passphrase=Passphrase("pw"))
    demo.build_demo(created.store, pupil_count=12, register_count=4)
    created.store.close()
    shot = tmp_path / "shots" / "main.png"
    monkeypatch.setenv("SEMH_TEST_PASS", "pw")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # start() installs its own
    # Started as run() starts it, driven from the test (tests/e2e/app_window.py).
    app, session, code = app_module.start(path, "SEMH_TEST_PASS", False)
    assert session is not None and code == 0
    window = app_module.open_window(session)
    app_window.drive(window, session, staff="Farah Okonjo", screenshot=shot, settle_ms=50)
    try:
        assert app_module.serve(app, session) == 0
    finally:
        window.idle.detach()  # its app-wide idle filter must not outlive the test
    assert not critical
    for name in ("main.png", "main-add-pupil.png", "main-lock.png"):
        assert (shot.parent / name).stat().st_size > 5000
    store = open_database(path, passphrase=Passphrase("pw"))
    try:
        actions = [entry.action for entry in audit.entries(store)]
        assert actions[-3:] == ["unlock", "open", "lock"]
    finally:
        store.close()
