"""Drafts (ui/common/drafts.py): what a dialog holds is captured, sealed to one person, cleared,
and put back; a passphrase field is never kept; another person's key cannot open it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from semh_desktop.core.errors import StoreError
from ui.common import drafts
from ui.common.form_dialog import exec_dialog

from .conftest import MemoryGate


class Sample(QDialog):
    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.name = QLineEdit()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.note = QPlainTextEdit()
        self.combo = QComboBox()
        self.combo.addItems(["Low", "Medium", "High"])
        self.spin = QSpinBox()
        self.spin.setRange(0, 10)
        self.money = QDoubleSpinBox()
        self.date = QDateEdit()
        self.check = QCheckBox("Consent given")
        self.yes, self.no = QRadioButton("Yes"), QRadioButton("No")
        group = QButtonGroup(self)
        group.addButton(self.yes)
        group.addButton(self.no)
        self.no.setChecked(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.stack = QStackedWidget()
        self.pages = [QWidget(), QWidget(), QWidget()]
        for page in self.pages:
            self.stack.addWidget(page)
        self.page_edit = QLineEdit(self.pages[2])
        self.tabs = QTabWidget()
        self.tabs.addTab(QWidget(), "One")
        self.tabs.addTab(QWidget(), "Two")
        for widget in (
            self.name,
            self.secret,
            self.note,
            self.combo,
            self.spin,
            self.money,
            self.date,
            self.check,
            self.yes,
            self.no,
            self.slider,
            self.stack,
            self.tabs,
        ):
            layout.addWidget(widget)

    def fill(self) -> None:
        self.name.setText("Zoë O'Neill")
        self.secret.setText("my passphrase")
        self.note.setPlainText("Upset at lunch.\nSpoke to Mum.")
        self.combo.setCurrentIndex(2)
        self.spin.setValue(7)
        self.money.setValue(2.5)
        self.date.setDate(QDate(2026, 11, 2))
        self.check.setChecked(True)
        self.yes.setChecked(True)
        self.slider.setValue(42)
        self.stack.setCurrentIndex(2)
        self.page_edit.setText("on the third page")
        self.tabs.setCurrentIndex(1)

    def values(self) -> tuple[object, ...]:
        return (
            self.name.text(),
            self.note.toPlainText(),
            self.combo.currentIndex(),
            self.spin.value(),
            self.money.value(),
            self.date.date().toString(Qt.DateFormat.ISODate),
            self.check.isChecked(),
            self.yes.isChecked(),
            self.slider.value(),
            self.stack.currentIndex(),
            self.page_edit.text(),
            self.tabs.currentIndex(),
        )


FILLED = (
    "Zoë O'Neill",
    "Upset at lunch.\nSpoke to Mum.",
    2,
    7,
    2.5,
    "2026-11-02",
    True,
    True,
    42,
    2,
    "on the third page",
    1,
)


def test_every_kind_of_field_comes_back(qtbot: QtBot) -> None:
    dialog = Sample()
    qtbot.addWidget(dialog)
    dialog.fill()
    state = drafts.capture(dialog)
    assert "my passphrase" not in json.dumps(state)  # a passphrase is never kept
    drafts.clear(dialog)
    assert (dialog.name.text(), dialog.note.toPlainText(), dialog.secret.text()) == ("", "", "")
    again = Sample()  # a dialog built the same way gets the same fields back
    qtbot.addWidget(again)
    drafts.restore(again, json.loads(json.dumps(state)))
    assert again.values() == FILLED
    assert again.secret.text() == ""


def test_a_sealed_draft_opens_only_with_its_owners_key(qtbot: QtBot) -> None:
    dialog = Sample()
    qtbot.addWidget(dialog)
    dialog.fill()
    owner = MemoryGate.draft_key("staff-1", "demo")
    sealed = owner.recipient.seal(json.dumps(drafts.capture(dialog)).encode())
    assert "Zoë".encode() not in sealed and b"Upset" not in sealed
    with pytest.raises(StoreError, match="kept for someone else"):
        MemoryGate.draft_key("staff-2", "demo").open(sealed)
    with pytest.raises(StoreError):
        MemoryGate.draft_key("staff-1", "another passphrase").open(sealed)
    assert json.loads(owner.open(sealed))["values"]


def test_run_modal_waits_through_a_lock_and_restores_for_the_key(qtbot: QtBot) -> None:
    dialog = Sample()
    key = MemoryGate.draft_key("staff-1", "demo")
    seen: dict[str, object] = {}

    def lock_then_unlock() -> None:
        dialog.fill()
        assert drafts.lock_all(key.recipient) == 1
        seen["hidden"] = not dialog.isVisible()
        seen["cleared"] = dialog.name.text()
        QTimer.singleShot(0, lambda: seen.update(restored=drafts.unlock_all(key)))
        QTimer.singleShot(50, accept)

    def accept() -> None:
        seen["back"] = dialog.isVisible() and dialog.values() == FILLED
        dialog.accept()

    QTimer.singleShot(0, lock_then_unlock)
    assert exec_dialog(dialog) is True
    assert seen == {"hidden": True, "cleared": "", "restored": 1, "back": True}
    assert drafts.running_dialogs() == []


def test_without_the_key_the_dialog_ends_cancelled(qtbot: QtBot) -> None:
    dialog = Sample()
    key = MemoryGate.draft_key("staff-1", "demo")

    def lock_then_someone_else() -> None:
        dialog.fill()
        drafts.lock_all(key.recipient)
        QTimer.singleShot(0, lambda: drafts.unlock_all(None))

    QTimer.singleShot(0, lock_then_someone_else)
    assert exec_dialog(dialog) is False
    assert dialog.name.text() == ""
