"""The PSP tab: the plan, its targets and aims, reviews, progress and printed documents.

Covers a PSP or a family plan; reviews use independent scaling; progress is a table and a chart.

The tab reads through `semh_desktop` functions, asks dialogs for input and calls the domain's
write functions; every print and PDF export is audited by `semh_desktop.handouts`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.documents import psp as handouts
from semh_desktop.documents.blocks import Document
from semh_desktop.plans import case_aims, cases, progress, scaling, targets
from semh_desktop.plans.cases import Case
from semh_desktop.plans.scaling import Person
from semh_desktop.register import staff
from ui.common import theme
from ui.common.case_tab import CaseTab
from ui.common.widgets import plain_label
from ui.features.plans.dialogs import (
    AimDialog,
    NetworkPersonDialog,
    PlanDialog,
    ReviewDatesDialog,
    TargetDialog,
)
from ui.features.plans.models import (
    COL_BASELINE,
    COL_CHANGE,
    COL_FINAL,
    COL_ITEM,
    COL_KIND,
    COL_MID,
    COL_SPREAD,
    COL_TEXT,
    PlanProgressModel,
    PlanProgressProxy,
    PlanRow,
)
from ui.features.plans.progress_chart import ProgressChart
from ui.features.plans.review_dialog import ReviewDialog, ReviewItem

T = TypeVar("T")
DOCUMENT_NAMES = {"staff": "PSP document", "child": "child's handout"}


def _button(text: str, slot: Callable[[], object], *, name: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name or text.replace("&", "").rstrip("…"))
    button.clicked.connect(lambda _checked=False: slot())
    return button


class PspTab(CaseTab):
    title = "PSP"
    DOCUMENT_NAMES = DOCUMENT_NAMES

    shows = frozenset({"case", "target", "case_aim", "case_review", "score", "case_network"})

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("pspTab")
        self.setAccessibleName("Pastoral support plan")
        self.case: Case | None = None
        self._build_plan_header()
        self._build_plan_buttons()
        self._build_item_buttons()
        self._build_progress_table()
        self._build_progress_notes()
        self._lay_out()
        self._set_tab_order()
        self._show_case(None)

    # -- building, one section at a time ------------------------------------------------------

    def _build_plan_header(self) -> None:
        self.case_combo = QComboBox()
        self.case_combo.setObjectName("caseCombo")
        self.case_combo.setAccessibleName("Episode of support")
        self.case_combo.currentIndexChanged.connect(self._case_chosen)
        self.summary_label = plain_label()
        self.summary_label.setObjectName("planSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.set_role(self.summary_label, "heading")
        self.dates_label = plain_label()
        self.dates_label.setObjectName("planDates")
        self.dates_label.setWordWrap(True)
        self.consent_label = plain_label()
        self.consent_label.setObjectName("consentWarning")
        self.consent_label.setWordWrap(True)
        theme.set_role(self.consent_label, "warning")
        self.empty_label = QLabel(
            "No plan yet for this pupil. Create a plan to record the referral, parent consent, "
            "the worker and the targets."
        )
        self.empty_label.setObjectName("pspEmpty")
        self.empty_label.setWordWrap(True)
        theme.set_role(self.empty_label, "muted")

    def _build_plan_buttons(self) -> None:
        self.create_button = _button("&Create plan…", self.create_plan)
        self.edit_plan_button = _button("Edit &plan…", self.edit_plan)
        self.dates_button = _button("&Move review dates…", self.move_review_dates)
        self.person_button = _button(
            "Add &person…", self.add_network_person, name="Add a person to the network"
        )
        self.print_button = QPushButton("P&rint or save")
        self.print_button.setAccessibleName("Print or save as PDF")
        self.print_menu = QMenu(self.print_button)
        self.print_actions: dict[str, QAction] = {}
        for key, label, slot in (
            ("print_staff", "Print the PSP document…", lambda: self.print_document("staff")),
            ("print_child", "Print the child's handout…", lambda: self.print_document("child")),
            ("save_staff", "Save the PSP document as PDF…", lambda: self.save_pdf("staff")),
            ("save_child", "Save the child's handout as PDF…", lambda: self.save_pdf("child")),
        ):
            action = self.print_menu.addAction(label)
            action.triggered.connect(lambda _checked=False, run=slot: run())
            self.print_actions[key] = action
        self.print_button.setMenu(self.print_menu)

    def _build_item_buttons(self) -> None:
        self.add_target_button = _button("Add &target…", self.add_target)
        self.add_aim_button = _button("Add &aim…", self.add_aim, name="Add a case aim")
        self.edit_item_button = _button(
            "&Edit selected…", self.edit_selected, name="Edit the selected target or aim"
        )
        self.review_button = _button("Re&view…", self.review, name="Review: score targets and aims")
        theme.set_role(self.review_button, "primary")

    def _build_progress_table(self) -> None:
        self.model = PlanProgressModel(self)
        self.proxy = PlanProgressProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("planTable")
        self.table.setAccessibleName("Targets and case aims: progress")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_TEXT, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_SPREAD, QHeaderView.ResizeMode.Interactive)
        self._size_columns()
        # The text column names the item and its kind, so that it gets the width.
        self.table.setColumnHidden(COL_ITEM, True)
        self.table.setColumnHidden(COL_KIND, True)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.selectionModel().currentRowChanged.connect(
            lambda _current, _previous: self._update_buttons()
        )

    def _build_progress_notes(self) -> None:
        self.chart_heading = QLabel("Progress (agreed scores)")
        theme.set_role(self.chart_heading, "heading")
        self.chart = ProgressChart()
        self.network_label = plain_label()
        self.network_label.setObjectName("networkLabel")
        self.network_label.setWordWrap(True)
        self.reviews_label = plain_label()
        self.reviews_label.setObjectName("reviewsLabel")
        self.reviews_label.setWordWrap(True)
        self.output_label = plain_label()
        self.output_label.setObjectName("outputLabel")
        self.output_label.setWordWrap(True)
        theme.set_role(self.output_label, "muted")

    def _lay_out(self) -> None:
        plan_buttons = QHBoxLayout()
        for widget in (
            self.create_button,
            self.edit_plan_button,
            self.dates_button,
            self.person_button,
            self.print_button,
        ):
            plan_buttons.addWidget(widget)
        plan_buttons.addStretch(1)
        item_buttons = QHBoxLayout()
        for widget in (self.add_target_button, self.add_aim_button, self.edit_item_button):
            item_buttons.addWidget(widget)
        item_buttons.addStretch(1)
        item_buttons.addWidget(self.review_button)

        content = QWidget()
        content.setObjectName("pspContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(8)
        layout.addWidget(self.case_combo)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.dates_label)
        layout.addWidget(self.consent_label)
        layout.addWidget(self.empty_label)
        layout.addLayout(plan_buttons)
        layout.addWidget(self.table)
        layout.addLayout(item_buttons)
        layout.addWidget(self.chart_heading)
        layout.addWidget(self.chart)
        layout.addWidget(self.network_label)
        layout.addWidget(self.reviews_label)
        layout.addWidget(self.output_label)
        layout.addStretch(1)
        self.show_scrolled(content)

    def _set_tab_order(self) -> None:
        tab_order: list[QWidget] = [
            self.case_combo,
            self.create_button,
            self.edit_plan_button,
            self.dates_button,
            self.person_button,
            self.print_button,
            self.table,
            self.add_target_button,
            self.add_aim_button,
            self.edit_item_button,
            self.review_button,
            self.chart,
        ]
        self.chain_tab_order(tab_order)

    # -- the pupil and the case ---------------------------------------------------------------

    def _show_case(self, case: Case | None) -> None:
        self.case = case
        has_case = case is not None
        for widget in (
            self.summary_label,
            self.dates_label,
            self.table,
            self.chart,
            self.chart_heading,
            self.network_label,
            self.reviews_label,
        ):
            widget.setVisible(has_case)
        self.empty_label.setVisible(not has_case and self.pupil is not None)
        self.consent_label.setVisible(False)
        if case is None:
            self.model.set_rows([])
            self.chart.set_items([])
            self._update_buttons()
            return
        plan = case.plan
        worker = ""
        if case.details.worker_id:
            try:
                worker = staff.get_staff(self.store, case.details.worker_id).name
            except SemhError:
                worker = ""
        self.summary_label.setText(
            f"{plan.label} · {case.length_weeks} weeks · scored {plan.scale.label}"
            f"{' · worker ' + worker if worker else ''}"
            f"{'' if case.is_open else ' · closed'}"
        )
        moved = " (moved)"
        self.dates_label.setText(
            f"Referred {format_date(case.details.referral_date)} by {case.details.referred_by}. "
            f"Started {format_date(case.start_date)}; mid-point review "
            f"{format_date(case.mid_review)}{moved if case.mid_review_moved_to else ''}; "
            f"final review {format_date(case.final_review)}"
            f"{moved if case.final_review_moved_to else ''}."
        )
        if not case.consent_recorded:
            self.consent_label.setText(
                "Parent consent is not recorded yet: use Edit plan to add the date and who gave it."
            )
            self.consent_label.setVisible(True)
        items = progress.case_progress(self.store, case.id)
        rows = []
        for item in items:
            found = scaling.latest_spread(
                self.store,
                case.id,
                target_id=item.item_id if item.item == "target" else None,
                aim_id=item.item_id if item.item == "aim" else None,
            )
            rows.append(
                PlanRow(item, found[1] if found else None, found[0].point.label if found else "")
            )
        self.model.set_rows(rows)
        self._fit_table()
        self.chart.set_items(items)
        members = cases.network(self.store, case.id)
        self.network_label.setText(
            "Network around the child: "
            + ("; ".join(m.label for m in members) if members else "no one added yet.")
        )
        held = scaling.reviews_for_case(self.store, case.id)
        self.reviews_label.setText(
            "Scoring points held: "
            + (", ".join(r.label for r in held) if held else "none yet (start with the baseline).")
        )
        self._update_buttons()

    def _fit_table(self) -> None:
        """Show every row (the tab scrolls as one page), wrapping long target text."""
        self.table.resizeRowsToContents()
        rows = self.proxy.rowCount()
        height = sum(self.table.rowHeight(r) for r in range(rows)) or (
            self.table.verticalHeader().defaultSectionSize() * 2
        )
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + height + 2 * self.table.frameWidth() + 2)

    def _size_columns(self) -> None:
        """Widths from the fonts in use now (meeting mode's larger text too), nothing cut off."""
        metrics = self.table.fontMetrics()
        bold = QFont(self.table.horizontalHeader().font())
        bold.setBold(True)
        titles = QFontMetrics(bold)
        for column in (COL_BASELINE, COL_MID, COL_FINAL, COL_CHANGE):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            wanted = max(metrics.horizontalAdvance("Final"), titles.horizontalAdvance(title))
            self.table.setColumnWidth(column, wanted + 24)
        title = str(self.model.headerData(COL_SPREAD, Qt.Orientation.Horizontal))
        wanted = max(
            metrics.horizontalAdvance("6, 4, 2: disagree"), titles.horizontalAdvance(title)
        )
        self.table.setColumnWidth(COL_SPREAD, wanted + 24)
        if self.case is not None:
            self._fit_table()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            # After the table itself has its new font (it is told after this tab).
            QTimer.singleShot(0, self, self._size_columns)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.case is not None:
            self._fit_table()

    # -- enabling -----------------------------------------------------------------------------

    def _can_edit(self) -> bool:
        if self.pupil is None or not self.store.staff_id:
            return False
        try:
            return staff.get_staff(self.store, self.store.staff_id).can_edit
        except SemhError:
            return False

    def selected_row(self) -> PlanRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    def _update_buttons(self) -> None:
        editable = self._can_edit()
        case = self.case
        open_case = case is not None and case.is_open and editable
        has_open = any(c.is_open for c in self._cases)
        self.create_button.setVisible(not has_open)
        self.create_button.setEnabled(editable and not has_open)
        for button in (
            self.edit_plan_button,
            self.dates_button,
            self.person_button,
            self.add_aim_button,
            self.review_button,
        ):
            button.setEnabled(open_case)
        full = (
            case is not None
            and len(targets.targets_for_case(self.store, case.id)) >= case.plan.max_targets
        )
        self.add_target_button.setEnabled(open_case and not full)
        if case is not None:
            word = case.plan.target_word
            self.add_target_button.setText(f"Add &{word}…")
            self.add_target_button.setAccessibleName(f"Add a {word}")
            self.add_target_button.setToolTip(
                f"A {case.plan.short_label} has at most {case.plan.max_targets} "
                f"{case.plan.target_word_plural}."
                if full
                else ""
            )
        self.edit_item_button.setEnabled(open_case and self.selected_row() is not None)
        self.print_button.setEnabled(case is not None)

    # -- writes -------------------------------------------------------------------------------
    # Each write runs through `self.write` (ui.common.operations.run_write): an error is shown,
    # and the change broadcast re-reads this tab and every other screen the change concerns.

    def create_plan(self) -> None:
        pupil = self.pupil
        if pupil is None:
            return
        workers = [p for p in staff.list_staff(self.store) if p.can_edit]
        details = PlanDialog.ask(
            self, lambda d: cases.validate(self.store, d), workers, today=self.store.clock.today()
        )
        if details is not None:
            # The new case is shown: CaseTab.refresh chooses a case it has not seen before.
            self.write(
                lambda: cases.open_case(self.store, pupil.id, details), "The plan was not created"
            )

    def edit_plan(self) -> None:
        case = self.case
        if case is None:
            return
        workers = [p for p in staff.list_staff(self.store) if p.can_edit]
        details = PlanDialog.ask(
            self,
            lambda d: cases.validate(self.store, d),
            workers,
            case.details,
            today=self.store.clock.today(),
        )
        if details is not None:
            self.write(
                lambda: cases.update_case(self.store, case.id, details), "The plan was not changed"
            )

    def move_review_dates(self) -> None:
        case = self.case
        if case is None:
            return
        chosen = ReviewDatesDialog.ask(
            self, case.computed_review_dates, (case.mid_review, case.final_review), case.start_date
        )
        if chosen is not None:
            self.write(
                lambda: cases.move_review_dates(self.store, case.id, mid=chosen[0], final=chosen[1])
            )

    def add_network_person(self) -> None:
        case = self.case
        if case is None:
            return
        person = NetworkPersonDialog.ask(self)
        if person is not None:
            self.write(lambda: cases.add_network_member(self.store, case.id, *person))

    def add_target(self) -> None:
        case = self.case
        if case is None:
            return
        answer = TargetDialog.ask(self, case.plan)
        if answer is not None:
            self.write(
                lambda: targets.add_target(self.store, case.id, answer[0], answer[1]),
                f"The {case.plan.target_word} was not added",
            )

    def add_aim(self) -> None:
        case = self.case
        if case is None:
            return
        aim = AimDialog.ask(self)
        if aim is not None:
            self.write(lambda: case_aims.add_aim(self.store, case.id, aim), "The aim was not added")

    def edit_selected(self) -> None:
        case, row = self.case, self.selected_row()
        if case is None or row is None or not case.is_open or not self._can_edit():
            return
        if row.is_aim:
            aim = AimDialog.ask(self, row.progress.text)
            if aim is not None:
                self.write(
                    lambda: case_aims.edit_aim(self.store, row.item_id, aim),
                    "The aim was not changed",
                )
            return
        target = targets.get_target(self.store, row.item_id)
        answer = TargetDialog.ask(
            self,
            case.plan,
            target.wording,
            target.kind,
            kind_fixed=targets.has_scores(self.store, target.id),
        )
        if answer is not None:
            self.write(
                lambda: targets.edit_target(self.store, target.id, answer[1], kind=answer[0]),
                f"The {case.plan.target_word} was not changed",
            )

    def review_items(self) -> list[ReviewItem]:
        case = self.case
        if case is None:
            return []
        wordings = {t.id: t.wording for t in targets.targets_for_case(self.store, case.id)}
        items = []
        for p in progress.case_progress(self.store, case.id):
            history = scaling.score_history(
                self.store,
                target_id=p.item_id if p.item == "target" else None,
                aim_id=p.item_id if p.item == "aim" else None,
            )
            counted = [h for h in history if h.counts]
            items.append(
                ReviewItem(
                    label=p.label,
                    text=p.text,
                    kind_label=p.kind_label,
                    scale=p.scale,
                    has_baseline=p.baseline is not None,
                    target_id=p.item_id if p.item == "target" else None,
                    aim_id=p.item_id if p.item == "aim" else None,
                    wording=wordings.get(p.item_id),
                    last_agreed=counted[-1].score if counted else None,
                    last_point=counted[-1].point.label if counted else "",
                )
            )
        return items

    def _usual_people(self, case: Case) -> list[Person]:
        held = scaling.reviews_for_case(self.store, case.id)
        if held and held[-1].people:
            return [p.person for p in held[-1].people]
        pupil_name = self.pupil.forename if self.pupil else ""
        worker = ""
        if case.details.worker_id:
            worker = staff.get_staff(self.store, case.details.worker_id).name
        return [Person("pupil", pupil_name), Person("parent_carer"), Person("worker", worker)]

    def review(self) -> None:
        case = self.case
        if case is None:
            return
        items = self.review_items()
        if not items:
            QMessageBox.information(
                self,
                "Review",
                f"Add a {case.plan.target_word} or a case aim first; the review scores them.",
            )
            return
        entry = ReviewDialog.ask(
            self,
            items,
            point=scaling.next_point(self.store, case),
            today=self.store.clock.today(),
            earliest=case.details.referral_date,
            people=self._usual_people(case),
        )
        if entry is not None:
            self.write(
                lambda: scaling.record_review(self.store, case.id, entry),
                "The review was not saved",
            )

    # -- documents ----------------------------------------------------------------------------

    def _suggested_name(self, kind: str) -> str:
        initials = self.pupil.initials if self.pupil else ""
        stamp = self.store.clock.today().strftime("%Y-%m-%d")
        return f"{'PSP' if kind == 'staff' else 'My plan'} {initials} {stamp}.pdf"

    def _document(self, pupil_id: str, kind: str, case_id: str) -> Document:
        return handouts.psp_document(self.store, pupil_id, kind, case_id)

    def _record_print(self, pupil_id: str, kind: str, case_id: str) -> None:
        handouts.record_print(self.store, pupil_id, kind, case_id)

    def _write_pdf(self, pupil_id: str, kind: str, path: Path, case_id: str) -> Path:
        return handouts.write_handout(self.store, pupil_id, kind, path, case_id=case_id)
