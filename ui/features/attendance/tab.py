"""The Attendance tab: suspensions, permanent exclusions and attendance figures for a pupil.

At the top, a chart of attendance and suspensions over time with each intervention's start and
end, and the windows around the pupil's latest case (the year before referral, during, the 6
weeks after closure, the rest of that year). Below, one page per record type: a table and a
short form whose messages appear next to the field they are about. Records entered in error
are removed with a reason (kept, not counted). All reads and writes go through `semh_desktop`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.attendance import attendance, suspensions
from semh_desktop.attendance.attendance import AttendanceDetails
from semh_desktop.attendance.support_windows import pupil_timeline, windows_for_case
from semh_desktop.attendance.suspensions import (
    OUTCOMES,
    REASONS,
    ExclusionDetails,
    SuspensionDetails,
)
from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.plans import cases
from semh_desktop.register import staff
from semh_desktop.register.pupils import Pupil
from ui.common import theme
from ui.common.form_dialog import FormSection, read_date_text
from ui.common.pupil_tab import PupilTab
from ui.common.table_model import RecordsModel
from ui.common.table_view import records_view
from ui.common.widgets import plain_label
from ui.features.attendance.chart import AttendanceChart
from ui.features.attendance.models import (
    AttendanceModel,
    ExclusionsModel,
    SuspensionsModel,
    WindowsModel,
)

T = TypeVar("T")


def _table(model: RecordsModel[Any], name: str) -> QTableView:
    view = records_view(
        name,
        model,
        object_name=name.replace(" ", "_").lower(),
        order=Qt.SortOrder.DescendingOrder,
        alternating=False,
    )
    view.setMinimumHeight(140)
    return view


def _date_or_error(
    text: str, field: str, errors: dict[str, str], *, required: bool = True
) -> dt.date | None:
    return read_date_text(
        text, field, errors, missing="Enter the date as dd/mm/yyyy." if required else ""
    )


class AttendanceTab(PupilTab):
    title = "Attendance"
    # The windows around support and the chart's interventions come from the pupil's cases.
    shows = frozenset({"suspension", "permanent_exclusion", "attendance", "case"})

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("attendanceTab")
        self.chart = AttendanceChart()
        self.windows_heading = plain_label()
        theme.set_role(self.windows_heading, "heading")
        self.windows_model = WindowsModel(self)
        self.windows_view = _table(self.windows_model, "Windows around support")
        self.windows_view.sortByColumn(WindowsModel.COL_DATES, Qt.SortOrder.AscendingOrder)
        self.windows_view.setMinimumHeight(120)
        self.windows_view.setMaximumHeight(170)  # at most four windows: no empty space

        self.suspensions_model = SuspensionsModel(self)
        self.exclusions_model = ExclusionsModel(self)
        self.attendance_model = AttendanceModel(self)
        self.pages = QTabWidget()
        self.pages.setObjectName("attendancePages")
        self.pages.setAccessibleName("Suspensions, exclusions and attendance")
        self.pages.addTab(self._suspensions_page(), "&Suspensions")
        self.pages.addTab(self._exclusions_page(), "Permanent e&xclusions")
        self.pages.addTab(self._attendance_page(), "Attendance &figures")

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.chart)
        layout.addWidget(self.windows_heading)
        layout.addWidget(self.windows_view)
        layout.addWidget(self.pages, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.clear()

    # -- pages --------------------------------------------------------------------------

    def _suspensions_page(self) -> QWidget:
        self.suspensions_view = _table(self.suspensions_model, "Suspensions")
        form = FormSection("Add a suspension")
        self.suspension_form = form
        self.suspension_start = form.line("start_date", "&First day", "dd/mm/yyyy")
        self.suspension_length = form.line(
            "length", "&Length (school days)", "e.g. 1, 2.5, or 0.5 for a lunchtime"
        )
        self.suspension_reason = form.combo(
            "reason", "&Reason", [("Choose…", "")] + [(v, k) for k, v in REASONS.items()]
        )
        self.suspension_note = form.line("note", "&Note", "optional")
        self.add_suspension_button = QPushButton("Add suspension")
        self.add_suspension_button.clicked.connect(self.add_suspension)
        form.add_row(self.add_suspension_button)
        self.remove_suspension_button = QPushButton("Remove selected (entered in error)…")
        self.remove_suspension_button.clicked.connect(
            lambda: self._withdraw(
                self.suspensions_view,
                self.suspensions_model,
                suspensions.withdraw_suspension,
                "suspension",
            )
        )
        return self._page(self.suspensions_view, self.remove_suspension_button, form)

    def _exclusions_page(self) -> QWidget:
        self.exclusions_view = _table(self.exclusions_model, "Permanent exclusions")
        form = FormSection("Add a permanent exclusion")
        self.exclusion_form = form
        self.exclusion_date = form.line("exclusion_date", "&Date", "dd/mm/yyyy")
        self.exclusion_reason = form.combo(
            "reason", "&Reason", [("Choose…", "")] + [(v, k) for k, v in REASONS.items()]
        )
        self.exclusion_outcome = form.combo(
            "outcome", "&Outcome", [(v, k) for k, v in OUTCOMES.items()]
        )
        self.exclusion_decided = form.line(
            "decided_on", "Decided &on", "dd/mm/yyyy (when upheld or rescinded)"
        )
        self.exclusion_note = form.line("note", "&Note", "optional")
        self.add_exclusion_button = QPushButton("Add exclusion")
        self.add_exclusion_button.clicked.connect(self.add_exclusion)
        self.decide_button = QPushButton("Record this outcome for the selected exclusion")
        self.decide_button.clicked.connect(self.decide_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_exclusion_button)
        buttons.addWidget(self.decide_button)
        buttons.addStretch(1)
        form.add_row(buttons)
        self.remove_exclusion_button = QPushButton("Remove selected (entered in error)…")
        self.remove_exclusion_button.clicked.connect(
            lambda: self._withdraw(
                self.exclusions_view,
                self.exclusions_model,
                suspensions.withdraw_exclusion,
                "permanent exclusion",
            )
        )
        return self._page(self.exclusions_view, self.remove_exclusion_button, form)

    def _attendance_page(self) -> QWidget:
        self.attendance_view = _table(self.attendance_model, "Attendance figures")
        form = FormSection("Add an attendance figure")
        self.attendance_form = form
        self.attendance_date = form.line("as_of", "&Date of the figure", "dd/mm/yyyy")
        self.attendance_percent = form.line(
            "percent", "% &attended", "e.g. 93.5 (or give the sessions below)"
        )
        self.sessions_possible = form.line("sessions_possible", "Sessions &possible", "optional")
        self.sessions_attended = form.line("sessions_attended", "Sessions a&ttended", "optional")
        self.attendance_note = form.line("note", "&Note", "optional")
        self.add_attendance_button = QPushButton("Add figure")
        self.add_attendance_button.clicked.connect(self.add_attendance)
        form.add_row(self.add_attendance_button)
        self.remove_attendance_button = QPushButton("Remove selected (entered in error)…")
        self.remove_attendance_button.clicked.connect(
            lambda: self._withdraw(
                self.attendance_view,
                self.attendance_model,
                attendance.withdraw_attendance,
                "attendance figure",
            )
        )
        return self._page(self.attendance_view, self.remove_attendance_button, form)

    @staticmethod
    def _page(view: QTableView, remove: QPushButton, form: QGroupBox) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(remove)
        layout.addLayout(row)
        layout.addWidget(form)
        return page

    # -- showing ------------------------------------------------------------------------

    def show_pupil(self, pupil: Pupil) -> None:
        super().show_pupil(pupil)
        self.refresh()

    def clear(self) -> None:
        super().clear()
        for model in (
            self.suspensions_model,
            self.exclusions_model,
            self.attendance_model,
            self.windows_model,
        ):
            model.set_rows([])
        self.chart.set_timeline(None)
        self.windows_heading.setText("Windows around support")
        for form in (self.suspension_form, self.exclusion_form, self.attendance_form):
            form.show_errors({})
        self._enable()

    def refresh(self) -> None:
        pupil = self.pupil
        if pupil is None:
            return
        self.suspensions_model.set_rows(suspensions.suspensions_for_pupil(self.store, pupil.id))
        self.exclusions_model.set_rows(suspensions.exclusions_for_pupil(self.store, pupil.id))
        self.attendance_model.set_rows(attendance.attendance_for_pupil(self.store, pupil.id))
        self.chart.set_timeline(pupil_timeline(self.store, pupil.id))
        case = cases.current_case(self.store, pupil.id)
        if case is None:
            self.windows_heading.setText("Windows around support: no case yet")
            self.windows_model.set_rows([])
        else:
            self.windows_heading.setText(f"Windows around support: {case.label}")
            self.windows_model.set_rows(list(windows_for_case(self.store, case.id).values()))
        self._enable()

    def _can_edit(self) -> bool:
        if self.pupil is None or not self.store.staff_id:
            return False
        try:
            return staff.get_staff(self.store, self.store.staff_id).can_edit
        except SemhError:
            return False

    def _enable(self) -> None:
        editable = self._can_edit()
        for widget in (
            self.suspension_form,
            self.exclusion_form,
            self.attendance_form,
            self.remove_suspension_button,
            self.remove_exclusion_button,
            self.remove_attendance_button,
        ):
            widget.setEnabled(editable)

    # -- writing ------------------------------------------------------------------------

    def _save(self, work: Callable[[], T]) -> T | None:
        # The change broadcast re-reads this tab (and any other screen the write concerns).
        return self.write(work, "Not saved")

    def add_suspension(self) -> None:
        pupil = self.pupil
        if pupil is None:
            return
        errors: dict[str, str] = {}
        start = _date_or_error(self.suspension_start.text(), "start_date", errors)
        half_days = None
        try:
            half_days = suspensions.parse_length(self.suspension_length.text())
        except ValidationError as exc:
            errors["length"] = exc.message
        details = SuspensionDetails(
            start, half_days, str(self.suspension_reason.currentData()), self.suspension_note.text()
        )
        if not errors:
            errors = suspensions.validate_suspension(self.store, pupil.id, details)
        elif details.reason not in REASONS:
            errors["reason"] = "Choose the reason for the suspension."
        self.suspension_form.show_errors(errors)
        if errors:
            return
        if self._save(lambda: suspensions.record_suspension(self.store, pupil.id, details)):
            for edit in (self.suspension_start, self.suspension_length, self.suspension_note):
                edit.clear()
            self.suspension_reason.setCurrentIndex(0)

    def _exclusion_details(self) -> tuple[ExclusionDetails, dict[str, str]]:
        errors: dict[str, str] = {}
        day = _date_or_error(self.exclusion_date.text(), "exclusion_date", errors)
        decided = _date_or_error(
            self.exclusion_decided.text(), "decided_on", errors, required=False
        )
        details = ExclusionDetails(
            day,
            str(self.exclusion_reason.currentData()),
            self.exclusion_note.text(),
            str(self.exclusion_outcome.currentData()),
            decided,
        )
        return details, errors

    def add_exclusion(self) -> None:
        pupil = self.pupil
        if pupil is None:
            return
        details, errors = self._exclusion_details()
        errors = {**suspensions.validate_exclusion(self.store, details), **errors}
        self.exclusion_form.show_errors(errors)
        if errors:
            return
        if self._save(lambda: suspensions.record_exclusion(self.store, pupil.id, details)):
            for edit in (self.exclusion_date, self.exclusion_decided, self.exclusion_note):
                edit.clear()

    def decide_selected(self) -> None:
        selected = self._selected(self.exclusions_view, self.exclusions_model)
        if selected is None:
            QMessageBox.information(
                self, "Permanent exclusions", "Select the exclusion in the list first."
            )
            return
        errors: dict[str, str] = {}
        decided = _date_or_error(
            self.exclusion_decided.text(), "decided_on", errors, required=False
        )
        outcome = str(self.exclusion_outcome.currentData())
        errors = {
            **suspensions.validate_decision(self.store, outcome, decided, selected.exclusion_date),
            **errors,
        }
        self.exclusion_form.show_errors(errors)
        if errors:
            return
        self._save(
            lambda: suspensions.decide_exclusion(
                self.store, selected.id, outcome, decided, self.exclusion_note.text()
            )
        )

    def add_attendance(self) -> None:
        pupil = self.pupil
        if pupil is None:
            return
        errors: dict[str, str] = {}
        details = AttendanceDetails(note=self.attendance_note.text())
        details.as_of = _date_or_error(self.attendance_date.text(), "as_of", errors)
        if self.attendance_percent.text().strip():
            try:
                details.percent = attendance.parse_percent(self.attendance_percent.text())
            except ValidationError as exc:
                errors["percent"] = exc.message
        for name, edit in (
            ("sessions_possible", self.sessions_possible),
            ("sessions_attended", self.sessions_attended),
        ):
            if edit.text().strip():
                try:
                    setattr(details, name, attendance.parse_sessions(edit.text(), field=name))
                except ValidationError as exc:
                    errors[name] = exc.message
        if not errors:
            errors = attendance.validate_attendance(self.store, pupil.id, details)
        self.attendance_form.show_errors(errors)
        if errors:
            return
        if self._save(lambda: attendance.record_attendance(self.store, pupil.id, details)):
            for edit in (
                self.attendance_date,
                self.attendance_percent,
                self.sessions_possible,
                self.sessions_attended,
                self.attendance_note,
            ):
                edit.clear()

    @staticmethod
    def _selected(view: QTableView, model: RecordsModel[T]) -> T | None:
        index = view.currentIndex()
        if not index.isValid():
            return None
        proxy = view.model()
        source = proxy.mapToSource(index)  # type: ignore[attr-defined]
        return model.row_at(source.row())

    def _withdraw(
        self,
        view: QTableView,
        model: RecordsModel[Any],
        withdraw: Callable[[Store, str, str], None],
        noun: str,
    ) -> None:
        record = self._selected(view, model)
        if record is None:
            QMessageBox.information(self, "Remove", f"Select the {noun} in the list first.")
            return
        reason, ok = QInputDialog.getText(
            self,
            f"Remove a {noun}",
            f"Why is this {noun} being removed? (It is kept in the history, not counted.)",
        )
        if not ok:
            return
        self._save(lambda: withdraw(self.store, record.id, reason))
