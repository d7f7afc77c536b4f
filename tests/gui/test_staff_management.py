"""Settings > Staff profiles (SENCO only): add, reset a forgotten passphrase, disable.

A profile is added with a one-time passphrase; each refusal is in plain words. On a real
encrypted file, since every profile's passphrase is a key slot beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from semh_desktop.core.errors import SignInRefused
from semh_desktop.register import audit, sign_in, staff
from ui.app.application import closed_store
from ui.features.register.staff_dialog import StaffProfilesDialog
from ui.shell.main_window import MainWindow

from .sign_in_helpers import modal, sign_in_as, when


@pytest.fixture
def signed_in(
    slot_school: Path, make_window: Callable[..., MainWindow]
) -> Callable[[str], MainWindow]:
    def make(name: str) -> MainWindow:
        window = make_window(closed_store(slot_school))
        sign_in_as(window, name)
        assert not window.is_locked
        return window

    return make


def run_dialog(window: MainWindow, steps: Callable[[StaffProfilesDialog], None]) -> None:
    def go(dialog: StaffProfilesDialog) -> None:
        try:
            steps(dialog)
        finally:
            dialog.reject()

    def found() -> None:
        dialog = modal(StaffProfilesDialog)()
        assert isinstance(dialog, StaffProfilesDialog)
        go(dialog)

    QTimer.singleShot(0, lambda: when(modal(StaffProfilesDialog), found))
    window.staff_action.trigger()


def test_a_senco_adds_a_profile_with_a_one_time_passphrase(
    signed_in: Callable[[str], MainWindow],
) -> None:
    window = signed_in("Farah Okonjo")
    assert window.staff_action.isEnabled()
    seen: dict[str, object] = {}

    def steps(dialog: StaffProfilesDialog) -> None:
        dialog.add_button.click()
        seen["empty"] = dialog.name_message.text()
        dialog.name_edit.setText("Aled Pritchard")
        dialog.one_time_edit.setText("short")
        dialog.one_time_again.setText("short")
        dialog.add_button.click()
        seen["short"] = dialog.one_time_message.text()
        dialog.one_time_edit.setText("given-once-2026")
        dialog.one_time_again.setText("given-once-2027")
        dialog.add_button.click()
        seen["differ"] = dialog.again_message.text()
        dialog.name_edit.setText("Daniel Whitlock")
        dialog.one_time_edit.setText("given-once-2026")
        dialog.one_time_again.setText("given-once-2026")
        dialog.add_button.click()
        seen["duplicate"] = dialog.name_message.text()
        dialog.name_edit.setText("Aled Pritchard")
        dialog.one_time_edit.setText("given-once-2026")
        dialog.one_time_again.setText("given-once-2026")
        dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("pastoral"))
        dialog.add_button.click()
        seen["status"] = dialog.status.text()
        seen["rows"] = {row.staff.name: row.signs_in for row in dialog.model.rows()}  # type: ignore[union-attr]

    run_dialog(window, steps)
    assert "name" in str(seen["empty"])
    assert "at least 8 characters" in str(seen["short"])
    assert "not the same" in str(seen["differ"])
    assert "already a profile called Daniel Whitlock" in str(seen["duplicate"])
    assert "Give them the one-time passphrase yourself" in str(seen["status"])
    rows = seen["rows"]
    assert isinstance(rows, dict)
    assert rows["Aled Pritchard"] == "One-time passphrase (not changed yet)"
    assert rows["Farah Okonjo"] == "Own passphrase"
    aled = staff.find_staff(window.store, "Aled Pritchard")
    assert aled.role == "pastoral"
    slot = next(p for p in sign_in.profiles(window.store.path or Path()) if p.staff_id == aled.id)
    assert slot.must_change
    assert ("create", aled.id) in [(e.action, e.record_id) for e in audit.entries(window.store)]


def test_a_senco_resets_a_forgotten_passphrase(signed_in: Callable[[str], MainWindow]) -> None:
    window = signed_in("Farah Okonjo")
    path = window.store.path or Path()
    seen: dict[str, object] = {}

    def steps(dialog: StaffProfilesDialog) -> None:
        assert dialog.select_name("Daniel Whitlock")
        dialog.reset_button.click()
        seen["form"] = dialog.reset_form.isVisible() and "Daniel" in dialog.reset_form.title()
        dialog.reset_edit.setText("new-one-time")
        dialog.reset_again.setText("new-one-tim")
        dialog.reset_ok.click()
        seen["differ"] = dialog.reset_again_message.text()
        dialog.reset_edit.setText("new-one-time")
        dialog.reset_again.setText("new-one-time")
        dialog.reset_ok.click()
        seen["status"] = dialog.status.text()

    run_dialog(window, steps)
    assert seen["form"] is True and "not the same" in str(seen["differ"])
    assert "Daniel Whitlock now has a one-time passphrase" in str(seen["status"])
    daniel = next(p for p in sign_in.profiles(path) if p.name == "Daniel Whitlock")
    assert daniel.must_change
    window.lock()
    with pytest.raises(SignInRefused):
        sign_in.sign_in(path, daniel.staff_id, "demo")
    sign_in.sign_in(path, daniel.staff_id, "new-one-time").store.close()


def test_a_senco_disables_a_profile_after_confirming(
    signed_in: Callable[[str], MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    window = signed_in("Farah Okonjo")
    path = window.store.path or Path()
    ruth_id = next(p.staff_id for p in sign_in.profiles(path) if p.name == "Ruth Adeyemi")
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_args: object) -> object:
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    seen: dict[str, object] = {}

    def steps(dialog: StaffProfilesDialog) -> None:
        assert dialog.select_name("Farah Okonjo")
        seen["self"] = dialog.disable_button.isEnabled()  # not one's own profile
        assert dialog.select_name("Ruth Adeyemi")
        dialog.disable_button.click()  # No
        seen["kept"] = any(r.staff.name == "Ruth Adeyemi" for r in dialog.model.rows())  # type: ignore[union-attr]
        dialog.disable_button.click()  # Yes
        seen["status"] = dialog.status.text()

    run_dialog(window, steps)
    assert seen["self"] is False and seen["kept"] is True
    assert "can no longer sign in" in asked[0]
    assert "Ruth Adeyemi's profile is disabled" in str(seen["status"])
    assert not staff.is_active(window.store, ruth_id)
    window.lock()
    combo = window.unlock_page.staff_combo
    assert not any(combo.itemText(i).startswith("Ruth") for i in range(combo.count()))
    with pytest.raises(SignInRefused):
        sign_in.sign_in(path, ruth_id, "demo")


def test_pastoral_staff_cannot_manage_profiles(signed_in: Callable[[str], MainWindow]) -> None:
    window = signed_in("Daniel Whitlock")
    assert not window.staff_action.isEnabled()
    dialog = StaffProfilesDialog(window._staff_rows(), None, window)
    assert not dialog.add_form.isEnabled() and not dialog.reset_button.isEnabled()
    assert dialog.add_form.toolTip() == "Only a SENCO can manage staff profiles."
    dialog.deleteLater()
