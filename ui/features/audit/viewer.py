"""Settings > Audit trail…: read the trail, filter it, export it, check its seals (SENCO only).

And on each pupil, Pupil > Who has seen or changed this record…: each member of staff, what
they did and how often. Both read through the domain (`semh_desktop.register.audit`); the
export is the domain's, audited and role-checked there. Names are shown as plain text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import parse_date
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.register import audit, audit_export, pupils, staff
from semh_desktop.register.audit import AuditEntry, ChainReport, Seen
from semh_desktop.register.pupils import Pupil
from ui.common import operations, theme
from ui.common.sensitive import meeting_mode_on
from ui.common.table_model import Column, RowsModel
from ui.common.table_view import records_view

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from ui.shell.main_window import MainWindow

# The newest entries shown at once: the filters narrow it, the CSV export holds everything.
SHOWN_AT_MOST = 2000


def when(at: str) -> str:
    """An entry's time as dd/mm/yyyy hh:mm."""
    try:
        return dt.datetime.fromisoformat(at).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return at


def action_label(action: str) -> str:
    return audit.ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class EntryRow:
    """One entry as the viewer shows it: the entry with its staff and pupil names."""

    entry: AuditEntry
    staff_name: str
    pupil_name: str

    @property
    def what(self) -> str:
        kind = self.entry.record_type.replace("_", " ")
        return f"{kind}: {self.entry.detail}" if self.entry.detail else kind


class EntriesModel(RowsModel[EntryRow]):
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[EntryRow]("When", lambda r: when(r.entry.at), lambda r: r.entry.seq),
        Column[EntryRow]("Staff", lambda r: r.staff_name),
        Column[EntryRow]("Action", lambda r: action_label(r.entry.action)),
        Column[EntryRow]("Pupil", lambda r: r.pupil_name),
        Column[EntryRow]("What", lambda r: r.what),
    )


class SeenModel(RowsModel[Seen]):
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[Seen]("Staff", lambda s: s.staff_name),
        Column[Seen]("What they did", lambda s: action_label(s.action)),
        Column[Seen]("Times", lambda s: str(s.times), lambda s: s.times),
        Column[Seen]("Last", lambda s: when(s.last_at), lambda s: s.last_at),
    )


