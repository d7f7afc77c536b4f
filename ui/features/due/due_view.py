"""The Due view: reviews, observations, follow-ups and ended actions due this week and next.

A table model over `semh_desktop.due.due_items` rows behind a sorting proxy; double-click (or
Enter) emits `open_pupil(pupil_id)`. `install_due_view(window)` puts the view in a panel under
the main window, adds View > Due list (Ctrl+D) with a "Due (N)" toolbar button showing the
count, opens the chosen pupil in the caseload, and empties the list while the window is locked
or in meeting mode (it names other pupils).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.register import audit
from semh_desktop.reporting import due
from semh_desktop.reporting.due import DueItem
from ui.common import operations, theme
from ui.common.table_model import ID_ROLE, LABELLED, Column, RowsModel, SortProxy
from ui.common.table_view import Resize, configure_records_view

if TYPE_CHECKING:
    from collections.abc import Callable

    from semh_desktop.core.changes import Changes
    from ui.shell.main_window import MainWindow

COL_DUE, COL_STATUS, COL_PUPIL, COL_KIND, COL_WHAT = range(5)
HEADERS = ("Due", "Status", "Pupil", "Kind", "What")
PUPIL_ID_ROLE = ID_ROLE

Index = QModelIndex | QPersistentModelIndex


def _due_tip(item: DueItem) -> str:
    return f"{item.pupil_name} (UPN {item.upn}): {item.what}"


def _status_colour(item: DueItem) -> str | None:
    if not item.overdue:
        return None
    return theme.ERROR if item.status == "overdue" else theme.WARNING


class DueModel(RowsModel[DueItem]):
    ROW_ROLES = ((PUPIL_ID_ROLE, lambda item: item.pupil_id),)
    ACCESSIBLE = LABELLED
    COLUMNS = (
        Column[DueItem](
            "Due",
            lambda i: format_date(i.due_on),
            lambda i: (i.due_on.isoformat(), due.STATUS_ORDER[i.status]),
            tooltip=_due_tip,
        ),
        Column[DueItem](
            "Status",
            lambda i: i.status_label,
            lambda i: (due.STATUS_ORDER[i.status], i.due_on.isoformat()),
            foreground=_status_colour,
            tooltip=_due_tip,
        ),
        Column[DueItem](
            "Pupil",
            lambda i: i.pupil_name,
            lambda i: (i.pupil_name.casefold(), i.due_on.isoformat()),
            tooltip=_due_tip,
        ),
        Column[DueItem](
            "Kind",
            lambda i: i.kind_label,
            lambda i: (i.kind_label.casefold(), i.due_on.isoformat()),
            tooltip=_due_tip,
        ),
        Column[DueItem]("What", lambda i: i.what, tooltip=_due_tip),
    )


class DueProxy(SortProxy):
    """Sorts on raw values (ISO dates, status order), not on the displayed text."""

    def item_at(self, proxy_index: QModelIndex) -> DueItem | None:
        item: DueItem | None = self.record_at(proxy_index)
        return item


class DueTable(QTableView):
    """Enter or Return opens the pupil, as a double-click does."""

    activated_row = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class DueView(QWidget):
    """The Due list. `refresh()` re-reads it from the store; `clear()` empties it."""

    open_pupil = Signal(str)  # the pupil id of the row chosen
    count_changed = Signal(int)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("dueView")
        self.setAccessibleName("Due this week and next")
        self.model = DueModel(self)
        self.proxy = DueProxy(self)
        self.proxy.setSourceModel(self.model)
        self.heading = QLabel()
        self.heading.setObjectName("dueHeading")
        theme.set_role(self.heading, "heading")
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.setAccessibleName("Refresh the due list")
        self.refresh_button.clicked.connect(lambda _checked=False: self.refresh())
        table = DueTable()
        table.setObjectName("dueTable")
        table.setModel(self.proxy)
        configure_records_view(table, "Due list", sort_column=COL_DUE, resize=Resize.Interactive)
        table.setShowGrid(False)
        metrics = table.fontMetrics()
        for column, sample in (
            (COL_DUE, "00/00/0000"),
            (COL_STATUS, "End date passed"),
            (COL_PUPIL, "Mohammed Holloway"),
            (COL_KIND, "Follow-up meeting"),
        ):
            table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 28)
        table.doubleClicked.connect(self._activate)
        table.activated_row.connect(self._activate)
        self.table = table
        self.empty_label = QLabel("Nothing is due this week or next, and nothing is overdue.")
        self.empty_label.setObjectName("dueEmpty")
        theme.set_role(self.empty_label, "muted")
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(top)
        layout.addWidget(table, 1)
        layout.addWidget(self.empty_label)
        self._set_heading(0, None)

    def _set_heading(self, count: int, today: dt.date | None) -> None:
        if today is None:
            self.heading.setText("Due this week and next")
            return
        start, end = due.window(today)
        self.heading.setText(
            f"Due this week and next ({format_date(start)} to "
            f"{format_date(end)}), and overdue: {count}"
        )

    def refresh(self) -> int:
        try:
            items = due.due_items(self.store)
        except SemhError:
            items = []
        self.model.set_rows(items)
        self.empty_label.setVisible(not items)
        self._set_heading(len(items), self.store.clock.today())
        self.count_changed.emit(len(items))
        return len(items)

    def clear(self) -> None:
        self.model.set_rows([])
        self.empty_label.setVisible(False)
        self._set_heading(0, None)

    def _activate(self, index: QModelIndex) -> None:
        item = self.proxy.item_at(index)
        if item is not None:
            self.open_pupil.emit(item.pupil_id)


def due_label(count: int) -> str:
    return f"Due ({count})"


def open_pupil_in(window: MainWindow, pupil_id: str) -> bool:
    """Select the pupil in the caseload, which opens (and audits) it.

    The search, the register filter or the archive filter is widened if it hides the pupil.
    """
    if window.select_pupil(pupil_id):
        return True
    window.search_edit.clear()
    if window.select_pupil(pupil_id):
        return True
    if not window.whole_school_action.isChecked():
        window.whole_school_action.setChecked(True)
        window.refresh_caseload()
        if window.select_pupil(pupil_id):
            return True
    if not window.show_archived_action.isChecked():
        window.show_archived_action.setChecked(True)
        window.refresh_caseload()
        if window.select_pupil(pupil_id):
            return True
    window.statusBar().showMessage("That pupil could not be found in the caseload.", 5000)
    return False


@dataclass(frozen=True)
class DuePanel:
    """What `install_due_view` adds to the window, for the window's `feature()` lookup."""

    view: DueView
    dock: QDockWidget
    action: QAction


