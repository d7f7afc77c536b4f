"""The one form-dialog base: fields with a message under each, Save / Cancel, `run()`.

A dialog never queries the database: whoever opens it hands in what it needs (lists to
choose from, a `validate` function) and reads the typed result when `run()` returns it.
"""

from __future__ import annotations

import itertools
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common import theme
from ui.common.widgets import FieldMessage, field_with_message, mark_invalid

D = TypeVar("D", bound="FormDialog")


class FormDialog(QDialog):
    """A form whose fields each have a message under them, and Save / Cancel buttons."""

    def __init__(self, title: str, save_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.messages: dict[str, FieldMessage] = {}
        self.fields: dict[str, QWidget] = {}
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(8)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.summary = QLabel()
        self.summary.setObjectName("dialogSummary")
        self.summary.setWordWrap(True)
        self.summary.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            save_text, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setDefault(True)
        self.ok_button.setAccessibleName(save_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(18, 16, 18, 16)
        self.outer.setSpacing(12)

    def finish_layout(self, intro: str = "") -> None:
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            theme.set_role(label, "muted")
            self.outer.addWidget(label)
        self.outer.addLayout(self.form)
        self.outer.addWidget(self.summary)
        self.outer.addWidget(self.buttons)
        widgets = [*list(self.fields.values()), self.ok_button]
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if cancel is not None:
            cancel.setAccessibleName("Cancel")
            widgets.append(cancel)
        for first, second in itertools.pairwise(widgets):
            QWidget.setTabOrder(first, second)
        if widgets:
            widgets[0].setFocus()

    def add_field(
        self, field: str, label: str, widget: QWidget, *, required: bool = False, hint: str = ""
    ) -> None:
        widget.setObjectName(f"{field}_field")
        widget.setAccessibleName(label.replace("&", ""))
        if required:
            widget.setAccessibleDescription("Required")
        self.fields[field] = widget
        message = FieldMessage(field)
        self.messages[field] = message
        text = QLabel(label + (" *" if required else ""))
        theme.set_role(text, "fieldLabel")
        text.setBuddy(widget)
        holder = field_with_message(widget, message)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setWordWrap(True)
            theme.set_role(hint_label, "hint")
            layout = holder.layout()
            if layout is not None:
                layout.addWidget(hint_label)
        self.form.addRow(text, holder)

    @staticmethod
    def line(placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setMinimumWidth(300)
        return edit

    @staticmethod
    def text_box(lines: int = 3) -> QPlainTextEdit:
        box = QPlainTextEdit()
        box.setTabChangesFocus(True)  # Tab moves on, as in every other field
        box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 16)
        return box

    def show_errors(self, errors: dict[str, str]) -> bool:
        """Show each message under its field; True when there are none."""
        for field, message in self.messages.items():
            if field in errors:
                message.show_error(errors[field])
                mark_invalid(self.fields[field], "error")
            else:
                message.clear_message()
                mark_invalid(self.fields[field], "")
        unplaced = [text for field, text in errors.items() if field not in self.messages]
        if unplaced:
            self.summary.setText(" ".join(unplaced))
            theme.set_role(self.summary, "error")
            self.summary.setVisible(True)
        else:
            self.summary.setVisible(False)
        first = next((f for f in self.fields if f in errors), None)
        if first is not None:
            self.fields[first].setFocus()
        self.adjustSize()
        return not errors

    def message_text(self, field: str) -> str:
        message = self.messages[field]
        return message.text() if message.isVisible() or message.kind else ""

    def collect(self) -> dict[str, str]:
        """Subclasses: read the form, store the result, return errors by field."""
        raise NotImplementedError

    def accept(self) -> None:
        if self.show_errors(self.collect()):
            super().accept()

    @classmethod
    def run(cls: type[D], dialog: D) -> D | None:
        try:
            return dialog if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()