def _plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class AuditViewer(QDialog):
    """The trail, newest first, with filters for pupil, staff, action and dates."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("auditViewer")
        self.setWindowTitle("Audit trail")
        self.resize(1060, 620)
        self.last_report: ChainReport | None = None

        self.pupil_combo = QComboBox()
        self.pupil_combo.setAccessibleName("Pupil")
        self.staff_combo = QComboBox()
        self.staff_combo.setAccessibleName("Staff")
        self.action_combo = QComboBox()
        self.action_combo.setAccessibleName("Action")
        self.from_edit = QLineEdit()
        self.from_edit.setAccessibleName("From date")
        self.to_edit = QLineEdit()
        self.to_edit.setAccessibleName("To date")
        for edit in (self.from_edit, self.to_edit):
            edit.setPlaceholderText("dd/mm/yyyy")
            edit.setMaximumWidth(110)
            edit.editingFinished.connect(self.refresh)
        self._fill_choices()
        for combo in (self.pupil_combo, self.staff_combo, self.action_combo):
            combo.currentIndexChanged.connect(lambda _index: self.refresh())
        self.clear_button = QPushButton("C&lear filters")
        self.clear_button.clicked.connect(lambda _checked=False: self.clear_filters())

        self.model = EntriesModel(self)
        self.table: QTableView = records_view(
            "Audit entries",
            self.model,
            object_name="auditTable",
            sort_column=0,
            order=Qt.SortOrder.DescendingOrder,
        )
        metrics = self.table.fontMetrics()
        for column, sample in enumerate(
            ("00/00/0000 00:00", "Mohammed Holloway", "Checked the trail", "Mohammed Holloway")
        ):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 24)
        self.count_label = _plain()
        self.count_label.setObjectName("auditCount")
        self.empty_label = _plain()
        self.empty_label.setObjectName("auditEmpty")
        theme.set_role(self.empty_label, "muted")
        self.chain_label = _plain(
            "Check the chain to make sure no entry has been changed or removed."
        )
        self.chain_label.setObjectName("auditChain")

        self.export_button = QPushButton("&Export CSV…")
        self.export_button.clicked.connect(lambda _checked=False: self.choose_export())
        self.check_button = QPushButton("Check the &chain")
        self.check_button.clicked.connect(lambda _checked=False: self.check_chain())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        filters = QGridLayout()
        for row, column, text, widget in (
            (0, 0, "&Pupil", self.pupil_combo),
            (0, 2, "&Staff", self.staff_combo),
            (0, 4, "&Action", self.action_combo),
            (1, 0, "&From", self.from_edit),
            (1, 2, "&To", self.to_edit),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label, row, column)
            filters.addWidget(widget, row, column + 1, Qt.AlignmentFlag.AlignLeft)
        self.pupil_combo.setMinimumWidth(320)
        self.staff_combo.setMinimumWidth(200)
        self.action_combo.setMinimumWidth(180)
        filters.addWidget(self.clear_button, 1, 4, 1, 2, Qt.AlignmentFlag.AlignLeft)
        filters.setColumnStretch(6, 1)

        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.check_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.chain_label)
        layout.addLayout(bottom)
        self.refresh()

    # -- filters -------------------------------------------------------------------------

    def _fill_choices(self) -> None:
        self.pupil_combo.addItem("All pupils", None)
        self._pupil_names: dict[str, str] = {}
        for row in pupils.caseload(self.store, whole_register=True, include_archived=True):
            self._pupil_names[row.pupil_id] = row.name
            self.pupil_combo.addItem(f"{row.name} ({row.upn})", row.pupil_id)
        self.staff_combo.addItem("All staff", None)
        for person in staff.list_staff(self.store):
            self.staff_combo.addItem(person.name, person.id)
        self.action_combo.addItem("All actions", None)
        for action in audit.ACTIONS:
            self.action_combo.addItem(action_label(action), action)

    def _date(self, edit: QLineEdit, name: str) -> dt.date | None:
        text = edit.text().strip()
        return parse_date(text, field=name) if text else None

    def filters(self) -> dict[str, object]:
        """The filters chosen, as `audit.search` takes them (raises on an unreadable date)."""
        return {
            "pupil_id": self.pupil_combo.currentData(),
            "staff_id": self.staff_combo.currentData(),
            "action": self.action_combo.currentData(),
            "date_from": self._date(self.from_edit, "from"),
            "date_to": self._date(self.to_edit, "to"),
        }

    def set_filter(self, combo: QComboBox, value: object) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def clear_filters(self) -> None:
        for combo in (self.pupil_combo, self.staff_combo, self.action_combo):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.from_edit.clear()
        self.to_edit.clear()
        self.refresh()

    # -- reading -------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            chosen = self.filters()
            found = audit.search(self.store, limit=SHOWN_AT_MOST + 1, **chosen)  # type: ignore[arg-type]
            names = audit.staff_names(self.store)
        except SemhError as exc:
            self.count_label.setText(exc.message)
            theme.set_role(self.count_label, "error")
            return
        theme.set_role(self.count_label, "")
        more = len(found) > SHOWN_AT_MOST
        found = found[:SHOWN_AT_MOST]
        self.model.set_rows(
            [
                EntryRow(
                    entry,
                    names.get(entry.staff_id or "", "Nobody signed in"),
                    self._pupil_names.get(entry.pupil_id or "", ""),
                )
                for entry in found
            ]
        )
        filtered = any(value is not None for value in chosen.values())
        noun = "entry" if len(found) == 1 else "entries"
        if more:
            self.count_label.setText(
                f"The newest {SHOWN_AT_MOST} entries are shown. Choose a pupil, a member of "
                "staff, an action or dates to see older ones, or export them all as CSV."
            )
        else:
            self.count_label.setText(
                f"{len(found)} {noun}"
                + (" match the filters" if filtered else "")
                + ", newest first."
            )
        if found:
            self.empty_label.setVisible(False)
        else:
            self.empty_label.setText(
                "No entries match these filters. Choose “All” in a filter, or clear the dates."
                if filtered
                else "The audit trail is empty: entries appear here as staff open, change, "
                "print and export records."
            )
            self.empty_label.setVisible(True)

    def shown(self) -> list[EntryRow]:
        return self.model.rows()

    # -- export and check ----------------------------------------------------------------

    def choose_export(self) -> None:
        name, _kind = QFileDialog.getSaveFileName(
            self, "Export the audit trail", "audit-trail.csv", "CSV files (*.csv)"
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> int | None:
        """Write the entries the filters choose (all of them, not only those shown)."""
        try:
            chosen = self.filters()
            with self.store.atomic():
                count = audit_export.export_csv(self.store, path, **chosen)  # type: ignore[arg-type]
        except SemhError as exc:
            operations.show_error(self, exc, "Export the audit trail")
            return None
        self.chain_label.setText(f"Wrote {count} entries to {path.name}.")
        self.refresh()
        return count

    def check_chain(self) -> ChainReport | None:
        try:
            report = audit.verify(self.store)
            outcome = "whole" if report.ok else f"broken at entry {report.first_bad_seq}"
            with self.store.atomic():
                audit.record(
                    self.store, "verify", "audit", None, f"{outcome}, {report.checked} checked"
                )
        except SemhError as exc:
            operations.show_error(self, exc, "Check the audit trail")
            return None
        self.last_report = report
        if report.ok:
            self.chain_label.setText(f"{report.summary} No entry has been changed or removed.")
            theme.set_role(self.chain_label, "")
        else:
            self.chain_label.setText(
                f"{report.summary} Tell your data protection officer, and keep this file and "
                "its backups as they are."
            )
            theme.set_role(self.chain_label, "error")
        self.refresh()
        return report


class WhoHasSeen(QDialog):
    """Who has seen or changed one pupil's record: staff, what, how often, last when."""

    def __init__(self, store: Store, pupil: Pupil, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("whoHasSeen")
        self.setWindowTitle("Who has seen or changed this record")
        self.resize(640, 380)
        self.model = SeenModel(self)
        self.model.set_rows(audit.who_has_seen(store, pupil.id))
        heading = _plain(f"{pupil.display_name} (UPN {pupil.upn})")
        theme.set_role(heading, "heading")
        table = records_view("Who has seen or changed this record", self.model, sort_column=None)
        self.table = table
        note = _plain(
            "Everyone who opened, changed, printed or exported this pupil's records, from the "
            "audit trail."
            if self.model.rowCount()
            else "Nobody has opened, changed, printed or exported this pupil's records yet."
        )
        theme.set_role(note, "muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(note)
        layout.addWidget(table, 1)
        layout.addWidget(buttons)


@dataclass
class AuditActions:
    """What `install_audit_viewer` adds: its two actions and the dialogs last opened."""

    viewer_action: QAction
    who_action: QAction
    viewer: AuditViewer | None = field(default=None)
    who: WhoHasSeen | None = field(default=None)


def install_audit_viewer(window: MainWindow) -> AuditActions:
    """Settings > Audit trail… and Pupil > Who has seen or changed this record… (SENCO)."""
    handle: AuditActions

    def open_viewer() -> None:
        if meeting_mode_on(window):
            QMessageBox.information(
                window,
                "Audit trail",
                "Leave meeting mode (Ctrl+M) to open the audit trail: it lists every pupil.",
            )
            return
        try:
            viewer = AuditViewer(window.store, window)
        except SemhError as exc:
            operations.show_error(window, exc, "Audit trail")
            return
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        handle.viewer = viewer
        viewer.open()

    def open_who(pupil: Pupil) -> None:
        dialog = WhoHasSeen(window.store, pupil, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        handle.who = dialog
        dialog.open()

    viewer_action = window.add_action(
        "Settings",
        "&Audit trail…",
        open_viewer,
        permission="staff",
        tip="Who opened, changed, printed or exported which records, and when (SENCO)",
    )
    who_action = window.add_pupil_action(
        "Pupil",
        "&Who has seen or changed this record…",
        open_who,
        permission="staff",
        tip="Everyone who has opened or changed this pupil's records (SENCO)",
    )
    handle = AuditActions(viewer_action, who_action)
    return handle
