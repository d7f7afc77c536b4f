"""Dialogs of the Graduated response tab: change phase, item evidence, item history, APDR cycle.

They never query the database: the tab hands each one the choices it needs and a `check`
function (the domain's own rules) whose messages are shown next to their fields. A dialog
accepts only input that passes; `ask()` returns the typed result or None if cancelled.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import format_date, parse_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.graduated.apdr import STAGES, ApdrDetails
from semh_desktop.graduated.response import (
    DECIDERS,
    STATUSES,
    AnswerRequest,
    ItemAnswer,
    PhaseChangeRequest,
)
from semh_desktop.graduated.templates import ChecklistItem, Phase
from ui.common import theme
from ui.common.widgets import FieldMessage, field_with_message, mark_invalid
from ui.features.graduated.models import ItemHistoryModel, RecordsSortProxy


def _read_date(edit: QLineEdit) -> tuple[dt.date | None, str | None]:
    """The date typed (or None), and a message if something was typed that is not a date."""
    text = edit.text().strip()
    if not text:
        return None, None
    try:
        return parse_date(text), None
    except ValidationError as exc:
        return None, exc.message


def _date_edit(name: str, value: dt.date | None) -> QLineEdit:
    edit = QLineEdit(format_date(value))
    edit.setPlaceholderText("dd/mm/yyyy")
    edit.setAccessibleName(name)
    edit.setMaximumWidth(140)
    return edit


def _notes(name: str, text: str = "", *, height: int = 64, fixed: bool = False) -> QPlainTextEdit:
    edit = QPlainTextEdit(text)
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)  # Tab moves on; notes never need a tab character
    if fixed:
        edit.setFixedHeight(height)  # several notes in one dialog: keep it on screen
    else:
        edit.setMinimumHeight(height)
    return edit


class _CheckedDialog(QDialog):
    """A form whose fields each have a message underneath; OK runs the checks first."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.fields: dict[str, QWidget] = {}
        self.messages: dict[str, FieldMessage] = {}
        self.layout_ = QVBoxLayout(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def register(self, field: str, widget: QWidget) -> QWidget:
        """Keep the field and give it a message line; returns the pair to put in a layout."""
        self.fields[field] = widget
        self.messages[field] = FieldMessage(field)
        return field_with_message(widget, self.messages[field])

    def message(self, field: str) -> FieldMessage:
        return self.messages[field]

    def show_errors(self, errors: dict[str, str]) -> bool:
        """Show each message next to its field; True when there are none."""
        for field, message in self.messages.items():
            if field in errors:
                message.show_error(errors[field])
                mark_invalid(self.fields[field], "error")
            else:
                message.clear_message()
                mark_invalid(self.fields[field], "")
        if errors:
            first = next((f for f in self.fields if f in errors), None)
            if first is not None:
                self.fields[first].setFocus()
        return not errors


# --- change phase --------------------------------------------------------------------------


class ChangePhaseDialog(_CheckedDialog):
    """Move a pupil to another phase: to-phase, date, reason and who decided are required."""

    def __init__(
        self,
        phases: Sequence[Phase],
        current_phase_id: str | None,
        today: dt.date,
        check: Callable[[PhaseChangeRequest], dict[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Change phase", "Change phase", parent)
        self._check = check
        self._result: PhaseChangeRequest | None = None
        current = next((p for p in phases if p.id == current_phase_id), None)
        intro = QLabel(
            f"Current phase: {current.name}"
            if current
            else "No phase is recorded for this pupil yet."
        )
        theme.set_role(intro, "muted")
        self.layout_.addWidget(intro)

        self.to_phase_combo = QComboBox()
        self.to_phase_combo.setAccessibleName("Move to phase")
        self.to_phase_combo.addItem("Choose a phase…", "")
        for phase in phases:
            if phase.id != current_phase_id:
                self.to_phase_combo.addItem(phase.name, phase.id)
        ids = [p.id for p in phases]
        if current_phase_id in ids and ids.index(current_phase_id) + 1 < len(ids):
            self.to_phase_combo.setCurrentIndex(
                self.to_phase_combo.findData(ids[ids.index(current_phase_id) + 1])
            )
        elif current is None and phases:
            self.to_phase_combo.setCurrentIndex(1)
        self.date_edit = _date_edit("Date of the decision", today)
        self.reason_edit = _notes("Reason for the change")
        self.reason_edit.setPlaceholderText(
            "What has been tried, what the evidence shows, and why this phase now"
        )
        self.decided_by_combo = QComboBox()
        self.decided_by_combo.setAccessibleName("Who decided")
        self.decided_by_combo.addItem("Choose who decided…", "")
        for key, label in DECIDERS.items():
            self.decided_by_combo.addItem(label, key)
        self.detail_edit = QLineEdit()
        self.detail_edit.setAccessibleName("Name of the panel or person (required for Other)")
        self.detail_edit.setPlaceholderText("e.g. the panel's name or the person's role")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label_text, field, widget in (
            ("Move &to phase *", "to_phase", self.to_phase_combo),
            ("&Date of decision *", "changed_on", self.date_edit),
            ("&Reason *", "reason", self.reason_edit),
            ("Decided &by *", "decided_by", self.decided_by_combo),
        ):
            field_label = QLabel(label_text)
            field_label.setBuddy(widget)
            widget.setAccessibleDescription("Required")
            form.addRow(field_label, self.register(field, widget))
        detail_label = QLabel("&Who (panel or person)")
        detail_label.setBuddy(self.detail_edit)
        form.addRow(detail_label, self.detail_edit)
        self.layout_.addLayout(form)
        self.layout_.addWidget(self.buttons)
        for first, second in (
            (self.to_phase_combo, self.date_edit),
            (self.date_edit, self.reason_edit),
            (self.reason_edit, self.decided_by_combo),
            (self.decided_by_combo, self.detail_edit),
        ):
            QWidget.setTabOrder(first, second)
        self.resize(560, self.sizeHint().height())
        self.to_phase_combo.setFocus()

    @property
    def request(self) -> PhaseChangeRequest:
        day, _ = _read_date(self.date_edit)
        return PhaseChangeRequest(
            to_phase_id=str(self.to_phase_combo.currentData() or ""),
            changed_on=day,
            reason=self.reason_edit.toPlainText(),
            decided_by=str(self.decided_by_combo.currentData() or ""),
            decided_by_detail=self.detail_edit.text(),
        )

    @property
    def result_request(self) -> PhaseChangeRequest | None:
        return self._result

    def accept(self) -> None:
        request = self.request
        errors = self._check(request)
        _, date_problem = _read_date(self.date_edit)
        if date_problem:
            errors["changed_on"] = date_problem
        if not self.show_errors(errors):
            return
        self._result = request
        super().accept()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        phases: Sequence[Phase],
        current_phase_id: str | None,
        today: dt.date,
        check: Callable[[PhaseChangeRequest], dict[str, str]],
    ) -> PhaseChangeRequest | None:
        dialog = cls(phases, current_phase_id, today, check, parent)
        try:
            return dialog.result_request if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


# --- one checklist item's status and evidence ----------------------------------------------------


class EvidenceDialog(_CheckedDialog):
    """Status, date, who and the evidence note for one checklist item."""

    def __init__(
        self,
        item: ChecklistItem,
        answer: ItemAnswer | None,
        today: dt.date,
        default_staff: str,
        staff_names: Sequence[str],
        check: Callable[[AnswerRequest], dict[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Checklist item", "Save", parent)
        self._check = check
        self._result: AnswerRequest | None = None
        text = QLabel(item.text)
        text.setWordWrap(True)
        theme.set_role(text, "heading")
        self.layout_.addWidget(text)
        if item.guidance:
            guidance = QLabel(item.guidance)
            guidance.setWordWrap(True)
            theme.set_role(guidance, "hint")
            self.layout_.addWidget(guidance)

        status_box = QWidget()
        status_box.setAccessibleName("Status")
        row = QGridLayout(status_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.status_group = QButtonGroup(self)
        self.status_buttons: dict[str, QRadioButton] = {}
        for column, (key, label) in enumerate(STATUSES.items()):
            button = QRadioButton(label)
            button.setAccessibleName(f"Status: {label}")
            self.status_group.addButton(button)
            self.status_buttons[key] = button
            row.addWidget(button, 0, column)
        status = answer.status if answer else "done"
        self.status_buttons[status].setChecked(True)

        self.date_edit = _date_edit(
            "Date", answer.answered_on if answer and answer.answered_on else today
        )
        self.staff_combo = QComboBox()
        self.staff_combo.setEditable(True)
        self.staff_combo.setAccessibleName("Who did it")
        self.staff_combo.addItems(list(staff_names))
        self.staff_combo.setCurrentText(
            answer.staff_name if answer and answer.staff_name else default_staff
        )
        self.evidence_edit = _notes("Evidence note", answer.evidence if answer else "", height=90)
        self.evidence_edit.setPlaceholderText("Where the evidence is, or what it shows")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Status", self.register("status", status_box))
        for label_text, field, widget in (
            ("&Date", "answered_on", self.date_edit),
            ("&Who", "staff_name", self.staff_combo),
            (
                "&Evidence" + (" (required)" if item.evidence_required else ""),
                "evidence",
                self.evidence_edit,
            ),
        ):
            field_label = QLabel(label_text)
            field_label.setBuddy(widget)
            form.addRow(field_label, self.register(field, widget))
        self.layout_.addLayout(form)
        if item.evidence_required:
            note = QLabel(
                "This item asks for evidence. You can save without it, but it will be "
                "shown as missing evidence until a note is added."
            )
            note.setWordWrap(True)
            theme.set_role(note, "hint")
            self.layout_.addWidget(note)
        self.layout_.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self.status_buttons[status].setFocus()

    @property
    def status(self) -> str:
        return next(k for k, b in self.status_buttons.items() if b.isChecked())

    @property
    def request(self) -> AnswerRequest:
        day, _ = _read_date(self.date_edit)
        return AnswerRequest(
            self.status, day, self.staff_combo.currentText(), self.evidence_edit.toPlainText()
        )

    @property
    def result_request(self) -> AnswerRequest | None:
        return self._result

    def accept(self) -> None:
        request = self.request
        errors = self._check(request)
        _, date_problem = _read_date(self.date_edit)
        if date_problem:
            errors["answered_on"] = date_problem
        if not self.show_errors(errors):
            return
        self._result = request
        super().accept()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        item: ChecklistItem,
        answer: ItemAnswer | None,
        today: dt.date,
        default_staff: str,
        staff_names: Sequence[str],
        check: Callable[[AnswerRequest], dict[str, str]],
    ) -> AnswerRequest | None:
        dialog = cls(item, answer, today, default_staff, staff_names, check, parent)
        try:
            return dialog.result_request if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


class ItemHistoryDialog(QDialog):
    """Every answer ever recorded for one item, newest first (read only)."""

    def __init__(
        self,
        item: ChecklistItem,
        history: Sequence[ItemAnswer],
        version_numbers: dict[str, int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Checklist item history")
        layout = QVBoxLayout(self)
        text = QLabel(item.text)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.model = ItemHistoryModel(version_numbers, self)
        self.model.set_rows(history)
        proxy = RecordsSortProxy(self)
        proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setAccessibleName("History of this checklist item")
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ItemHistoryModel.COL_RECORDED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            ItemHistoryModel.COL_EVIDENCE, QHeaderView.ResizeMode.Stretch
        )
        layout.addWidget(self.table)
        if not history:
            layout.addWidget(QLabel("Nothing has been recorded for this item yet."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 320)

    @classmethod
    def show_history(
        cls,
        parent: QWidget | None,
        item: ChecklistItem,
        history: Sequence[ItemAnswer],
        version_numbers: dict[str, int],
    ) -> None:
        dialog = cls(item, history, version_numbers, parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()


# --- APDR cycle ----------------------------------------------------------------------------------


class ApdrCycleDialog(_CheckedDialog):
    """The dates and notes of each stage of a cycle, and the outcome agreed at review."""

    def __init__(
        self,
        details: ApdrDetails | None,
        today: dt.date,
        check: Callable[[ApdrDetails], dict[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        editing = details is not None
        super().__init__(
            "Edit APDR cycle" if editing else "Add APDR cycle",
            "Save changes" if editing else "Add cycle",
            parent,
        )
        self._check = check
        self._result: ApdrDetails | None = None
        start = details or ApdrDetails(assess_on=today)
        hint = QLabel(
            "Fill in each stage as it happens; a cycle counts as reviewed once the "
            "review date and the outcome are recorded."
        )
        hint.setWordWrap(True)
        theme.set_role(hint, "hint")
        self.layout_.addWidget(hint)
        grid = QGridLayout()
        grid.addWidget(QLabel("Stage"), 0, 0)
        grid.addWidget(QLabel("Date"), 0, 1)
        grid.addWidget(QLabel("Notes"), 0, 2)
        self.date_edits: dict[str, QLineEdit] = {}
        self.notes_edits: dict[str, QPlainTextEdit] = {}
        order: list[QWidget] = []
        for row, (name, label) in enumerate(STAGES, start=1):
            date_edit = _date_edit(f"{label} date", start.date_of(name))
            notes_edit = _notes(f"{label} notes", start.notes_of(name), height=60, fixed=True)
            stage_label = QLabel(f"&{label}")
            stage_label.setBuddy(date_edit)
            grid.addWidget(stage_label, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(
                self.register(f"{name}_on", date_edit), row, 1, Qt.AlignmentFlag.AlignTop
            )
            grid.addWidget(self.register(f"{name}_notes", notes_edit), row, 2)
            self.date_edits[name] = date_edit
            self.notes_edits[name] = notes_edit
            order += [date_edit, notes_edit]
        self.outcome_edit = _notes("Outcome at review", start.outcome, height=60, fixed=True)
        self.outcome_edit.setPlaceholderText(
            "What was agreed at the review (for example: continue, step up, step down)"
        )
        outcome_label = QLabel("O&utcome")
        outcome_label.setBuddy(self.outcome_edit)
        grid.addWidget(outcome_label, len(STAGES) + 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.register("outcome", self.outcome_edit), len(STAGES) + 1, 1, 1, 2)
        grid.setColumnStretch(2, 1)
        self.layout_.addLayout(grid)
        self.layout_.addWidget(self.buttons)
        order.append(self.outcome_edit)
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.resize(680, self.sizeHint().height())
        self.date_edits["assess"].setFocus()

    @property
    def details(self) -> ApdrDetails:
        def day(stage: str) -> dt.date | None:
            return _read_date(self.date_edits[stage])[0]

        def notes(stage: str) -> str:
            return self.notes_edits[stage].toPlainText()

        return ApdrDetails(
            day("assess"),
            day("plan"),
            day("do"),
            day("review"),
            notes("assess"),
            notes("plan"),
            notes("do"),
            notes("review"),
            self.outcome_edit.toPlainText(),
        )

    @property
    def result_details(self) -> ApdrDetails | None:
        return self._result

    def accept(self) -> None:
        details = self.details
        errors = self._check(details)
        for name, _ in STAGES:
            _, problem = _read_date(self.date_edits[name])
            if problem:
                errors[f"{name}_on"] = problem
        if not self.show_errors(errors):
            return
        self._result = details
        super().accept()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        details: ApdrDetails | None,
        today: dt.date,
        check: Callable[[ApdrDetails], dict[str, str]],
    ) -> ApdrDetails | None:
        dialog = cls(details, today, check, parent)
        try:
            return dialog.result_details if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()
