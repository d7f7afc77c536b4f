"""Dialogs of the Graduated response tab: change phase, item evidence, item history, APDR cycle.

They never query the database: the tab hands each one the choices it needs and a `check`
function (the domain's own rules) whose messages are shown next to their fields. A dialog
accepts only input that passes; `ask()` returns the typed result or None if cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
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

from semh_desktop.core.dates import format_date
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
from ui.common.form_dialog import FormDialog, add_or_edit, exec_dialog, field_label, read_date
from ui.features.graduated.models import ItemHistoryModel, RecordsSortProxy


def _date_edit(name: str, value: dt.date | None) -> QLineEdit:
    edit = QLineEdit(format_date(value))
    edit.setPlaceholderText("dd/mm/yyyy")
    edit.setAccessibleName(name)
    edit.setMaximumWidth(140)
    return edit


def _plain_label(text: str, role: str) -> QLabel:
    """A wrapped line of the item's own words (typed by staff): shown as text, never markup."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    theme.set_role(label, role)
    return label


def _notes(name: str, text: str = "", *, height: int = 64, fixed: bool = False) -> QPlainTextEdit:
    edit = QPlainTextEdit(text)
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)  # Tab moves on; notes never need a tab character
    if fixed:
        edit.setFixedHeight(height)  # several notes in one dialog: keep it on screen
    else:
        edit.setMinimumHeight(height)
    return edit


# --- change phase --------------------------------------------------------------------------


