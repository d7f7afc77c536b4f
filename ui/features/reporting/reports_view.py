"""Reports > Cohort impact report…: the figures of a period, two charts, PDF and CSV export.

Figures only, never names; groups smaller than 5 show as "fewer than 5" (the rule lives in
`semh_desktop.impact_report`). Working out the report and writing a file run off the GUI
thread with a progress bar and a Cancel button. Every export is audited by the domain.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.attendance.support_windows import WINDOW_LABELS, WINDOWS
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.plans.plan_types import PLAN_TYPES, TARGET_KINDS
from semh_desktop.register import staff
from semh_desktop.register.pupils import year_group_label
from semh_desktop.reporting import impact_report
from semh_desktop.reporting.impact_report import (
    CohortReport,
    Figure,
    ReportFilters,
    figure,
)
from ui.common import theme
from ui.common.background import BackgroundTask, CancelCheck, Outcome, Progress, StoreJob
from ui.common.table_model import sorting_proxy
from ui.common.widgets import plain_label
from ui.features.reporting.models import FiguresModel

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow


class BarChart(QWidget):
    """Percentages as grey bars, each labelled with its figure as shown (or "fewer than 5")."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setAccessibleName(title)
        self.setMinimumHeight(180)
        self.setMinimumWidth(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._bars: list[tuple[str, Figure]] = []

    def set_bars(self, bars: Sequence[tuple[str, Figure]]) -> None:
        self._bars = list(bars)
        text = "; ".join(f"{label}: {item.display}" for label, item in self._bars)
        self.setAccessibleDescription(text or "No figures yet.")
        self.setToolTip(text.replace("; ", "\n"))
        self.update()

    def bars(self) -> list[tuple[str, Figure]]:
        return list(self._bars)

    def sizeHint(self) -> QSize:
        return QSize(360, 200)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(
            QRectF(0, 0, self.width(), line + 4), Qt.AlignmentFlag.AlignCenter, self.title
        )
        plot = QRectF(8, line * 2 + 6, self.width() - 16, self.height() - line * 4 - 12)
        painter.setPen(QPen(QColor("#c3c9cf"), 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        if not self._bars:
            painter.end()
            return
        slot = plot.width() / len(self._bars)
        for position, (label, item) in enumerate(self._bars):
            try:
                value = float(item.value)
            except ValueError:
                value = 0.0
            height = plot.height() * min(value, 100.0) / 100.0
            bar = QRectF(
                plot.left() + slot * position + slot * 0.2,
                plot.bottom() - height,
                slot * 0.6,
                height,
            )
            painter.setPen(QPen(QColor(theme.TEXT), 1))
            painter.setBrush(QBrush(QColor("#7d8793")))
            painter.drawRect(bar)
            painter.drawText(
                QRectF(bar.left() - slot * 0.2, bar.top() - line - 2, slot, line),
                Qt.AlignmentFlag.AlignCenter,
                item.display,
            )
            painter.drawText(
                QRectF(plot.left() + slot * position, plot.bottom() + 2, slot, line * 2),
                Qt.AlignmentFlag.AlignHCenter
                | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap,
                label,
            )
        painter.end()


SHORT_WINDOWS = {
    "before": "Year before",
    "during": "During",
    "after": "6 weeks after",
    "rest_of_year": "Rest of year",
}


class ReportsView(QWidget):
    """Choose the period and filters, work out the figures, look at them, export them."""

    report_ready = Signal(object)  # the CohortReport
    exported = Signal(object)  # the Path written

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportsView")
        self.store = store
        self.report: CohortReport | None = None
        self.worker: BackgroundTask[object] | None = None  # the running job, if any

        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName("Academic year")
        self.year_group_combo = QComboBox()
        self.year_group_combo.setAccessibleName("Year group")
        self.year_group_combo.addItem("All year groups", None)
        for year in range(-2, 15):
            self.year_group_combo.addItem(year_group_label(year), year)
        self.worker_combo = QComboBox()
        self.worker_combo.setAccessibleName("Worker")
        self.plan_combo = QComboBox()
        self.plan_combo.setAccessibleName("Plan type")
        self.plan_combo.addItem("All plan types", None)
        for key, plan in PLAN_TYPES.items():
            self.plan_combo.addItem(plan.label, key)
        self.show_button = QPushButton("&Show figures")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.start_report)
        self.pdf_button = QPushButton("Export &PDF…")
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self.csv_button = QPushButton("Export &CSV…")
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_work)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress")
        self.status = plain_label()
        self.status.setWordWrap(True)
        self.status.setObjectName("reportStatus")
        self.summary = QLabel("Choose a year and press Show figures.")
        self.summary.setWordWrap(True)
        theme.set_role(self.summary, "heading")
        note = QLabel(
            "Figures only, never names. Groups smaller than 5 are shown as “fewer than 5”."
        )
        theme.set_role(note, "muted")
        note.setWordWrap(True)

        self.suspension_chart = BarChart("Cases with a suspension in each window (%)")
        self.targets_chart = BarChart("Targets improved, by kind (%)")
        self.model = FiguresModel(self)
        self.table = QTableView()
        self.table.setObjectName("figuresTable")
        self.table.setAccessibleName("Report figures")
        self.table.setModel(sorting_proxy(self.model, self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(FiguresModel.COL_SECTION, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

        form = QFormLayout()
        for label, widget in (
            ("&Year", self.year_combo),
            ("Year &group", self.year_group_combo),
            ("&Worker", self.worker_combo),
            ("Plan &type", self.plan_combo),
        ):
            text = plain_label(label)
            text.setBuddy(widget)
            form.addRow(text, widget)
        buttons = QHBoxLayout()
        for button in (self.show_button, self.pdf_button, self.csv_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        work = QHBoxLayout()
        work.addWidget(self.progress, 1)
        work.addWidget(self.cancel_button)
        charts = QHBoxLayout()
        charts.addWidget(self.suspension_chart)
        charts.addWidget(self.targets_chart)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addLayout(work)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(note)
        layout.addLayout(charts)
        layout.addWidget(self.table, 1)
        order: list[QWidget] = [
            self.year_combo,
            self.year_group_combo,
            self.worker_combo,
            self.plan_combo,
            self.show_button,
            self.pdf_button,
            self.csv_button,
            self.cancel_button,
            self.suspension_chart,
            self.targets_chart,
            self.table,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.reload_choices()
        self._set_busy(False)

    # -- choices ------------------------------------------------------------------------

    def reload_choices(self) -> None:
        self.year_combo.clear()
        for label in impact_report.report_years(self.store):
            self.year_combo.addItem(label, label)
        self.worker_combo.clear()
        self.worker_combo.addItem("All workers", None)
        for profile in staff.list_staff(self.store):
            self.worker_combo.addItem(profile.name, profile.id)

    def filters(self) -> ReportFilters:
        worker_id = self.worker_combo.currentData()
        return ReportFilters.for_year(
            str(self.year_combo.currentData()),
            year_group=self.year_group_combo.currentData(),
            worker_id=worker_id,
            worker_name=self.worker_combo.currentText() if worker_id else "",
            plan_type=self.plan_combo.currentData(),
        )

    # -- work off the GUI thread --------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        for widget in (
            self.year_combo,
            self.year_group_combo,
            self.worker_combo,
            self.plan_combo,
            self.show_button,
        ):
            widget.setEnabled(not busy)
        for button in (self.pdf_button, self.csv_button):
            button.setEnabled(not busy and self.report is not None)

    def _run(self, label: str, job: StoreJob[object], done: Callable[[object], None]) -> None:
        """Run `job` on its own connection; progress in the bar, the outcome in the status."""
        task = BackgroundTask.on_store(self.store, job, self)
        self.worker = task
        self.status.setText(label)
        self.progress.setRange(0, 0)
        self._set_busy(True)

        def progressed(step: int, steps: int, what: str) -> None:
            self.progress.setRange(0, max(steps, 1))
            self.progress.setValue(step)
            self.status.setText(f"{label} {what}…")

        def settled(outcome: Outcome[object]) -> None:
            if self.worker is not task:  # stopped (closing, locking): nothing more to show
                return
            self.worker = None
            self._set_busy(False)
            if outcome.ok:
                self.status.setText("")
                done(outcome.value)
                return
            self.status.setText(outcome.message)
            if not outcome.cancelled:
                theme.set_role(self.status, "error")

        task.progressed.connect(progressed)
        task.settled.connect(settled)
        task.start()

    def cancel_work(self) -> None:
        if self.worker is not None:
            self.status.setText("Cancelling…")
            self.worker.cancel()

    def stop(self) -> None:
        """Cancel and wait for any running work (closing, locking)."""
        worker = self.worker
        if worker is not None:
            worker.cancel()
            worker.wait()
            self.worker = None
            worker.deleteLater()

    def start_report(self) -> None:
        try:
            filters = self.filters()
        except SemhError as exc:
            QMessageBox.warning(self, "Cohort impact report", exc.message)
            return
        theme.set_role(self.status, "")
        self._run(
            "Working out the figures:",
            lambda store, progress, cancelled: impact_report.build_report(
                store, filters, progress=progress, cancelled=cancelled
            ),
            self.show_report,
        )

    def show_report(self, outcome: object) -> None:
        assert isinstance(outcome, CohortReport)
        self.report = outcome
        self.model.set_rows(outcome.figures)
        counts = outcome.counts
        self.summary.setText(
            f"{outcome.filters.label}: {impact_report.count_text(counts.cohort)} cases active, "
            f"{impact_report.count_text(counts.referred)} referred, "
            f"{impact_report.count_text(counts.closed)} closed."
        )
        self.suspension_chart.set_bars(
            [
                (
                    SHORT_WINDOWS[key],
                    figure(outcome, "Suspensions", "With a suspension (%)", WINDOW_LABELS[key]),
                )
                for key in WINDOWS
            ]
        )
        kinds = [TARGET_KINDS[k] for k in outcome.targets]
        kinds += ["All kinds"] if len(kinds) > 1 else []
        self.targets_chart.set_bars(
            [(k, figure(outcome, "Targets", "Improved (%)", k)) for k in kinds]
        )
        self._set_busy(False)
        self.report_ready.emit(outcome)

    def export(self, kind: str) -> None:
        report = self.report
        if report is None:
            return
        suggested = f"cohort-impact-{report.filters.label.replace('/', '-')}.{kind}"
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            f"Export the report as {kind.upper()}",
            suggested,
            "PDF files (*.pdf)" if kind == "pdf" else "CSV files (*.csv)",
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != f".{kind}":
            path = path.with_suffix(f".{kind}")

        def write(store: Store, progress: Progress, _cancelled: CancelCheck) -> Path:
            progress(0, 1, "writing the file")
            return impact_report.export_report(store, report, path)

        def done(outcome: object) -> None:
            self.status.setText(f"Saved {Path(str(outcome)).name}.")
            self.exported.emit(outcome)

        self._run(f"Exporting {kind.upper()}:", write, done)

    def clear(self) -> None:
        self.stop()
        self.report = None
        self.model.set_rows([])
        self.suspension_chart.set_bars([])
        self.targets_chart.set_bars([])
        self.summary.setText("Choose a year and press Show figures.")
        self._set_busy(False)


class ReportsWindow(QDialog):
    """A separate, non-modal window for the Reports view (closed when the app locks)."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportsWindow")
        self.setWindowTitle("Cohort impact report")
        self.setModal(False)
        self.view = ReportsView(store, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        self.resize(980, 760)

    def done(self, code: int) -> None:
        self.view.stop()
        super().done(code)


class ReportsLauncher:
    """What `install_reports` adds: the one Reports window, made when first asked for."""

    def __init__(self) -> None:
        self.window: ReportsWindow | None = None


def install_reports(window: MainWindow) -> ReportsLauncher:
    """Reports > Cohort impact report… (listed in ui/shell/features.py)."""
    holder = ReportsLauncher()

    def open_reports() -> None:
        existing = holder.window
        if existing is None:
            existing = ReportsWindow(window.store, window)
            holder.window = existing
        else:
            existing.view.reload_choices()
        existing.show()
        existing.raise_()
        existing.activateWindow()

    def on_lock(locked: bool) -> None:
        existing = holder.window
        if locked and existing is not None:
            existing.view.clear()
            existing.reject()

    window.add_action(
        "&Reports",
        "&Cohort impact report…",
        open_reports,
        shortcut="Ctrl+Shift+R",
        tip="Figures for a school year: cases, targets, suspensions, "
        "attendance, questionnaires (no names)",
    )
    window.locked_changed.connect(on_lock)
    return holder
