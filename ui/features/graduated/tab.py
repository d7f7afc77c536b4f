"""The Graduated response tab: current phase and readiness, phase checklists, APDR cycles.

The checklist of each phase is a collapsible section (the current phase open). Each item has a
three-way status control (Done / Not yet / Not applicable: one click records it, dated today)
and an "Evidence…" button for the date, who and the evidence note. Sections are built once per
template version and only their rows for open sections; opening another pupil only refreshes
the values, which keeps the tab quick with long checklists.

Importing this module also adds the "Phase" and "Outstanding" columns to the caseload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.documents import evidence_pack
from semh_desktop.graduated import apdr
from semh_desktop.graduated import response as gr
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.apdr import ApdrDetails
from semh_desktop.graduated.response import (
    STATUSES,
    AnswerRequest,
    GraduatedResponse,
    ItemAnswer,
    PhaseChangeRequest,
    PhaseProgress,
)
from semh_desktop.graduated.templates import ChecklistItem, Phase
from semh_desktop.register import staff
from semh_desktop.register.pupils import CaseloadRow, Pupil
from ui.common import theme
from ui.common.caseload_column import CaseloadColumn
from ui.common.pupil_tab import PupilTab
from ui.common.table_view import records_view
from ui.common.widgets import plain_label, plain_tip
from ui.features.graduated.dialogs import (
    ApdrCycleDialog,
    ChangePhaseDialog,
    EvidenceDialog,
    ItemHistoryDialog,
)
from ui.features.graduated.models import ApdrCycleModel, PhaseHistoryModel, RecordsSortProxy

T = TypeVar("T")

STATUS_SHORT = {"done": "Done", "not_yet": "Not yet", "not_applicable": "N/A"}


def _fit_table(table: QTableView, rows: int, *, most: int = 8) -> None:
    """Size a table to its rows (up to `most`) so the tab scrolls as one page."""
    header = table.horizontalHeader().height() or 24
    row_height = table.verticalHeader().defaultSectionSize()
    table.setFixedHeight(header + row_height * max(1, min(rows, most)) + 4)


def _table(name: str) -> QTableView:
    # Dates and short words fit their column; the last (free text) column takes the rest.
    return records_view(name, sort_column=None, word_wrap=False)


class ChecklistItemRow(QFrame):
    """One checklist item: its wording, a three-way status control and its evidence."""

    status_clicked = Signal(str, str)  # item id, status
    evidence_requested = Signal(str)  # item id
    history_requested = Signal(str)  # item id

    def __init__(self, item: ChecklistItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setObjectName(f"item_{item.id}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        text_box = QVBoxLayout()
        text_box.setSpacing(1)
        wording = item.text + ("  (evidence required)" if item.evidence_required else "")
        self.text_label = plain_label(wording)  # the school's own wording
        self.text_label.setWordWrap(True)
        self.text_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        if item.guidance:
            self.text_label.setToolTip(plain_tip(item.guidance))
        self.detail_label = plain_label()  # evidence as typed, a staff name
        self.detail_label.setWordWrap(True)
        self.detail_label.setProperty("role", "hint")
        self._detail_kind = "hint"
        text_box.addWidget(self.text_label)
        text_box.addWidget(self.detail_label)
        layout.addLayout(text_box, 1)

        self.status_group = QButtonGroup(self)
        self.status_buttons: dict[str, QToolButton] = {}
        positions = {"done": "first", "not_yet": "middle", "not_applicable": "last"}
        for number, (key, label) in enumerate(STATUSES.items()):
            button = QToolButton()
            button.setText(STATUS_SHORT[key])
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setAccessibleName(f"{label}: {item.text}")
            button.setToolTip(label)
            # Plain properties: the widget is polished when first shown (no repolish needed).
            button.setProperty("role", "segment")
            button.setProperty("position", positions[key])
            self.status_group.addButton(button, number)
            self.status_buttons[key] = button
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        keys = list(STATUSES)
        self.status_group.idClicked.connect(
            lambda number: self.status_clicked.emit(self.item.id, keys[number])
        )
        self.evidence_button = QPushButton("Evidence…")
        self.evidence_button.setAccessibleName(f"Evidence for: {item.text}")
        self.evidence_button.clicked.connect(lambda: self.evidence_requested.emit(self.item.id))
        self.history_button = QPushButton("History")
        self.history_button.setAccessibleName(f"History of: {item.text}")
        self.history_button.clicked.connect(lambda: self.history_requested.emit(self.item.id))
        layout.addWidget(self.evidence_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.history_button, 0, Qt.AlignmentFlag.AlignTop)

    def set_answer(
        self,
        answer: ItemAnswer | None,
        *,
        then_worded: str | None = None,
        version: int = 0,
        editable: bool = True,
    ) -> None:
        self.status_group.setExclusive(False)
        for key, button in self.status_buttons.items():
            button.setChecked(answer is not None and answer.status == key)
            button.setEnabled(editable)
        self.status_group.setExclusive(True)
        self.evidence_button.setEnabled(editable)
        self.history_button.setEnabled(answer is not None)
        if answer is None:
            self.detail_label.setText("Nothing recorded yet")
            self._set_detail_kind("hint")
            return
        parts = [answer.status_label]
        if answer.answered_on:
            parts.append(format_date(answer.answered_on))
        if answer.staff_name:
            parts.append(answer.staff_name)
        missing = gr.missing_evidence(self.item, answer)
        if missing:
            parts.append("evidence missing")
        elif answer.evidence:
            flat = " ".join(answer.evidence.split())
            parts.append(flat if len(flat) <= 90 else flat[:89] + "…")
        text = " · ".join(parts)
        if then_worded:
            text += f"\nAnswered against template version {version}, worded: “{then_worded}”"
        self.detail_label.setText(text)
        self._set_detail_kind("warning" if missing else "hint")

    def _set_detail_kind(self, kind: str) -> None:
        # Re-polishing is the slow part of a refresh: only when the colour really changes.
        if kind != self._detail_kind:
            self._detail_kind = kind
            theme.set_role(self.detail_label, kind)

    @property
    def status(self) -> str | None:
        return next((k for k, b in self.status_buttons.items() if b.isChecked()), None)


class PhaseSection(QWidget):
    """A phase's checklist under a header that opens and closes it."""

    def __init__(
        self, phase: Phase, tab: GraduatedResponseTab, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.phase = phase
        self._tab = tab
        self.rows: dict[str, ChecklistItemRow] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.header = QToolButton()
        self.header.setObjectName(f"phase_{phase.id}")
        self.header.setCheckable(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setArrowType(Qt.ArrowType.RightArrow)
        self.header.setAutoRaise(True)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.header.toggled.connect(self.set_expanded)
        layout.addWidget(self.header)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(18, 0, 0, 6)
        self.body_layout.setSpacing(0)
        if phase.description:
            description = plain_label(phase.description)
            description.setWordWrap(True)
            theme.set_role(description, "muted")
            self.body_layout.addWidget(description)
        self.body.setVisible(False)
        layout.addWidget(self.body)
        self._summary = ""

    @property
    def expanded(self) -> bool:
        return self.header.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        if self.header.isChecked() != expanded:
            self.header.setChecked(expanded)  # comes back here through `toggled`
            return
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if expanded and not self.rows:
            self._build_rows()
            self._tab.fill_section(self)
        self.body.setVisible(expanded)
        self._update_accessible_name()

    def _build_rows(self) -> None:
        for item in self.phase.items:
            row = ChecklistItemRow(item, self.body)
            row.status_clicked.connect(self._tab.set_status)
            row.evidence_requested.connect(self._tab.edit_evidence)
            row.history_requested.connect(self._tab.show_item_history)
            self.body_layout.addWidget(row)
            self.rows[item.id] = row

    def set_summary(self, progress: PhaseProgress, current: bool) -> None:
        mark = "  ◀ current phase" if current else ""
        self._summary = f"{self.phase.name} — {progress.summary}{mark}"
        self.header.setText(self._summary)
        # Only the weight is set: the size stays inherited (a copy of font() would freeze
        # whatever size was showing, meeting mode's larger one included).
        font = QFont()
        font.setBold(current)
        self.header.setFont(font)
        self._update_accessible_name()

    def _update_accessible_name(self) -> None:
        state = "open" if self.expanded else "closed"
        self.header.setAccessibleName(f"Phase checklist {self._summary}, {state}")


class GraduatedResponseTab(PupilTab):
    title = "Graduated response"
    shows = frozenset({"graduated_response", "apdr_cycle", "gr_template"})

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.record: GraduatedResponse | None = None
        self.sections: list[PhaseSection] = []
        self._built_for: str | None = None  # template version the sections show
        self._can_edit = True
        self._expanded_for: str | None = None  # pupil whose current phase was opened

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        page = QWidget()
        scroll.setWidget(page)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)

        # Current phase and readiness.
        header = QHBoxLayout()
        phase_box = QVBoxLayout()
        self.phase_label = plain_label()
        self.phase_label.setObjectName("currentPhase")
        theme.set_role(self.phase_label, "heading")
        self.since_label = plain_label()
        theme.set_role(self.since_label, "muted")
        self.since_label.setWordWrap(True)
        self.readiness_label = plain_label()
        self.readiness_label.setObjectName("readiness")
        self.readiness_label.setWordWrap(True)
        self.outstanding_label = plain_label()
        self.outstanding_label.setWordWrap(True)
        theme.set_role(self.outstanding_label, "hint")
        for widget in (
            self.phase_label,
            self.since_label,
            self.readiness_label,
            self.outstanding_label,
        ):
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            phase_box.addWidget(widget)
        header.addLayout(phase_box, 1)
        buttons = QVBoxLayout()
        self.change_phase_button = QPushButton("Change phase…")
        self.change_phase_button.setAccessibleName("Change phase")
        self.change_phase_button.clicked.connect(self.change_phase)
        self.evidence_pack_button = QPushButton("Evidence pack…")
        self.evidence_pack_button.setAccessibleName("Save the evidence pack as a PDF")
        self.evidence_pack_button.clicked.connect(self.save_evidence_pack)
        buttons.addWidget(self.change_phase_button)
        buttons.addWidget(self.evidence_pack_button)
        buttons.addStretch(1)
        header.addLayout(buttons)
        layout.addLayout(header)

        # Phase history.
        self.history_group = QGroupBox("Phase history")
        history_layout = QVBoxLayout(self.history_group)
        self.history_model = PhaseHistoryModel(self)
        self.history_proxy = RecordsSortProxy(self)
        self.history_proxy.setSourceModel(self.history_model)
        self.history_table = _table("Phase history")
        self.history_table.setModel(self.history_proxy)
        self.history_table.sortByColumn(PhaseHistoryModel.COL_DATE, Qt.SortOrder.DescendingOrder)
        self.history_table.horizontalHeader().setSectionResizeMode(
            PhaseHistoryModel.COL_REASON, QHeaderView.ResizeMode.Stretch
        )
        self.history_empty = QLabel("No phase changes recorded yet.")
        theme.set_role(self.history_empty, "muted")
        history_layout.addWidget(self.history_table)
        history_layout.addWidget(self.history_empty)
        layout.addWidget(self.history_group)

        # Checklists.
        self.checklist_group = QGroupBox("Checklists")
        self.checklist_layout = QVBoxLayout(self.checklist_group)
        self.checklist_layout.setSpacing(2)
        self.template_label = plain_label()
        theme.set_role(self.template_label, "hint")
        self.retired_label = plain_label()
        self.retired_label.setWordWrap(True)
        theme.set_role(self.retired_label, "hint")
        self.checklist_layout.addWidget(self.template_label)
        self.checklist_layout.addWidget(self.retired_label)
        layout.addWidget(self.checklist_group)

        # APDR cycles.
        self.apdr_group = QGroupBox("Assess, plan, do, review cycles")
        apdr_layout = QVBoxLayout(self.apdr_group)
        self.reviewed_label = plain_label()
        self.reviewed_label.setObjectName("reviewedCycles")
        self.reviewed_label.setWordWrap(True)
        theme.set_role(self.reviewed_label, "heading")
        apdr_layout.addWidget(self.reviewed_label)
        self.apdr_model = ApdrCycleModel(self)
        self.apdr_proxy = RecordsSortProxy(self)
        self.apdr_proxy.setSourceModel(self.apdr_model)
        self.apdr_table = _table("APDR cycles")
        self.apdr_table.setModel(self.apdr_proxy)
        self.apdr_table.sortByColumn(ApdrCycleModel.COL_NUMBER, Qt.SortOrder.AscendingOrder)
        self.apdr_table.horizontalHeader().setSectionResizeMode(
            ApdrCycleModel.COL_OUTCOME, QHeaderView.ResizeMode.Stretch
        )
        self.apdr_table.doubleClicked.connect(self._edit_cycle_at)
        self.apdr_table.selectionModel().selectionChanged.connect(self._update_apdr_buttons)
        apdr_layout.addWidget(self.apdr_table)
        apdr_buttons = QHBoxLayout()
        self.add_cycle_button = QPushButton("Add cycle…")
        self.add_cycle_button.setAccessibleName("Add an APDR cycle")
        self.add_cycle_button.clicked.connect(self.add_cycle)
        self.edit_cycle_button = QPushButton("Edit cycle…")
        self.edit_cycle_button.setAccessibleName("Edit the selected APDR cycle")
        self.edit_cycle_button.clicked.connect(self.edit_selected_cycle)
        apdr_buttons.addWidget(self.add_cycle_button)
        apdr_buttons.addWidget(self.edit_cycle_button)
        apdr_buttons.addStretch(1)
        apdr_layout.addLayout(apdr_buttons)
        layout.addWidget(self.apdr_group)
        layout.addStretch(1)

        for first, second in (
            (self.change_phase_button, self.evidence_pack_button),
            (self.evidence_pack_button, self.history_table),
        ):
            QWidget.setTabOrder(first, second)

    # -- filling ---------------------------------------------------------------------------------

    def show_pupil(self, pupil: Pupil) -> None:
        super().show_pupil(pupil)
        self.refresh()

    def clear(self) -> None:
        super().clear()
        self.record = None
        self._expanded_for = None
        self.history_model.set_rows([])
        self.apdr_model.set_rows([])
        for section in self.sections:
            for row in section.rows.values():
                row.set_answer(None, editable=False)

    def refresh(self) -> None:
        """Read the pupil's record again and show it (after opening or any change)."""
        if self.pupil is None:
            return
        record = gr.load(self.store, self.pupil.id)
        self.record = record
        self._can_edit = self._acting_can_edit()
        if self._built_for != record.template.id:
            self._build_sections(record.template.template.phases)
            self._built_for = record.template.id
            self._expanded_for = None
        current = record.current
        readiness = record.readiness
        self._fill_header(record, readiness)

        self.history_model.set_rows(record.history)
        self.history_table.setVisible(bool(record.history))
        self.history_empty.setVisible(not record.history)
        _fit_table(self.history_table, len(record.history), most=6)

        self.template_label.setText(f"Checklist: {record.template.label}")
        retired = record.retired_answers()
        self.retired_label.setVisible(bool(retired))
        if retired:
            self.retired_label.setText(
                f"{len(retired)} answer{'s' if len(retired) != 1 else ''} belong to items that "
                "are no longer in the school's template; they are kept and listed in the "
                "evidence pack."
            )
        if self._expanded_for != self.pupil.id:
            # A newly opened pupil: open the current phase's checklist, close the others.
            self._expanded_for = self.pupil.id
            open_id = (
                current.to_phase_id
                if current
                else (self.sections[0].phase.id if self.sections else None)
            )
            for section in self.sections:
                section.set_expanded(section.phase.id == open_id)
        for section in self.sections:
            self.fill_section(section)

        self.apdr_model.set_rows(record.cycles)
        _fit_table(self.apdr_table, len(record.cycles), most=10)
        self.reviewed_label.setText(apdr.reviewed_summary(record.reviewed_cycles))
        theme.set_role(self.reviewed_label, "heading")
        self.change_phase_button.setEnabled(self._can_edit)
        self.add_cycle_button.setEnabled(self._can_edit)
        self._update_apdr_buttons()

    def _acting_can_edit(self) -> bool:
        if not self.store.staff_id:
            return True
        try:
            return staff.get_staff(self.store, self.store.staff_id).can_edit
        except SemhError:
            return False

    def _fill_header(self, record: GraduatedResponse, readiness: PhaseProgress | None) -> None:
        current = record.current
        if current is None:
            self.phase_label.setText("No phase recorded yet")
            self.since_label.setText("Use “Change phase…” to record the pupil's phase.")
            self.readiness_label.setText("")
            self.outstanding_label.setText("")
            return
        self.phase_label.setText(f"Current phase: {current.to_phase_name}")
        self.since_label.setText(
            f"Since {format_date(current.changed_on)} · decided by {current.decided_by_label}"
        )
        if readiness is None:
            self.readiness_label.setText("This phase is not in the school's current template.")
            self.outstanding_label.setText("")
            return
        self.readiness_label.setText(f"Readiness: {readiness.summary}")
        kind = "warning" if readiness.outstanding else ""
        theme.set_role(self.readiness_label, kind)
        lines = []
        if readiness.not_done:
            lines.append(
                f"Not done yet: {len(readiness.not_done)} item"
                f"{'s' if len(readiness.not_done) != 1 else ''}"
            )
        if readiness.missing_evidence:
            lines.append(
                "Missing evidence: "
                + "; ".join(
                    i.text if len(i.text) < 60 else i.text[:59] + "…"
                    for i in readiness.missing_evidence
                )
            )
        self.outstanding_label.setText("\n".join(lines))
        self.outstanding_label.setVisible(bool(lines))

    def _build_sections(self, phases: Sequence[Phase]) -> None:
        for section in self.sections:
            self.checklist_layout.removeWidget(section)
            section.deleteLater()
        self.sections = []
        for index, phase in enumerate(phases):
            section = PhaseSection(phase, self)
            self.checklist_layout.insertWidget(1 + index, section)  # after the template label
            self.sections.append(section)

    def fill_section(self, section: PhaseSection) -> None:
        record = self.record
        if record is None:
            return
        current = record.current
        section.set_summary(
            gr.phase_progress(section.phase, record.answers),
            current is not None and current.to_phase_id == section.phase.id,
        )
        for item_id, row in section.rows.items():
            answer = record.answers.get(item_id)
            then = record.answered_wording(answer) if answer else None
            row.set_answer(
                answer,
                then_worded=then,
                version=record.version_number(answer) if answer else 0,
                editable=self._can_edit,
            )

    def section(self, phase_id: str) -> PhaseSection:
        return next(s for s in self.sections if s.phase.id == phase_id)

    def item_row(self, item_id: str) -> ChecklistItemRow:
        """The row of an item, opening its phase's section if it is closed."""
        for section in self.sections:
            if any(item.id == item_id for item in section.phase.items):
                section.set_expanded(True)
                return section.rows[item_id]
        raise KeyError(item_id)

    # -- writes ----------------------------------------------------------------------------------

    def _write(self, work: Callable[[], T]) -> T | None:
        """Run a write: the change broadcast re-reads the tab; a refused one re-reads it too."""
        result = self.write(work, "Not saved")
        if result is None:
            self.refresh()  # put the clicked status back as it is stored
        return result

    def _default_staff(self) -> str:
        if self.store.staff_id:
            try:
                return staff.get_staff(self.store, self.store.staff_id).name
            except SemhError:
                return ""
        return ""

    def set_status(self, item_id: str, status: str) -> None:
        """One click on Done / Not yet / N/A: recorded today by the acting staff member.

        The evidence note is carried over; "Evidence…" changes the date, who or the note.
        """
        if self.pupil is None or self.record is None:
            return
        previous = self.record.answers.get(item_id)
        today = self.store.clock.today()
        if previous is not None and previous.status == status:
            return
        request = AnswerRequest(
            status=status,
            answered_on=today,
            staff_name=self._default_staff() or (previous.staff_name if previous else ""),
            evidence=previous.evidence if previous else "",
        )
        pupil_id = self.pupil.id
        self._write(lambda: gr.record_answer(self.store, pupil_id, item_id, request))

    def edit_evidence(self, item_id: str) -> None:
        if self.pupil is None or self.record is None:
            return
        item = self.record.template.template.item(item_id)
        if item is None:
            return
        names = [profile.name for profile in staff.list_staff(self.store)]
        request = EvidenceDialog.ask(
            self,
            item,
            self.record.answers.get(item_id),
            self.store.clock.today(),
            self._default_staff(),
            names,
            lambda r: gr.check_answer(self.store, r),
        )
        if request is None:
            return
        pupil_id = self.pupil.id
        self._write(lambda: gr.record_answer(self.store, pupil_id, item_id, request))

    def show_item_history(self, item_id: str) -> None:
        if self.pupil is None or self.record is None:
            return
        item = self.record.template.template.item(item_id)
        if item is None:
            return
        history = gr.item_history(self.store, self.pupil.id, item_id)
        numbers = {v.id: v.version for v in gr_templates.versions(self.store)}
        ItemHistoryDialog.show_history(self, item, history, numbers)

    def change_phase(self) -> None:
        if self.pupil is None or self.record is None:
            return
        pupil_id = self.pupil.id
        current = self.record.current

        def check(request: PhaseChangeRequest) -> dict[str, str]:
            return gr.check_phase_change(self.store, pupil_id, request)

        request = ChangePhaseDialog.ask(
            self,
            self.record.template.template.phases,
            current.to_phase_id if current else None,
            self.store.clock.today(),
            check,
        )
        if request is None:
            return
        expanded_for, self._expanded_for = self._expanded_for, None  # open the new phase
        if self.write(lambda: gr.change_phase(self.store, pupil_id, request), "Not saved") is None:
            self._expanded_for = expanded_for
            self.refresh()

    def save_evidence_pack(self) -> None:
        if self.pupil is None:
            return
        suggested = f"evidence-pack-{self.pupil.initials}-{self.store.clock.today():%Y-%m-%d}.pdf"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the evidence pack", suggested, "PDF files (*.pdf)"
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = evidence_pack.write_evidence_pack(self.store, self.pupil.id, target)
        except SemhError as exc:
            QApplication.restoreOverrideCursor()
            QMessageBox.warning(self, "Evidence pack not saved", exc.message)
            return
        QApplication.restoreOverrideCursor()
        QMessageBox.information(
            self,
            "Evidence pack saved",
            f"The evidence pack was saved to {written}. It holds confidential information "
            "about the pupil: keep it on an encrypted drive and delete it when no longer needed.",
        )

    # -- APDR ------------------------------------------------------------------------------------

    def _selected_cycle(self) -> apdr.ApdrCycle | None:
        indexes = self.apdr_table.selectionModel().selectedRows()
        if not indexes:
            return None
        row = self.apdr_proxy.source_row(indexes[0])
        return self.apdr_model.row_at(row) if row is not None else None

    def _update_apdr_buttons(self) -> None:
        self.edit_cycle_button.setEnabled(self._can_edit and self._selected_cycle() is not None)

    def _check_cycle(self, details: ApdrDetails) -> dict[str, str]:
        return apdr.check_details(details, self.store.clock.today())

    def add_cycle(self) -> None:
        if self.pupil is None:
            return
        details = ApdrCycleDialog.ask(self, None, self.store.clock.today(), self._check_cycle)
        if details is None:
            return
        pupil_id = self.pupil.id
        self._write(lambda: apdr.add_cycle(self.store, pupil_id, details))

    def _edit_cycle_at(self, index: QModelIndex) -> None:
        row = self.apdr_proxy.source_row(index)
        if row is not None and self._can_edit:
            self.edit_cycle(self.apdr_model.row_at(row))

    def edit_selected_cycle(self) -> None:
        cycle = self._selected_cycle()
        if cycle is not None:
            self.edit_cycle(cycle)

    def edit_cycle(self, cycle: apdr.ApdrCycle) -> None:
        details = ApdrCycleDialog.ask(
            self, cycle.details, self.store.clock.today(), self._check_cycle
        )
        if details is None:
            return
        self._write(lambda: apdr.update_cycle(self.store, cycle.id, details))


# --- the caseload columns ---------------------------------------------------------------------

_readiness_cache: tuple[Sequence[CaseloadRow] | None, dict[str, tuple[str, int]]] = (None, {})


def _caseload_readiness(store: Store, rows: Sequence[CaseloadRow]) -> dict[str, tuple[str, int]]:
    """One bulk read serves both columns of the same refresh."""
    global _readiness_cache
    cached_rows, cached = _readiness_cache
    if cached_rows is rows:
        return cached
    found = gr.caseload_readiness(store, [row.pupil_id for row in rows])
    _readiness_cache = (rows, found)
    return found


def _phase_of(store: Store, rows: Sequence[CaseloadRow]) -> Mapping[str, object]:
    return {pid: value[0] for pid, value in _caseload_readiness(store, rows).items()}


def _outstanding_of(store: Store, rows: Sequence[CaseloadRow]) -> Mapping[str, object]:
    return {pid: value[1] for pid, value in _caseload_readiness(store, rows).items()}


def _phase_sort(value: object) -> tuple[int, str]:
    # Unknown phases sort after the four usual ones; pupils without a phase first.
    order = {"universal": 1, "targeted": 2, "targeted plus": 3, "specialist": 4}
    text = str(value or "").casefold()
    rank = next(
        (n for key, n in sorted(order.items(), key=lambda kv: -len(kv[0])) if text.startswith(key)),
        5 if text else 0,
    )
    return rank, text


# The caseload columns this feature adds (listed in ui/shell/features.py), and the record
# kinds whose changes make the window re-read them.
CASELOAD_KINDS = frozenset({"graduated_response", "gr_template"})
CASELOAD_COLUMNS = (
    CaseloadColumn(
        "Phase",
        load=_phase_of,
        display=lambda value: str(value or ""),
        sort_key=_phase_sort,
        tooltip="Graduated-response phase",
        kinds=CASELOAD_KINDS,
    ),
    CaseloadColumn(
        "Outstanding",
        load=_outstanding_of,
        display=lambda value: "" if value is None else str(value),
        sort_key=lambda value: -1 if value is None else int(str(value)),
        tooltip="Checklist items of the current phase not done yet or missing evidence",
        kinds=CASELOAD_KINDS,
    ),
)