class ChangePhaseDialog(FormDialog[PhaseChangeRequest]):
    """Move a pupil to another phase: to-phase, date, reason and who decided are required."""

    def __init__(
        self,
        phases: Sequence[Phase],
        current_phase_id: str | None,
        today: dt.date,
        check: Callable[[PhaseChangeRequest], dict[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Change phase", "Change phase", parent, validate=check)
        current = next((p for p in phases if p.id == current_phase_id), None)

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

        self.add_field("to_phase", "Move &to phase", self.to_phase_combo, required=True)
        self.add_field("changed_on", "&Date of decision", self.date_edit, required=True)
        self.add_field("reason", "&Reason", self.reason_edit, required=True)
        self.add_field("decided_by", "Decided &by", self.decided_by_combo, required=True)
        self.add_plain("&Who (panel or person)", self.detail_edit)
        self.finish_layout(
            f"Current phase: {current.name}"
            if current
            else "No phase is recorded for this pupil yet."
        )
        self.resize(560, self.sizeHint().height())

    def read(self, errors: dict[str, str]) -> PhaseChangeRequest:
        return PhaseChangeRequest(
            to_phase_id=str(self.to_phase_combo.currentData() or ""),
            changed_on=read_date(self.date_edit, "changed_on", errors),
            reason=self.reason_edit.toPlainText(),
            decided_by=str(self.decided_by_combo.currentData() or ""),
            decided_by_detail=self.detail_edit.text(),
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        phases: Sequence[Phase],
        current_phase_id: str | None,
        today: dt.date,
        check: Callable[[PhaseChangeRequest], dict[str, str]],
    ) -> PhaseChangeRequest | None:
        return cls(phases, current_phase_id, today, check, parent).run()


# --- one checklist item's status and evidence ----------------------------------------------------


class EvidenceDialog(FormDialog[AnswerRequest]):
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
        super().__init__("Checklist item", "Save", parent, validate=check)
        self.outer.addWidget(_plain_label(item.text, "heading"))
        if item.guidance:
            self.outer.addWidget(_plain_label(item.guidance, "hint"))

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

        self.add_field("status", "Status", status_box)
        self.add_field("answered_on", "&Date", self.date_edit)
        self.add_field("staff_name", "&Who", self.staff_combo)
        self.add_field(
            "evidence",
            "&Evidence" + (" (required)" if item.evidence_required else ""),
            self.evidence_edit,
        )
        footer = []
        if item.evidence_required:
            footer.append(
                _plain_label(
                    "This item asks for evidence. You can save without it, but it will be "
                    "shown as missing evidence until a note is added.",
                    "hint",
                )
            )
        self.finish_layout(footer=footer)
        self.resize(560, self.sizeHint().height())
        self.status_buttons[status].setFocus()

    @property
    def status(self) -> str:
        return next(k for k, b in self.status_buttons.items() if b.isChecked())

    def read(self, errors: dict[str, str]) -> AnswerRequest:
        day = read_date(self.date_edit, "answered_on", errors)
        return AnswerRequest(
            self.status, day, self.staff_combo.currentText(), self.evidence_edit.toPlainText()
        )

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
        return cls(item, answer, today, default_staff, staff_names, check, parent).run()


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
        exec_dialog(cls(item, history, version_numbers, parent))


# --- APDR cycle ----------------------------------------------------------------------------------


class ApdrCycleDialog(FormDialog[ApdrDetails]):
    """The dates and notes of each stage of a cycle, and the outcome agreed at review."""

    def __init__(
        self,
        details: ApdrDetails | None,
        today: dt.date,
        check: Callable[[ApdrDetails], dict[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            *add_or_edit(details, "Add APDR cycle", "Add cycle", "Edit APDR cycle"),
            parent,
            validate=check,
        )
        start = details or ApdrDetails(assess_on=today)
        self.outer.addWidget(
            _plain_label(
                "Fill in each stage as it happens; a cycle counts as reviewed once the "
                "review date and the outcome are recorded.",
                "hint",
            )
        )
        grid = QGridLayout()
        grid.addWidget(QLabel("Stage"), 0, 0)
        grid.addWidget(QLabel("Date"), 0, 1)
        grid.addWidget(QLabel("Notes"), 0, 2)
        self.date_edits: dict[str, QLineEdit] = {}
        self.notes_edits: dict[str, QPlainTextEdit] = {}
        top = Qt.AlignmentFlag.AlignTop
        for row, (name, label) in enumerate(STAGES, start=1):
            date_edit = _date_edit(f"{label} date", start.date_of(name))
            notes_edit = _notes(f"{label} notes", start.notes_of(name), height=60, fixed=True)
            grid.addWidget(field_label(f"&{label}", date_edit), row, 0, top)
            grid.addWidget(self.register(f"{name}_on", date_edit), row, 1, top)
            grid.addWidget(self.register(f"{name}_notes", notes_edit), row, 2)
            self.date_edits[name] = date_edit
            self.notes_edits[name] = notes_edit
        self.outcome_edit = _notes("Outcome at review", start.outcome, height=60, fixed=True)
        self.outcome_edit.setPlaceholderText(
            "What was agreed at the review (for example: continue, step up, step down)"
        )
        outcome_row = len(STAGES) + 1
        grid.addWidget(field_label("O&utcome", self.outcome_edit), outcome_row, 0, top)
        grid.addWidget(self.register("outcome", self.outcome_edit), outcome_row, 1, 1, 2)
        grid.setColumnStretch(2, 1)
        self.finish_layout(body=grid)
        self.resize(680, self.sizeHint().height())

    def read(self, errors: dict[str, str]) -> ApdrDetails:
        days = {name: read_date(self.date_edits[name], f"{name}_on", errors) for name, _ in STAGES}
        notes = {name: self.notes_edits[name].toPlainText() for name, _ in STAGES}
        return ApdrDetails(
            days["assess"],
            days["plan"],
            days["do"],
            days["review"],
            notes["assess"],
            notes["plan"],
            notes["do"],
            notes["review"],
            self.outcome_edit.toPlainText(),
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        details: ApdrDetails | None,
        today: dt.date,
        check: Callable[[ApdrDetails], dict[str, str]],
    ) -> ApdrDetails | None:
        return cls(details, today, check, parent).run()
