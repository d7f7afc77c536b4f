"""The form base on its own: messages under fields, staying open, focus, typed `ask`, dates."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from ui.common.form_dialog import FormDialog, FormSection, read_date

Visit = tuple[str, dt.date | None]


def visit_rules(visit: Visit) -> dict[str, str]:
    """The rules a window would hand in (the domain's `validate`)."""
    who, day = visit
    errors: dict[str, str] = {}
    if not who:
        errors["who"] = "Enter who visited."
    if day is None:
        errors["visited_on"] = "Enter the date."
    if who == "<b>office</b>":
        errors["office"] = "Visits from <b>the office</b> are recorded elsewhere."
    return errors


class VisitDialog(FormDialog[Visit]):
    """A form of two required fields, built as the app's dialogs are."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Record a visit", "Save visit", parent, validate=visit_rules)
        self.who_edit = self.line("Name")
        self.on_edit = self.line("dd/mm/yyyy")
        self.add_field("who", "&Who", self.who_edit, required=True)
        self.add_field("visited_on", "Visited &on", self.on_edit, required=True)
        self.finish_layout("Both fields are required.")

    def read(self, errors: dict[str, str]) -> Visit:
        who = " ".join(self.who_edit.text().split())
        return who, read_date(self.on_edit, "visited_on", errors)

    @classmethod
    def ask(cls, parent: QWidget | None = None) -> Visit | None:
        return cls(parent).run()


@pytest.fixture
def dialog(qtbot: QtBot) -> VisitDialog:
    shown = VisitDialog()
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_each_message_shows_under_its_own_field_and_the_dialog_stays_open(
    dialog: VisitDialog,
) -> None:
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.result_value is None
    assert dialog.message("who").text() == "Enter who visited."
    assert dialog.message("visited_on").text() == "Enter the date."
    for field, edit in (("who", dialog.who_edit), ("visited_on", dialog.on_edit)):
        message = dialog.message(field)
        assert message.isVisibleTo(dialog) and message.kind == "error"
        # Under its own field: in the same holder, directly below, and nowhere else.
        assert message.parentWidget() is edit.parentWidget()
        assert message.geometry().top() >= edit.geometry().bottom()
        assert edit.property("invalid") == "true"
    assert not dialog.summary.isVisibleTo(dialog)

    dialog.who_edit.setText("Mr Price")
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert not dialog.message("who").isVisibleTo(dialog)  # put right: its message goes
    assert dialog.who_edit.property("invalid") == "false"
    assert dialog.message_text("visited_on") == "Enter the date."


def test_the_first_field_in_error_gets_the_focus(dialog: VisitDialog) -> None:
    dialog.who_edit.setText("Mr Price")
    dialog.on_edit.setText("someday")
    dialog.who_edit.setFocus()
    dialog.ok_button.click()
    assert dialog.focusWidget() is dialog.on_edit
    # What cannot be read says so, rather than the rule's "enter the date".
    assert dialog.message_text("visited_on").startswith("'someday' is not a date.")

    dialog.who_edit.clear()
    dialog.on_edit.setFocus()
    dialog.ok_button.click()
    assert dialog.focusWidget() is dialog.who_edit  # both wrong: the first, in form order


def test_keyboard_order_is_the_fields_then_save_then_cancel(dialog: VisitDialog) -> None:
    chain = [dialog.who_edit, dialog.on_edit, dialog.ok_button, dialog.cancel_button]
    assert dialog.focusWidget() is chain[0]
    for expected in chain[1:]:
        dialog.focusNextChild()
        assert dialog.focusWidget() is expected


def test_a_message_for_no_field_goes_to_the_summary_as_plain_text(dialog: VisitDialog) -> None:
    dialog.who_edit.setText("<b>office</b>")
    dialog.on_edit.setText("03/12/2026")
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.summary.isVisibleTo(dialog)
    assert dialog.summary.text() == "Visits from <b>the office</b> are recorded elsewhere."
    assert dialog.summary.textFormat() == Qt.TextFormat.PlainText


def test_ask_returns_the_typed_result_of_what_was_typed(qtbot: QtBot) -> None:
    failures: list[BaseException] = []

    def type_and_save() -> None:
        shown = QApplication.activeModalWidget()
        try:
            assert isinstance(shown, VisitDialog), shown
            qtbot.keyClicks(shown.who_edit, "Mr O'Neill")  # QTest types ASCII only
            qtbot.keyClicks(shown.on_edit, "03/12/2026")
            qtbot.mouseClick(shown.ok_button, Qt.MouseButton.LeftButton)
        except BaseException as exc:
            failures.append(exc)
            if isinstance(shown, VisitDialog):
                shown.reject()

    QTimer.singleShot(0, type_and_save)
    result = VisitDialog.ask()
    assert not failures, failures
    assert result == ("Mr O'Neill", dt.date(2026, 12, 3))


def test_ask_returns_none_when_cancelled_even_after_valid_input(qtbot: QtBot) -> None:
    def type_and_cancel() -> None:
        shown = QApplication.activeModalWidget()
        assert isinstance(shown, VisitDialog)
        qtbot.keyClicks(shown.who_edit, "Mr Price")
        qtbot.keyClicks(shown.on_edit, "03/12/2026")
        shown.cancel_button.click()

    QTimer.singleShot(0, type_and_cancel)
    assert VisitDialog.ask() is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("03/12/2026", dt.date(2026, 12, 3)), (" 03/12/2026 ", dt.date(2026, 12, 3))],
)
def test_read_date_accepts_day_month_year(typed: str, expected: dt.date) -> None:
    errors: dict[str, str] = {}
    assert read_date(QLineEdit(typed), "start_date", errors) == expected
    assert errors == {}


@pytest.mark.parametrize("typed", ["31/02/2026", "tomorrow"])
def test_read_date_refuses_what_is_not_a_date_in_plain_words(typed: str) -> None:
    errors: dict[str, str] = {}
    assert read_date(QLineEdit(typed), "start_date", errors) is None
    assert errors == {
        "start_date": f"'{typed}' is not a date. Write it as dd/mm/yyyy, for example 03/09/2025."
    }
    assert "<" not in errors["start_date"]


def test_read_date_empty_is_none_and_an_error_only_when_asked() -> None:
    errors: dict[str, str] = {}
    assert read_date(QLineEdit("  "), "until", errors) is None
    assert errors == {}
    assert read_date(QLineEdit(""), "until", errors, missing="Enter the end date.") is None
    assert errors == {"until": "Enter the end date."}


def test_inline_section_uses_the_same_fields_with_messages(qtbot: QtBot) -> None:
    section = FormSection("Add a figure")
    qtbot.addWidget(section)
    percent = section.line("percent", "% &attended", "e.g. 93.5")
    note = section.line("note", "&Note")
    section.show()
    qtbot.waitExposed(section)
    assert percent.objectName() == "percent_edit" and percent.accessibleName() == "% attended"

    assert not section.show_errors({"percent": "'x' is not a percentage."})
    assert section.message("percent").text() == "'x' is not a percentage."
    assert section.message("percent").isVisibleTo(section)
    assert not section.message("note").isVisibleTo(section)
    assert section.focusWidget() is percent
    assert note.property("invalid") == "false"

    assert section.show_errors({})
    assert not section.message("percent").isVisibleTo(section)