def _follow_changes(window: MainWindow, dock: QDockWidget, refresh: Callable[[], None]) -> None:
    """Re-read the Due list after a change to what it lists, if its count or list shows.

    The count is on the toolbar and the list in the dock; while neither shows (a hidden
    toolbar, the lock screen) the list is marked stale and re-read when it shows again
    (unlocking re-reads it anyway).
    """
    # Reviews, follow-ups and ended actions, for pupils not archived: what the list is made of.
    due_kinds = ("pupil", "case", "case_review", "score", "follow_up", "sustainability_action")
    stale = False

    def changed(made: Changes) -> None:
        nonlocal stale
        if not isValid(dock):
            return  # the window has gone (Qt disconnects only slots of live QObjects)
        if not (made.everyone or made.touches(*due_kinds)):
            return
        stale = window.is_locked or not (dock.isVisible() or window.toolbar.isVisible())
        if not stale:
            refresh()

    def shown_again(*_args: object) -> None:
        nonlocal stale
        if stale and not window.is_locked:
            stale = False
            refresh()

    operations.broadcast_for(window.store).changed.connect(changed)
    window.meeting_mode_action.toggled.connect(lambda on: None if on else shown_again())
    dock.visibilityChanged.connect(lambda visible: shown_again() if visible else None)


def install_due_view(window: MainWindow) -> DuePanel:
    """Add the Due panel, View > Due list (Ctrl+D) and the "Due (N)" toolbar button."""
    view = DueView(window.store)
    dock = QDockWidget("Due this week and next", window)
    dock.setObjectName("dueDock")
    dock.setWidget(view)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetMovable
    )
    dock.setAllowedAreas(
        Qt.DockWidgetArea.BottomDockWidgetArea
        | Qt.DockWidgetArea.LeftDockWidgetArea
        | Qt.DockWidgetArea.RightDockWidgetArea
    )
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    window.menu("View").addSeparator()
    action = window.add_action(
        "View",
        due_label(0),
        lambda: None,
        shortcut="Ctrl+D",
        toolbar=True,
        tip="Reviews, observations, follow-ups and ended actions due this week and next (Ctrl+D)",
    )
    action.setCheckable(True)

    def meeting_mode() -> bool:
        return bool(window.property("meetingMode"))

    def show_count(count: int) -> None:
        action.setText(due_label(count))
        overdue = sum(1 for item in view.model.rows() if item.overdue)
        tip = (
            f"{count} due this week and next, {overdue} of them overdue or ended (Ctrl+D)"
            if count
            else "Nothing due this week or next (Ctrl+D)"
        )
        action.setToolTip(tip)
        action.setStatusTip(tip)
        button = window.toolbar.widgetForAction(action)
        if button is not None:
            button.setAccessibleName(f"Due list: {count} items")

    def refresh() -> None:
        if window.is_locked:
            view.clear()
            show_count(0)
            return
        count = view.refresh()
        show_count(count)
        if dock.isVisible():
            # One audit row per look at the list (it names pupils); the toolbar's count
            # alone is no view of anyone's record.
            with contextlib.suppress(SemhError):
                audit.viewed(window.store, "due list", count, f"{count} due or overdue")

    def toggled(shown: bool) -> None:
        if shown and (window.is_locked or meeting_mode()):
            action.setChecked(False)
            return
        dock.setVisible(shown)
        if shown:
            refresh()
            view.table.setFocus()

    def locked(is_locked: bool) -> None:
        if is_locked:
            dock.hide()
            action.setChecked(False)
            view.clear()
            show_count(0)
        else:
            refresh()

    def opened(pupil_id: str) -> None:
        if not window.is_locked:
            open_pupil_in(window, pupil_id)

    view.count_changed.connect(show_count)
    view.open_pupil.connect(opened)
    action.toggled.connect(toggled)
    dock.visibilityChanged.connect(
        lambda visible: (
            action.setChecked(False)
            if not visible and action.isChecked() and not dock.isVisible()
            else None
        )
    )
    window.locked_changed.connect(locked)
    _follow_changes(window, dock, refresh)
    window.meeting_mode_action.toggled.connect(lambda on: action.setChecked(False) if on else None)
    # The date moves on while the window stays open: re-read every ten minutes.
    timer = QTimer(view)
    timer.setInterval(10 * 60_000)
    timer.timeout.connect(refresh)
    timer.start()
    # The first count comes when the window unlocks (locked_changed(False)).
    return DuePanel(view, dock, action)
