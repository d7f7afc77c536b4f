"""The one form base: fields with a message under each, a summary, Save / Cancel, `run()`.

`FormFields` is the single implementation of fields-with-messages. `FormDialog` puts it in a
pop-up with Save / Cancel; `FormSection` puts it in a group box that sits inline in a tab.

A dialog never queries the database: whoever opens it hands in what it needs (lists to
choose from, a `validate` function) and gets the typed result back from its `ask()`:

    details = PlanDialog.ask(parent, validate, workers, today=today)  # CaseDetails | None

Subclasses build their fields with `add_field`, call `finish_layout`, and implement `read()`
(the typed value, and what could not be read) and, unless a `validate` is handed in,
`validate()` (the rules); or `collect()` whole, which sets `result_value` through `keep()` and
returns the errors by field.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import parse_date
from semh_desktop.core.errors import ValidationError
from ui.common import drafts, theme
from ui.common.widgets import FieldMessage, field_with_message, mark_invalid

R = TypeVar("R")


def read_date_text(
    text: str, field: str, errors: dict[str, str], *, missing: str = ""
) -> dt.date | None:
    """The date in `text` (dd/mm/yyyy), or None; a problem is added to `errors[field]`.

    Empty text is None, and an error only when `missing` says what to ask for.
    """
    cleaned = text.strip()
    if not cleaned:
        if missing:
            errors[field] = missing
        return None
    try:
        return parse_date(cleaned, field=field)
    except ValidationError as exc:
        errors[field] = exc.message
        return None


def read_date(
    edit: QLineEdit, field: str, errors: dict[str, str], *, missing: str = ""
) -> dt.date | None:
    """The date typed in `edit` (None if empty); a date that cannot be read adds an error."""
    return read_date_text(edit.text(), field, errors, missing=missing)


def select(combo: QComboBox, value: object) -> None:
    """Choose the item whose data is `value` (the first item if there is none)."""
    combo.setCurrentIndex(max(combo.findData(value), 0))


def focusable(widget: QWidget) -> QWidget:
    """The widget itself, or for a container (a row of radio buttons) its first control."""
    if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
        return widget
    children = [
        child
        for child in widget.findChildren(QWidget)
        if child.focusPolicy() != Qt.FocusPolicy.NoFocus and child.isEnabled()
    ]
    return children[0] if children else widget


def form_layout(*, label_alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignTop) -> QFormLayout:
    form = QFormLayout()
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(8)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | label_alignment)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


class FormFields:
    """Fields that each have a message under them, in keyboard order.

    Rows go into `form` unless another form layout is named (a dialog with two columns), or
    `holder()` gives the field and its message to place in any layout (a grid).
    """

    def __init__(self, form: QFormLayout | None = None) -> None:
        self.form = form if form is not None else form_layout()
        self.fields: dict[str, QWidget] = {}
        self.messages: dict[str, FieldMessage] = {}
        self.order: list[QWidget] = []  # fields and plain rows, as Tab should visit them

    def holder(
        self, field: str, widget: QWidget, *, hint: str = "", align_left: bool = False
    ) -> QWidget:
        """Keep the field and give it a message; returns the two stacked, for a layout."""
        self.fields[field] = widget
        self.order.append(widget)
        message = FieldMessage(field)
        self.messages[field] = message
        box = field_with_message(widget, message, align_left=align_left)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setWordWrap(True)
            hint_label.setTextFormat(Qt.TextFormat.PlainText)
            theme.set_role(hint_label, "hint")
            layout = box.layout()
            if layout is not None:
                layout.addWidget(hint_label)
        return box

    def add(
        self,
        field: str,
        label: str,
        widget: QWidget,
        *,
        required: bool = False,
        hint: str = "",
        form: QFormLayout | None = None,
        align_left: bool = False,
    ) -> QWidget:
        """A labelled row: the label (with its shortcut), the field, its message, a hint."""
        if not widget.objectName():
            widget.setObjectName(f"{field}_field")
        if not widget.accessibleName():
            widget.setAccessibleName(label.replace("&", ""))
        if required:
            widget.setAccessibleDescription("Required")
        text = field_label(label + (" *" if required else ""), widget)
        (form or self.form).addRow(
            text, self.holder(field, widget, hint=hint, align_left=align_left)
        )
        return widget

    def add_plain(self, label: str, widget: QWidget, *, form: QFormLayout | None = None) -> QWidget:
        """A labelled row with no message of its own (it is still in the keyboard order)."""
        self.order.append(widget)
        (form or self.form).addRow(field_label(label, widget), widget)
        return widget

    def add_to_order(self, *widgets: QWidget) -> None:
        """Widgets with no message that Tab visits next (check boxes placed by the caller)."""
        self.order.extend(widgets)

    def message(self, field: str) -> FieldMessage:
        return self.messages[field]

    def message_text(self, field: str) -> str:
        message = self.messages[field]
        return message.text() if message.isVisible() or message.kind else ""

    def show(self, errors: Mapping[str, str], warnings: Mapping[str, str] | None = None) -> bool:
        """Show each message under its field and focus the first wrong one; True if none."""
        warnings = warnings or {}
        for field, message in self.messages.items():
            widget = self.fields[field]
            if field in errors:
                message.show_error(errors[field])
                mark_invalid(widget, "error")
            elif field in warnings:
                message.show_warning(warnings[field])
                mark_invalid(widget, "warning")
            else:
                message.clear_message()
                mark_invalid(widget, "")
        first = next((f for f in self.fields if f in errors), None)
        if first is not None:
            focusable(self.fields[first]).setFocus()
        return not errors

    def unplaced(self, errors: Mapping[str, str]) -> list[str]:
        """The messages that belong to no field here (shown in a summary instead)."""
        return [text for field, text in errors.items() if field not in self.messages]


def field_label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    theme.set_role(label, "fieldLabel")
    label.setBuddy(buddy)
    return label


def line_edit(placeholder: str = "", *, min_width: int = 300) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setMinimumWidth(min_width)
    return edit


def text_box(lines: int = 3) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)  # Tab moves on, as in every other field
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 16)
    return box


def exec_dialog(dialog: QDialog) -> bool:
    """Show a modal dialog; True if it was accepted. The dialog is deleted afterwards.

    Every dialog of the app is shown through here, so that locking the window hides it and
    keeps what was typed as a sealed draft for the same person (ui/common/drafts.py).
    """
    try:
        return drafts.run_modal(dialog) == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


class _FieldsHost:
    """A dialog or section offers its fields' own methods: `self.add_field(...)`."""

    def take_fields(self, fields: FormFields) -> None:
        self.form_fields = fields
        self.fields = fields.fields
        self.messages = fields.messages
        self.message = fields.message
        self.message_text = fields.message_text
        self.add_field = fields.add
        self.add_plain = fields.add_plain


