"""Signing in on a real encrypted file with key slots: own passphrases, the throttle, one-time
passphrases, the recovery key, and coming back to the same place after Ctrl+L.

The window opens on a closed store (as `semh-desktop gui` opens an existing database) and the
real gate (ui/shell/lock.py SlotGate) signs people in. Screenshots at 1366x768 are saved under
tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from semh_desktop.core.errors import Locked
from semh_desktop.register import audit, pupils, sign_in, staff
from ui.app.application import closed_store
from ui.shell.lock import NewPassphraseDialog
from ui.shell.main_window import MainWindow

from .sign_in_helpers import choose_profile, modal, sign_in_as, when

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def open_window(
    slot_school: Path, make_window: Callable[..., MainWindow]
) -> Callable[..., MainWindow]:
    def make(**options: object) -> MainWindow:
        window = make_window(closed_store(slot_school), **options)
        window.resize(1366, 768)
        return window

    return make


def shot(window: MainWindow, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / name))


def slot_path(window: MainWindow) -> Path:
    assert window.store.path is not None
    return window.store.path


def test_the_sign_in_screen_lists_profiles_and_hints_the_demo_passphrase(
    open_window: Callable[..., MainWindow],
) -> None:
    window = open_window(demo=True)
    page = window.unlock_page
    assert window.is_locked and not window.store.is_open
    assert [page.staff_combo.itemText(i) for i in range(page.staff_combo.count())] == [
        "Farah Okonjo (SENCO)",
        "Daniel Whitlock (Pastoral staff)",
        "Ruth Adeyemi (Pastoral staff)",
        "Visiting outreach worker (Read-only)",
    ]
    assert page.passphrase_edit.echoMode() == page.passphrase_edit.EchoMode.Password
    assert "“demo”" in page.hint.text() and page.hint.isVisible()
    shot(window, "sign-in-screen.png")
    sign_in_as(window, "Ruth Adeyemi")
    assert not window.is_locked and window.store.is_open
    assert window.staff_label.text() == "Ruth Adeyemi (Pastoral staff)"
    assert window.model.rowCount() == 10


def test_a_real_school_gets_no_demo_hint(open_window: Callable[..., MainWindow]) -> None:
    window = open_window()
    assert window.unlock_page.hint.isHidden()


def test_another_persons_passphrase_is_refused_and_ctrl_l_brings_the_same_person_back(
    open_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = open_window()
    sign_in_as(window, "Farah Okonjo")
    store = window.store
    sign_in.change_own_passphrase(store, "demo", "farah's own words")
    window.table.selectRow(3)
    pupil = window.current_pupil
    assert pupil is not None
    window.tabs.setCurrentIndex(2)

    window.activateWindow()
    qtbot.keyClick(window.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked and not store.is_open
    assert window.model.rowCount() == 0 and all(tab.pupil is None for tab in window.pupil_tabs)
    with pytest.raises(Locked):
        pupils.caseload(store)

    # Daniel with Farah's passphrase: refused, plainly; the database stays closed.
    sign_in_as(window, "Daniel Whitlock", "farah's own words")
    assert window.is_locked and not store.is_open
    assert window.unlock_page.passphrase_message.text() == (
        "That passphrase does not open Daniel Whitlock’s profile. Check Caps Lock and try again."
    )
    # Farah with her old (demo) passphrase: refused too.
    sign_in_as(window, "Farah Okonjo", "demo")
    assert window.is_locked

    sign_in_as(window, "Farah Okonjo", "farah's own words")
    assert not window.is_locked and store.is_open
    assert window.current_pupil is not None and window.current_pupil.id == pupil.id
    assert window.tabs.currentIndex() == 2
    assert window.pupil_name.text() == pupil.display_name
    entries = audit.entries(store)
    actions = [e.action for e in entries]
    assert "lock" in actions and actions.count("sign_in_failed") == 2
    assert actions[-2:] == ["open", "view"]  # her pupil opened again; the caseload view


def test_repeated_wrong_passphrases_show_a_countdown_and_keep_the_button_disabled(
    open_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = open_window()
    page = window.unlock_page
    for _ in range(sign_in.FREE_TRIES - 1):
        sign_in_as(window, "Ruth Adeyemi", "not it")
        assert page.unlock_button.isEnabled()
    sign_in_as(window, "Ruth Adeyemi", "still not it")
    assert not page.unlock_button.isEnabled()
    first = page.passphrase_message.text()
    assert "Too many tries: wait 5 seconds first." in first
    qtbot.wait(50)  # the card grows to fit the longer message
    shot(window, "sign-in-throttled.png")
    qtbot.waitUntil(lambda: page.passphrase_message.text() != first, timeout=3000)
    assert re.search(r"wait [1-4] seconds? first", page.passphrase_message.text())
    # Another profile is not held up by Ruth's wait; back on Ruth, the countdown still shows.
    choose_profile(window, "Daniel Whitlock")
    assert page.unlock_button.isEnabled()
    choose_profile(window, "Ruth Adeyemi")
    assert not page.unlock_button.isEnabled()
    page.passphrase_edit.setText("demo")
    page.passphrase_edit.returnPressed.emit()  # Enter does nothing while the wait lasts
    assert window.is_locked
    qtbot.waitUntil(lambda: page.unlock_button.isEnabled(), timeout=8000)
    assert "try your passphrase again now" in page.passphrase_message.text()
    sign_in_as(window, "Ruth Adeyemi")
    assert not window.is_locked


def test_the_domain_refusal_while_waiting_is_shown_with_its_seconds(
    open_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = open_window()
    page = window.unlock_page
    profile = page.selected_profile()
    assert profile is not None
    page.refuse(
        profile.staff_id,
        f"Too many wrong passphrases for {profile.name}. Try again in 20 seconds.",
        20,
    )
    assert page.passphrase_message.text() == (
        "Too many wrong passphrases for Farah Okonjo. Try again in 20 seconds."
    )
    assert not page.unlock_button.isEnabled()
    qtbot.waitUntil(lambda: "20 seconds" not in page.passphrase_message.text(), timeout=2500)
    assert re.fullmatch(
        r"Too many wrong passphrases for Farah Okonjo\. Try again in 1\d seconds\.",
        page.passphrase_message.text(),
    )


def test_a_one_time_passphrase_must_be_replaced_straight_after_signing_in(
    open_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = open_window()
    sign_in_as(window, "Farah Okonjo")
    newcomer = staff.add_staff(window.store, "Aled Pritchard", "pastoral", "given-once-2026")
    window.lock()
    seen: dict[str, object] = {}

    def choose() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, NewPassphraseDialog)
        seen["title"] = dialog.windowTitle()
        seen["cancel"] = dialog.cancel_button.text()
        dialog.new_edit.setText("short")
        dialog.confirm_edit.setText("short")
        dialog.ok_button.click()
        seen["short"] = dialog.message_text("passphrase")
        dialog.new_edit.setText("a passphrase of my own")
        dialog.confirm_edit.setText("a passphrase of my owm")
        dialog.ok_button.click()
        seen["differ"] = dialog.message_text("confirm")
        dialog.grab().save(str(ARTIFACTS / "new-passphrase-dialog.png"))
        dialog.new_edit.setText("a passphrase of my own")
        dialog.confirm_edit.setText("a passphrase of my own")
        dialog.ok_button.click()

    ARTIFACTS.mkdir(exist_ok=True)
    QTimer.singleShot(0, lambda: when(modal(NewPassphraseDialog), choose))
    sign_in_as(window, "Aled Pritchard", "given-once-2026")
    assert seen["title"] == "Choose your own passphrase" and seen["cancel"] == "Sign out"
    assert "at least 8 characters" in str(seen["short"])
    assert "not the same" in str(seen["differ"])
    assert not window.is_locked and window.store.staff_id == newcomer.id
    assert not next(
        p for p in sign_in.profiles(window.store.path) if p.name == "Aled Pritchard"
    ).must_change

    window.lock()
    sign_in_as(window, "Aled Pritchard", "given-once-2026")
    assert window.is_locked  # the one-time passphrase no longer opens it
    sign_in_as(window, "Aled Pritchard", "a passphrase of my own")
    assert not window.is_locked


def test_signing_out_instead_of_choosing_locks_again(
    open_window: Callable[..., MainWindow],
) -> None:
    window = open_window()
    sign_in_as(window, "Farah Okonjo")
    staff.add_staff(window.store, "Aled Pritchard", "pastoral", "given-once-2026")
    window.lock()

    def sign_out() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, NewPassphraseDialog)
        dialog.cancel_button.click()

    QTimer.singleShot(0, lambda: when(modal(NewPassphraseDialog), sign_out))
    sign_in_as(window, "Aled Pritchard", "given-once-2026")
    assert window.is_locked and not window.store.is_open


def test_change_my_passphrase_checks_the_current_one(
    open_window: Callable[..., MainWindow],
) -> None:
    window = open_window()
    sign_in_as(window, "Daniel Whitlock")
    seen: dict[str, str] = {}

    def change() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, NewPassphraseDialog)
        dialog.current_edit.setText("wrong")
        dialog.new_edit.setText("daniel's new words")
        dialog.confirm_edit.setText("daniel's new words")
        dialog.ok_button.click()
        seen["wrong"] = dialog.message_text("current")
        dialog.current_edit.setText("demo")
        dialog.new_edit.setText("daniel's new words")
        dialog.confirm_edit.setText("daniel's new words")
        dialog.ok_button.click()

    QTimer.singleShot(0, lambda: when(modal(NewPassphraseDialog), change))
    window.change_passphrase_action.trigger()
    assert "current passphrase is not right" in seen["wrong"]
    window.lock()
    sign_in_as(window, "Daniel Whitlock", "demo")
    assert window.is_locked
    sign_in_as(window, "Daniel Whitlock", "daniel's new words")
    assert not window.is_locked


def test_the_recovery_key_signs_in_and_asks_for_a_passphrase(
    open_window: Callable[..., MainWindow], slot_school_recovery_key: str
) -> None:
    window = open_window()
    page = window.unlock_page
    page.recovery_button.click()
    assert page.recovery_mode and page.unlock_button.text() == "Sign in with the recovery key"
    page.passphrase_edit.setText("ABCD-EFGH")
    page.unlock_button.click()
    assert window.is_locked and "not a valid recovery key" in page.passphrase_message.text()

    choose_profile(window, "Farah Okonjo")
    page.passphrase_edit.setText(slot_school_recovery_key.lower())
    page.unlock_button.click()  # Farah has a passphrase already: she is not asked for one
    assert not window.is_locked and window.store.opened_by == "recovery"
    assert window.staff_label.text() == "Farah Okonjo (SENCO)"
