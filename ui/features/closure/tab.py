"""The Closure tab.

Closing a case, the sustainability plan, follow-ups after closure, questionnaires, the
printed plan and the pupil's history of support.

The tab reads through `semh_desktop` functions, asks dialogs for input and calls the domain's
write functions (each audited there); every print and PDF export is audited by
`semh_desktop.sustainability_plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.closure import closure, questionnaires, sustainability
from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.documents import sustainability_plan as plan_documents
from semh_desktop.documents.blocks import Document
from semh_desktop.plans.cases import Case
from semh_desktop.plans.progress import case_progress
from semh_desktop.register import staff
from ui.common import theme
from ui.common.case_tab import CaseTab
from ui.common.table_view import Resize, configure_records_view
from ui.common.widgets import plain_label
from ui.features.closure.dialogs import (
    ActionDialog,
    ClosingDialog,
    FollowUpDialog,
    MoveFollowUpDialog,
    QuestionnaireDialog,
    QuestionnaireItemsDialog,
    SignpostDialog,
)
from ui.features.closure.models import (
    HISTORY_COLUMNS,
    QUESTIONNAIRE_COLUMNS,
    SIGNPOST_COLUMNS,
    HistoryRow,
    RecordsModel,
    RecordsProxy,
    action_columns,
    follow_up_columns,
)

T = TypeVar("T")
DOCUMENT_NAMES = {"staff": "sustainability plan", "parent": "family's sustainability plan"}


def _button(text: str, slot: Callable[[], object], *, name: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name or text.replace("&", "").rstrip("…"))
    button.clicked.connect(lambda _checked=False: slot())
    return button


def _heading(text: str) -> QLabel:
    label = plain_label(text)
    theme.set_role(label, "heading")
    return label


class RecordsTable(QTableView):
    """A read-only, row-selecting table over a RecordsModel through a sorting proxy."""

    def __init__(self, model: RecordsModel, name: str, object_name: str) -> None:
        super().__init__()
        self.records = model
        self.proxy = RecordsProxy(self)
        self.proxy.setSourceModel(model)
        self.setModel(self.proxy)
        configure_records_view(self, name, object_name=object_name, resize=Resize.Interactive)

    def set_rows(self, rows: list[Any]) -> None:
        self.records.set_rows(rows)
        self.resizeColumnsToContents()
        for column in range(self.records.columnCount()):
            self.setColumnWidth(column, min(self.columnWidth(column), 260))
        self.resizeRowsToContents()
        height = sum(self.rowHeight(r) for r in range(self.proxy.rowCount())) or (
            self.verticalHeader().defaultSectionSize()
        )
        self.setFixedHeight(
            self.horizontalHeader().sizeHint().height() + height + 2 * self.frameWidth() + 2
        )

    def selected(self) -> Any:
        return self.proxy.record_at(self.currentIndex())

    def select_id(self, record_id: str) -> bool:
        for row in range(self.proxy.rowCount()):
            record = self.proxy.record_at(self.proxy.index(row, 0))
            if getattr(record, "id", None) == record_id:
                self.selectRow(row)
                return True
        return False


class ClosureTab(CaseTab):
    title = "Closure"
    DOCUMENT_NAMES = DOCUMENT_NAMES

    shows = frozenset(
        {
            "case",
            "target",
            "case_aim",
            "case_review",
            "score",
            "sustainability_action",
            "signposting",
            "follow_up",
            "questionnaire",
        }
    )

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("closureTab")
        self.setAccessibleName("Closure and follow-up")
        self.case: Case | None = None
        self._target_labels: dict[str, str] = {}
        self._build_case_header()
        self._build_case_buttons()
        self._build_actions()
        self._build_signposting()
        self._build_follow_ups()
        self._build_questionnaires()
        self.history_table = RecordsTable(
            RecordsModel(HISTORY_COLUMNS, self), "History of support", "historyTable"
        )
        self._lay_out()
        self._set_tab_order()
        for table in (self.actions_table, self.signpost_table, self.follow_up_table):
            table.selectionModel().currentRowChanged.connect(
                lambda _current, _previous: self._update_buttons()
            )
        self._show_case(None)

    # -- building, one section at a time ------------------------------------------------------

    def _build_case_header(self) -> None:
        self.case_combo = QComboBox()
        self.case_combo.setObjectName("closureCaseCombo")
        self.case_combo.setAccessibleName("Episode of support")
        self.case_combo.currentIndexChanged.connect(self._case_chosen)
        self.summary_label = plain_label()
        self.summary_label.setObjectName("closureSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing_label = plain_label()
        self.missing_label.setObjectName("closureMissing")
        self.missing_label.setWordWrap(True)
        theme.set_role(self.missing_label, "warning")
        self.empty_label = QLabel(
            "No case yet for this pupil. A case is opened in the PSP tab; "
            "it is closed here at the closing meeting."
        )
        self.empty_label.setObjectName("closureEmpty")
        self.empty_label.setWordWrap(True)
        theme.set_role(self.empty_label, "muted")
        self.output_label = plain_label()
        self.output_label.setObjectName("closureOutput")
        self.output_label.setWordWrap(True)
        theme.set_role(self.output_label, "muted")

    def _build_case_buttons(self) -> None:
        self.close_button = _button(
            "&Close case…", self.close_case, name="Close the case at the closing meeting"
        )
        theme.set_role(self.close_button, "primary")
        self.print_button = QPushButton("P&rint or save plan")
        self.print_button.setAccessibleName("Print or save the sustainability plan as PDF")
        self.print_menu = QMenu(self.print_button)
        self.print_actions: dict[str, QAction] = {}
        for key, label, slot in (
            ("print_staff", "Print the sustainability plan…", lambda: self.print_document("staff")),
            ("print_parent", "Print the family's version…", lambda: self.print_document("parent")),
            ("save_staff", "Save the sustainability plan as PDF…", lambda: self.save_pdf("staff")),
            ("save_parent", "Save the family's version as PDF…", lambda: self.save_pdf("parent")),
        ):
            action = self.print_menu.addAction(label)
            action.triggered.connect(lambda _checked=False, run=slot: run())
            self.print_actions[key] = action
        self.print_button.setMenu(self.print_menu)

    def _build_actions(self) -> None:
        self.actions_table = RecordsTable(
            RecordsModel(action_columns(self._target_label, self.store.clock.today), self),
            "What school will keep doing",
            "actionsTable",
        )
        self.add_action_button = _button(
            "Add &action…", self.add_action, name="Add a sustainability action"
        )
        self.edit_action_button = _button(
            "&Edit…", self.edit_action, name="Edit the selected action"
        )
        self.remove_action_button = _button(
            "Remove", self.remove_action, name="Remove the selected action"
        )
        self.end_reviewed_button = _button(
            "End date c&hecked",
            self.mark_end_reviewed,
            name="Mark the selected action's passed end date as checked",
        )
        self.actions_table.doubleClicked.connect(lambda _index: self.edit_action())

    def _build_signposting(self) -> None:
        self.signpost_table = RecordsTable(
            RecordsModel(SIGNPOST_COLUMNS, self), "Signposting for the family", "signpostTable"
        )
        self.add_signpost_button = _button(
            "Add &service…", self.add_signpost, name="Add signposting"
        )
        self.edit_signpost_button = _button(
            "Edit…", self.edit_signpost, name="Edit the selected signposting"
        )
        self.remove_signpost_button = _button(
            "Remove", self.remove_signpost, name="Remove the selected signposting"
        )
        self.signpost_table.doubleClicked.connect(lambda _index: self.edit_signpost())

    def _build_follow_ups(self) -> None:
        self.follow_up_table = RecordsTable(
            RecordsModel(follow_up_columns(self.store.clock.today), self),
            "Follow-up meetings after closure",
            "followUpTable",
        )
        self.record_follow_up_button = _button(
            "Record &follow-up…",
            self.record_follow_up,
            name="Record the selected follow-up meeting",
        )
        self.move_follow_up_button = _button(
            "&Move…", self.move_follow_up, name="Move the selected follow-up meeting"
        )
        self.follow_up_table.doubleClicked.connect(lambda _index: self.record_follow_up())

    def _build_questionnaires(self) -> None:
        self.questionnaire_table = RecordsTable(
            RecordsModel(QUESTIONNAIRE_COLUMNS, self), "Questionnaires", "questionnaireTable"
        )
        self.school_questionnaire_button = _button(
            "&School questionnaire…",
            lambda: self.enter_questionnaire("school"),
            name="Enter the school questionnaire",
        )
        self.parent_questionnaire_button = _button(
            "&Parent questionnaire…",
            lambda: self.enter_questionnaire("parent"),
            name="Enter the parent questionnaire (also later, from paper)",
        )
        self.items_button = QPushButton("&Items")
        self.items_button.setAccessibleName("Edit the questionnaire items")
        items_menu = QMenu(self.items_button)
        for respondent, label in questionnaires.RESPONDENTS.items():
            action = items_menu.addAction(f"Edit the {label.lower()} items…")
            action.triggered.connect(lambda _checked=False, r=respondent: self.edit_items(r))
        self.items_button.setMenu(items_menu)

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        layout = QHBoxLayout()
        for widget in widgets:
            layout.addWidget(widget)
        layout.addStretch(1)
        return layout

    def _section(self, title: str, table: QWidget, buttons: tuple[QWidget, ...]) -> QWidget:
        section = QWidget()
        section_layout = QVBoxLayout(section)
        section_layout.setContentsMargins(0, 6, 0, 0)
        section_layout.addWidget(_heading(title))
        section_layout.addWidget(table)
        if buttons:
            section_layout.addLayout(self._row(*buttons))
        return section

    def _lay_out(self) -> None:
        content = QWidget()
        content.setObjectName("closureContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(8)
        layout.addWidget(self.case_combo)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.missing_label)
        layout.addWidget(self.empty_label)
        layout.addLayout(self._row(self.close_button, self.print_button))
        self.sections: list[QWidget] = [
            self._section(
                "Sustainability plan: what school will keep doing",
                self.actions_table,
                (
                    self.add_action_button,
                    self.edit_action_button,
                    self.remove_action_button,
                    self.end_reviewed_button,
                ),
            ),
            self._section(
                "Signposting for the family",
                self.signpost_table,
                (self.add_signpost_button, self.edit_signpost_button, self.remove_signpost_button),
            ),
            self._section(
                "Follow-up after closure",
                self.follow_up_table,
                (self.record_follow_up_button, self.move_follow_up_button),
            ),
            self._section(
                "Questionnaires",
                self.questionnaire_table,
                (
                    self.school_questionnaire_button,
                    self.parent_questionnaire_button,
                    self.items_button,
                ),
            ),
        ]
        for section in self.sections:
            layout.addWidget(section)
        self.history_section = self._section("History of support", self.history_table, ())
        layout.addWidget(self.history_section)
        layout.addWidget(self.output_label)
        layout.addStretch(1)
        self.show_scrolled(content)

    def _set_tab_order(self) -> None:
        order: list[QWidget] = [
            self.case_combo,
            self.close_button,
            self.print_button,
            self.actions_table,
            self.add_action_button,
            self.edit_action_button,
            self.remove_action_button,
            self.end_reviewed_button,
            self.signpost_table,
            self.add_signpost_button,
            self.edit_signpost_button,
            self.remove_signpost_button,
            self.follow_up_table,
            self.record_follow_up_button,
            self.move_follow_up_button,
            self.questionnaire_table,
            self.school_questionnaire_button,
            self.parent_questionnaire_button,
            self.items_button,
            self.history_table,
        ]
        self.chain_tab_order(order)

    # -- the pupil and the case ---------------------------------------------------------------

    def _target_label(self, target_id: str | None) -> str:
        return self._target_labels.get(target_id or "", "—")

    def _show_case(self, case: Case | None) -> None:
        self.case = case
        has_case = case is not None
        for widget in (self.summary_label, *self.sections, self.history_section):
            widget.setVisible(has_case)
        self.empty_label.setVisible(not has_case and self.pupil is not None)
        self.missing_label.setVisible(False)
        if case is None:
            for table in (
                self.actions_table,
                self.signpost_table,
                self.follow_up_table,
                self.questionnaire_table,
                self.history_table,
            ):
                table.set_rows([])
            self._update_buttons()
            return
        progress = case_progress(self.store, case.id)
        self._target_labels = {
            p.item_id: f"{p.label}: {p.text}" for p in progress if p.item == "target"
        }
        found = closure.get_closure(self.store, case.id)
        assert self.pupil is not None
        history = closure.case_history(self.store, self.pupil.id)
        entry = next((h for h in history if h.case.id == case.id), None)
        re_referral = ""
        if entry is not None and entry.is_re_referral:
            re_referral = (
                f" Re-referral: the previous case closed {entry.days_since_previous} "
                "days before this referral."
            )
        if found is None:
            self.summary_label.setText(
                f"{case.label}. Not closed yet: close it at the closing meeting, once every "
                "target and case aim has its final score. The sustainability plan can be "
                "drafted before then." + re_referral
            )
            missing = closure.missing_final_scores(self.store, case.id)
            if missing:
                self.missing_label.setText(
                    "Final scores still needed before closing:\n"
                    + "\n".join(f"• {m}" for m in missing)
                )
                self.missing_label.setVisible(True)
        else:
            self.summary_label.setText(
                f"{case.label}. Closed at the closing meeting on "
                f"{format_date(found.closed_on)}. Reason: {found.reason_label}. "
                f"Attended: {found.attendees}." + re_referral
            )
        self.actions_table.set_rows(sustainability.actions_for_case(self.store, case.id))
        self.signpost_table.set_rows(sustainability.signposts_for_case(self.store, case.id))
        self.follow_up_table.set_rows(sustainability.follow_ups_for_case(self.store, case.id))
        self.questionnaire_table.set_rows(
            questionnaires.questionnaires_for_case(self.store, case.id)
        )
        self.history_table.set_rows([HistoryRow(h) for h in history])
        self._update_buttons()

    # -- enabling -----------------------------------------------------------------------------

    def _can_edit(self) -> bool:
        if self.pupil is None or not self.store.staff_id:
            return False
        try:
            return staff.get_staff(self.store, self.store.staff_id).can_edit
        except SemhError:
            return False

    def _update_buttons(self) -> None:
        editable = self._can_edit() and self.case is not None
        case = self.case
        is_open = case is not None and case.is_open
        closed = case is not None and not case.is_open
        self.close_button.setVisible(is_open)
        self.close_button.setEnabled(editable and is_open)
        self.print_button.setEnabled(case is not None)
        self.add_action_button.setEnabled(editable)
        action = self.actions_table.selected()
        for button in (self.edit_action_button, self.remove_action_button):
            button.setEnabled(editable and action is not None)
        today = self.store.clock.today()
        self.end_reviewed_button.setEnabled(
            editable
            and action is not None
            and action.ended_by(today)
            and action.end_reviewed_on is None
        )
        self.add_signpost_button.setEnabled(editable)
        signpost = self.signpost_table.selected()
        for button in (self.edit_signpost_button, self.remove_signpost_button):
            button.setEnabled(editable and signpost is not None)
        follow_up = self.follow_up_table.selected()
        pending = follow_up is not None and not follow_up.held
        self.record_follow_up_button.setEnabled(editable and closed and pending)
        self.move_follow_up_button.setEnabled(editable and closed and pending)
        have = {q.respondent for q in self.questionnaire_table.records.rows()}
        self.school_questionnaire_button.setEnabled(editable and "school" not in have)
        self.parent_questionnaire_button.setEnabled(editable and "parent" not in have)
        self.items_button.setEnabled(self._can_edit())

    # -- writes -------------------------------------------------------------------------------
    # Each write runs through `self.write` (ui.common.operations.run_write): an error is shown,
    # and the change broadcast re-reads this tab and every other screen the change concerns.

    def close_case(self) -> None:
        case = self.case
        if case is None or not case.is_open:
            return
        missing = closure.missing_final_scores(self.store, case.id)
        details = ClosingDialog.ask(
            self,
            missing,
            today=self.store.clock.today(),
            earliest=closure.earliest_closing_date(self.store, case),
        )
        if details is None:
            return
        if (
            self.write(
                lambda: closure.close_case(self.store, case.id, details), "The case was not closed"
            )
            is not None
        ):
            self.output_label.setText(
                "Case closed. Two follow-up meetings are booked; add the "
                "sustainability plan and the questionnaires below."
            )

    def _targets(self) -> list[tuple[str, str]]:
        return list(self._target_labels.items())

    def add_action(self) -> None:
        case = self.case
        if case is None:
            return
        details = ActionDialog.ask(self, self._targets(), earliest=case.start_date)
        if details is not None:
            self.write(
                lambda: sustainability.add_action(self.store, case.id, details),
                "The action was not added",
            )

    def edit_action(self) -> None:
        action = self.actions_table.selected()
        if action is None or self.case is None or not self._can_edit():
            return
        details = ActionDialog.ask(
            self, self._targets(), action.details, earliest=self.case.start_date
        )
        if details is not None:
            self.write(
                lambda: sustainability.update_action(self.store, action.id, details),
                "The action was not changed",
            )

    def remove_action(self) -> None:
        action = self.actions_table.selected()
        if action is None:
            return
        answer = QMessageBox.question(
            self,
            "Remove action",
            f"Remove “{action.details.action}” from the plan?\n\n"
            "Follow-ups that checked it keep what they recorded.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.write(lambda: sustainability.remove_action(self.store, action.id), "Closure")

    def mark_end_reviewed(self) -> None:
        action = self.actions_table.selected()
        if action is not None:
            self.write(lambda: sustainability.mark_end_reviewed(self.store, action.id), "Closure")

    def add_signpost(self) -> None:
        case = self.case
        if case is None:
            return
        details = SignpostDialog.ask(self)
        if details is not None:
            self.write(
                lambda: sustainability.add_signpost(self.store, case.id, details),
                "The service was not added",
            )

    def edit_signpost(self) -> None:
        signpost = self.signpost_table.selected()
        if signpost is None or not self._can_edit():
            return
        details = SignpostDialog.ask(self, signpost.details)
        if details is not None:
            self.write(
                lambda: sustainability.update_signpost(self.store, signpost.id, details),
                "The service was not changed",
            )

    def remove_signpost(self) -> None:
        signpost = self.signpost_table.selected()
        if signpost is None:
            return
        answer = QMessageBox.question(
            self, "Remove service", f"Remove “{signpost.details.service}” from the plan?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.write(lambda: sustainability.remove_signpost(self.store, signpost.id), "Closure")

    def _closed_on(self) -> dt.date | None:
        found = closure.get_closure(self.store, self.case.id) if self.case else None
        return found.closed_on if found else None

    def record_follow_up(self) -> None:
        follow_up = self.follow_up_table.selected()
        closed_on = self._closed_on()
        if follow_up is None or follow_up.held or closed_on is None or not self._can_edit():
            return
        actions = sustainability.actions_for_case(self.store, follow_up.case_id)
        result = FollowUpDialog.ask(
            self, follow_up, actions, closed_on=closed_on, today=self.store.clock.today()
        )
        if (
            result is not None
            and self.write(
                lambda: sustainability.complete_follow_up(self.store, follow_up.id, result),
                "The follow-up was not saved",
            )
            is not None
        ):
            self.output_label.setText(f"Recorded {follow_up.label.lower()}.")

    def move_follow_up(self) -> None:
        follow_up = self.follow_up_table.selected()
        closed_on = self._closed_on()
        if follow_up is None or follow_up.held or closed_on is None:
            return
        dates = MoveFollowUpDialog.ask(self, follow_up, closed_on=closed_on)
        if dates is not None:
            self.write(
                lambda: sustainability.move_follow_up(
                    self.store, follow_up.id, scheduled_on=dates[0], observation_on=dates[1]
                ),
                "The follow-up was not moved",
            )

    def enter_questionnaire(self, respondent: str) -> None:
        case = self.case
        if case is None:
            return
        entry = QuestionnaireDialog.ask(
            self,
            questionnaires.blank_entry(self.store, respondent),
            today=self.store.clock.today(),
            earliest=case.details.referral_date,
        )
        if entry is not None:
            self.write(
                lambda: questionnaires.record_questionnaire(self.store, case.id, entry),
                "The questionnaire was not saved",
            )

    def edit_items(self, respondent: str) -> None:
        # The item lists are the school's settings: refuse before anyone types a list.
        if not self.guard(lambda: self._may("settings")):
            return
        items = QuestionnaireItemsDialog.ask(
            self, respondent, questionnaires.item_list(self.store, respondent)
        )
        if (
            items is not None
            and self.write(
                lambda: questionnaires.set_item_list(self.store, respondent, items),
                "The items were not saved",
            )
            is not None
        ):
            self.output_label.setText(
                "Saved the questionnaire items; new questionnaires will ask them."
            )

    # -- documents ----------------------------------------------------------------------------

    def _suggested_name(self, kind: str) -> str:
        initials = self.pupil.initials if self.pupil else ""
        stamp = self.store.clock.today().strftime("%Y-%m-%d")
        name = "Sustainability plan" if kind == "staff" else "Keeping things going"
        return f"{name} {initials} {stamp}.pdf"

    def _document(self, pupil_id: str, kind: str, case_id: str) -> Document:
        return plan_documents.sustainability_plan_document(self.store, pupil_id, kind, case_id)

    def _record_print(self, pupil_id: str, kind: str, case_id: str) -> None:
        plan_documents.record_print(self.store, pupil_id, kind, case_id)

    def _write_pdf(self, pupil_id: str, kind: str, path: Path, case_id: str) -> Path:
        return plan_documents.write_sustainability_plan(
            self.store, pupil_id, path, kind=kind, case_id=case_id
        )