def add_or_edit(
    editing: object, add_title: str, add_button: str, edit_title: str
) -> tuple[str, str]:
    """The title and Save button of a dialog that adds a record, or edits the one handed in."""
    return (edit_title, "Save changes") if editing else (add_title, add_button)


class FormDialog(_FieldsHost, QDialog, Generic[R]):
    """A pop-up form: fields with messages, a summary, Save / Cancel; `run()` gives R or None."""

    def __init__(
        self,
        title: str,
        save_text: str,
        parent: QWidget | None = None,
        *,
        label_alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignTop,
        validate: Callable[[R], Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.result_value: R | None = None
        self._rules = validate
        self.take_fields(FormFields(form_layout(label_alignment=label_alignment)))
        self.form = self.form_fields.form
        self.register = self.form_fields.holder  # a field and its message, for a grid
        self.summary = QLabel()
        self.summary.setObjectName("dialogSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            save_text, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setDefault(True)
        self.ok_button.setAccessibleName(save_text)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(18, 16, 18, 16)
        self.outer.setSpacing(12)

    # -- building --------------------------------------------------------------------------

    line = staticmethod(line_edit)
    text_box = staticmethod(text_box)

    def finish_layout(
        self,
        intro: str = "",
        *,
        body: QLayout | None = None,
        footer: Sequence[QWidget] = (),
    ) -> None:
        """Intro, the fields (the form, or `body`), `footer`, the summary and the buttons."""
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            theme.set_role(label, "muted")
            self.outer.addWidget(label)
        self.outer.addLayout(body if body is not None else self.form)
        for widget in footer:
            self.outer.addWidget(widget)
        self.outer.addWidget(self.summary)
        self.outer.addWidget(self.buttons)
        widgets = [*self.form_fields.order, self.ok_button, self.cancel_button]
        for first, second in itertools.pairwise(widgets):
            QWidget.setTabOrder(first, second)
        focusable(widgets[0]).setFocus()

    # -- checking --------------------------------------------------------------------------

    def show_errors(
        self, errors: Mapping[str, str], warnings: Mapping[str, str] | None = None
    ) -> bool:
        """Show each message under its field, the rest in the summary; True when no errors."""
        ok = self.form_fields.show(errors, warnings)
        unplaced = self.form_fields.unplaced(errors)
        if unplaced:
            self.show_summary(" ".join(unplaced), "error")
        else:
            self.summary.setVisible(False)
        self.fit_height()
        return ok

    def show_summary(self, text: str, kind: str) -> None:
        self.summary.setText(text)
        self.summary.setAccessibleName(text)
        theme.set_role(self.summary, kind)
        self.summary.setVisible(True)

    def fit_height(self) -> None:
        """Grow (never shrink) so that messages that appeared are not cut off."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        wanted = self.heightForWidth(self.width()) if self.hasHeightForWidth() else -1
        wanted = max(wanted, self.sizeHint().height())
        if wanted > self.height():
            self.resize(self.width(), wanted)

    def read(self, errors: dict[str, str]) -> R:
        """Subclasses: the typed value the form holds; what cannot be read adds to `errors`."""
        raise NotImplementedError

    def validate(self, value: R) -> dict[str, str]:
        """The rules' messages by field: the `validate` handed in, or a subclass's own."""
        return dict(self._rules(value)) if self._rules is not None else {}

    @property
    def value(self) -> R:
        """What the form holds now (a date that cannot be read is None)."""
        return self.read({})

    def collect(self) -> dict[str, str]:
        """Read the form, keep the result when valid, return the errors by field."""
        errors: dict[str, str] = {}
        value = self.read(errors)
        # What cannot be read says so, rather than the rule's "enter it".
        return self.keep(value, {**self.validate(value), **errors})

    def keep(self, value: R, errors: dict[str, str]) -> dict[str, str]:
        """For `collect()`: keep `value` as the result when there are no errors."""
        self.result_value = None if errors else value
        return errors

    def accept(self) -> None:
        # The dialog stays open until the input is valid, so nothing typed is lost.
        if self.show_errors(self.collect()):
            super().accept()

    def run(self) -> R | None:
        """Show the dialog; the typed result, or None if it was cancelled."""
        return self.result_value if exec_dialog(self) else None


class FormSection(_FieldsHost, QGroupBox):
    """An inline form in a tab: a titled box of fields, each with its message underneath."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.take_fields(FormFields(QFormLayout(self)))
        self.show_errors = self.form_fields.show

    def line(self, name: str, label: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(f"{name}_edit")
        edit.setPlaceholderText(placeholder)
        self.form_fields.add(name, label, edit)
        return edit

    def combo(self, name: str, label: str, items: Sequence[tuple[str, object]]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"{name}_combo")
        for text, value in items:
            combo.addItem(text, value)
        self.form_fields.add(name, label, combo)
        return combo

    def add_row(self, row: QWidget | QLayout) -> None:
        """A row of buttons under the fields."""
        # Two branches because QFormLayout.addRow is overloaded on widget and layout.
        if isinstance(row, QLayout):
            self.form_fields.form.addRow("", row)
        else:
            self.form_fields.form.addRow("", row)
