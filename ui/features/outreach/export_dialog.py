"""File > Export summary…: outreach summaries for one pupil or a cohort, and the shared pieces.

The dialog lists the pupils to choose from (ticked in a table), the format (PDF or JSON), the
pseudonymised option (the default when several pupils are chosen) with each free-text field
ticked one by one, and exactly which fields will leave, kept up to date as choices change. It
returns a `SummaryRequest`; the writing runs off the GUI thread, on its own connection, with a
progress bar (`ui.common.background.run_with_progress`). `install_outreach_actions` adds this
and the two bundle actions (ui/bundle_dialogs.py) to the main window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.store import Store
from semh_desktop.exchange import outreach_summary
from semh_desktop.exchange.outreach_summary import NOTE_FIELDS, SummaryOptions, default_options
from semh_desktop.register import pupils
from semh_desktop.register.pupils import CaseloadRow, year_group_label
from ui.common import drafts
from ui.common.background import BackgroundTask, CancelCheck, Progress, run_with_progress
from ui.common.sensitive import meeting_mode_on
from ui.common.table_model import ID_ROLE, Column, RowsModel, SortProxy
from ui.common.widgets import FieldMessage, field_with_message, plain_label

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

Index = QModelIndex | QPersistentModelIndex
PUPIL_ID_ROLE = ID_ROLE


# -- choosing pupils --------------------------------------------------------------------------


class PupilChoiceModel(RowsModel[CaseloadRow]):
    """Caseload rows with a tick each (the pupils to export or send)."""

    COL_NAME, COL_UPN, COL_YEAR = range(3)
    ROW_ROLES = ((PUPIL_ID_ROLE, lambda row: row.pupil_id),)
    checked_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        self._checked: set[str] = set()
        super().__init__(
            parent,
            columns=(
                Column[CaseloadRow](
                    "Pupil",
                    lambda r: r.name,
                    lambda r: r.surname.casefold(),
                    check_state=self._check_state,
                    accessible=self._ticked,
                ),
                Column[CaseloadRow]("UPN", lambda r: r.upn, lambda r: r.upn),
                Column[CaseloadRow](
                    "Year", lambda r: year_group_label(r.year_group), lambda r: r.year_group
                ),
            ),
        )
        self._search: list[str] = []

    def _check_state(self, row: CaseloadRow) -> Qt.CheckState:
        return Qt.CheckState.Checked if row.pupil_id in self._checked else Qt.CheckState.Unchecked

    def _ticked(self, row: CaseloadRow) -> str:
        return f"{row.name}, {'chosen' if row.pupil_id in self._checked else 'not chosen'}"

    def set_rows(self, rows: Sequence[CaseloadRow], checked: set[str] | None = None) -> None:
        wanted = checked or set()
        self._checked = {r.pupil_id for r in rows if r.pupil_id in wanted}
        # What the search box looks in (every column as shown), casefolded once per fill.
        self._search = [
            f"{r.name} {r.upn} {year_group_label(r.year_group)}".casefold() for r in rows
        ]
        super().set_rows(rows)
        self.checked_changed.emit(len(self._checked))

    def search_texts(self) -> list[str]:
        """Every row's search text; the same list object until the next set_rows."""
        return self._search

    def checked_ids(self) -> list[str]:
        return [r.pupil_id for r in self._rows if r.pupil_id in self._checked]

    def set_checked(self, pupil_ids: Sequence[str], checked: bool) -> None:
        for pupil_id in pupil_ids:
            if checked:
                self._checked.add(pupil_id)
            else:
                self._checked.discard(pupil_id)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._rows) - 1, 0),
                [Qt.ItemDataRole.CheckStateRole],
            )
        self.checked_changed.emit(len(self._checked))

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != self.COL_NAME:
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(int(value))
        self.set_checked([self._rows[index.row()].pupil_id], state == Qt.CheckState.Checked)
        return True


class PupilFilter(SortProxy):
    """Sorts on raw values and filters by the search box (name, UPN or year)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        def change() -> None:
            self._needle = text.strip().casefold()

        self.refilter(change)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._needle:
            return True
        model = self.sourceModel()
        if not isinstance(model, PupilChoiceModel):
            return True
        return self._needle in model.search_texts()[source_row]

    def shown_ids(self) -> list[str]:
        return [str(self.data(self.index(r, 0), PUPIL_ID_ROLE)) for r in range(self.rowCount())]


class PupilChooser(QWidget):
    """Search, a ticked table of pupils, 'Tick all shown' and 'Untick all'."""

    changed = Signal(int)  # how many are ticked

    def __init__(
        self, rows: Sequence[CaseloadRow], preselected: set[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = PupilChoiceModel(self)
        self.proxy = PupilFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, UPN or year")
        self.search.setAccessibleName("Search pupils to choose")
        self.search.textChanged.connect(self.proxy.set_needle)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(PupilChoiceModel.COL_NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(PupilChoiceModel.COL_NAME, QHeaderView.ResizeMode.Stretch)
        for column in (PupilChoiceModel.COL_UPN, PupilChoiceModel.COL_YEAR):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName("Pupils: tick each pupil to include (Space ticks)")
        self.all_button = QPushButton("Tick all &shown")
        self.all_button.clicked.connect(
            lambda: self.model.set_checked(self.proxy.shown_ids(), True)
        )
        self.none_button = QPushButton("&Untick all")
        self.none_button.clicked.connect(
            lambda: self.model.set_checked(self.model.checked_ids(), False)
        )
        self.count_label = plain_label()
        self.count_label.setAccessibleName("Number of pupils chosen")
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        buttons.addWidget(self.all_button)
        buttons.addWidget(self.none_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.model.checked_changed.connect(self._count_changed)
        self.model.set_rows(rows, preselected)
        self.setTabOrder(self.search, self.table)
        self.setTabOrder(self.table, self.all_button)
        self.setTabOrder(self.all_button, self.none_button)

    def _count_changed(self, count: int) -> None:
        self.count_label.setText(f"{count} pupil{'' if count == 1 else 's'} chosen")
        self.changed.emit(count)

    def checked_ids(self) -> list[str]:
        return self.model.checked_ids()


def selected_pupil_ids(window: MainWindow) -> set[str]:
    """The pupils highlighted in the caseload, else the open pupil."""
    chosen: set[str] = set()
    try:
        for index in window.table.selectionModel().selectedRows():
            pupil_id = window.proxy.pupil_id_at(index)
            if pupil_id:
                chosen.add(pupil_id)
    except AttributeError:  # a window without a caseload table (tests)
        pass
    if not chosen and window.current_pupil is not None:
        chosen.add(window.current_pupil.id)
    return chosen


MEETING_REFUSAL = (
    "Meeting mode is on, so only the pupil being discussed can be chosen. Open that pupil "
    "first, or leave meeting mode (Ctrl+M) to choose from the whole school."
)


def pupils_to_offer(window: MainWindow, title: str) -> list[CaseloadRow] | None:
    """The pupils a picker may list: the whole school, or in meeting mode only the open pupil.

    None (after saying why) when there is nobody to offer.
    """
    current = window.current_pupil
    if meeting_mode_on(window):
        if current is None:
            QMessageBox.information(window, title, MEETING_REFUSAL)
            return None
        rows = window.run_guarded(
            lambda: pupils.caseload(window.store, whole_register=True, include_archived=True)
        )
        return None if rows is None else [r for r in rows if r.pupil_id == current.id]
    return window.run_guarded(lambda: pupils.caseload(window.store, whole_register=True))


def preselected_ids(window: MainWindow) -> set[str]:
    """Who starts ticked: in meeting mode the open pupil only, never the caseload selection."""
    if meeting_mode_on(window):
        current = window.current_pupil
        return {current.id} if current is not None else set()
    return selected_pupil_ids(window)


# -- the summary export dialog ----------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRequest:
    pupil_ids: tuple[str, ...]
    options: SummaryOptions
    suffix: str  # ".pdf" or ".json"
    folder: Path


class SummaryExportDialog(QDialog):
    """Choose pupils, form and fields; see exactly what leaves; returns a SummaryRequest."""

    def __init__(
        self,
        rows: Sequence[CaseloadRow],
        preselected: set[str],
        *,
        contact_details: str = "",
        folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export outreach summary")
        self.setAccessibleName("Export outreach summary")
        self.resize(900, 640)
        self.request: SummaryRequest | None = None
        self._pseudonym_touched = False

        self.chooser = PupilChooser(rows, preselected)
        self.pupils_message = FieldMessage("pupils")

        self.pdf_button = QRadioButton("&PDF (to print or attach)")
        self.json_button = QRadioButton("&JSON (for the outreach team's system)")
        self.pdf_button.setChecked(True)
        formats = QButtonGroup(self)
        formats.addButton(self.pdf_button)
        formats.addButton(self.json_button)
        self.pseudonymise = QCheckBox(
            "Ps&eudonymise: initials and a code instead of the name; no UPN or date of birth"
        )
        self.pseudonymise.setAccessibleName("Pseudonymise the summary")
        self.pseudonymise.toggled.connect(self._pseudonymise_toggled)

        self.note_boxes: dict[str, QCheckBox] = {}
        notes_box = QGroupBox("Free-text notes that leave (tick each one to include)")
        notes_layout = QVBoxLayout(notes_box)
        for key, label in NOTE_FIELDS.items():
            box = QCheckBox(label)
            box.setAccessibleName(f"Include: {label}")
            box.toggled.connect(self._refresh_leaving)
            self.note_boxes[key] = box
            notes_layout.addWidget(box)
        notes_scroll = QScrollArea()
        notes_scroll.setWidget(notes_box)
        notes_scroll.setWidgetResizable(True)

        self.leaving = QTextBrowser()
        self.leaving.setAccessibleName("Exactly which fields will leave")
        self.leaving.setMinimumHeight(160)

        self.contact = QLineEdit(contact_details)
        self.contact.setPlaceholderText("e.g. school office 01632 960000")
        self.contact.setAccessibleName("School contact details printed with your name")
        self.folder = QLineEdit(str(folder) if folder else "")
        self.folder.setAccessibleName("Folder to save the summaries in")
        self.folder_message = FieldMessage("folder")
        browse = QPushButton("&Browse…")
        browse.setAccessibleName("Choose the folder")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        folder_widget = QWidget()
        folder_widget.setLayout(folder_row)
        folder_row.setContentsMargins(0, 0, 0, 0)

        form = QFormLayout()
        form.addRow("Format", self._row(self.pdf_button, self.json_button))
        form.addRow("", self.pseudonymise)
        form.addRow("School contact &details", self.contact)
        form.addRow("Save in &folder", field_with_message(folder_widget, self.folder_message))

        self.export_button = QPushButton("E&xport")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._export)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(cancel)

        left = QVBoxLayout()
        left.addWidget(QLabel("Pupils"))
        left.addWidget(self.chooser, 1)
        left.addWidget(self.pupils_message)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(notes_scroll, 1)
        right.addWidget(QLabel("What will leave this computer"))
        right.addWidget(self.leaving, 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)

        self.chooser.changed.connect(self._count_changed)
        self._apply_default(len(self.chooser.checked_ids()))
        self.setTabOrder(self.chooser.none_button, self.pdf_button)
        self.setTabOrder(self.pdf_button, self.json_button)
        self.setTabOrder(self.json_button, self.pseudonymise)

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        box = QWidget()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget)
        layout.addStretch(1)
        return box

    # -- behaviour

    def _apply_default(self, count: int) -> None:
        self.pseudonymise.blockSignals(True)
        self.pseudonymise.setChecked(default_options(max(count, 1)).pseudonymise)
        self.pseudonymise.blockSignals(False)
        self._reset_notes()

    def _count_changed(self, count: int) -> None:
        self.pupils_message.clear_message()
        if not self._pseudonym_touched:
            self._apply_default(count)
        self._refresh_leaving()

    def _pseudonymise_toggled(self, _checked: bool) -> None:
        self._pseudonym_touched = True
        self._reset_notes()

    def _reset_notes(self) -> None:
        """Named: every note ticked; pseudonymised: none, to be ticked one by one."""
        named = not self.pseudonymise.isChecked()
        for box in self.note_boxes.values():
            box.blockSignals(True)
            box.setChecked(named)
            box.blockSignals(False)
        self._refresh_leaving()

    def options(self) -> SummaryOptions:
        chosen = frozenset(k for k, box in self.note_boxes.items() if box.isChecked())
        return SummaryOptions(
            pseudonymise=self.pseudonymise.isChecked(),
            include_notes=chosen,
            contact_details=" ".join(self.contact.text().split()),
        )

    def _refresh_leaving(self, *_args: object) -> None:
        lines = outreach_summary.fields_leaving(self.options())
        leaves = [text for text, out in lines if out]
        stays = [text for text, out in lines if not out]
        count = len(self.chooser.checked_ids())
        html = [
            f"<p><b>{count} pupil{'' if count == 1 else 's'}</b>, one file each.</p>",
            "<p><b>Leaves:</b></p><ul>",
        ]
        html += [f"<li>{_escape(text)}</li>" for text in leaves]
        html += ["</ul><p><b>Stays here:</b></p><ul>"]
        html += [f"<li>{_escape(text)}</li>" for text in stays]
        html.append("</ul>")
        self.leaving.setHtml("".join(html))

    def leaving_fields(self) -> list[str]:
        return [text for text, out in outreach_summary.fields_leaving(self.options()) if out]

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Save the summaries in", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _export(self) -> None:
        ok = True
        ids = self.chooser.checked_ids()
        if not ids:
            self.pupils_message.show_error("Tick at least one pupil.")
            ok = False
        folder = Path(self.folder.text().strip()) if self.folder.text().strip() else None
        if folder is None or not folder.is_dir():
            self.folder_message.show_error("Choose a folder that exists.")
            ok = False
        else:
            self.folder_message.clear_message()
        if not ok or folder is None:
            return
        suffix = ".json" if self.json_button.isChecked() else ".pdf"
        self.request = SummaryRequest(tuple(ids), self.options(), suffix, folder)
        self.accept()

    @classmethod
    def ask(
        cls,
        rows: Sequence[CaseloadRow],
        preselected: set[str],
        *,
        contact_details: str = "",
        folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> SummaryRequest | None:
        dialog = cls(
            rows, preselected, contact_details=contact_details, folder=folder, parent=parent
        )
        drafts.run_modal(dialog)
        return dialog.request


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- the actions ----------------------------------------------------------------------------


def export_summaries(window: MainWindow) -> None:
    """File > Export summary…: choose, then write off the GUI thread, then say what happened."""
    store = window.store
    rows = pupils_to_offer(window, "Export outreach summary")
    if rows is None:
        return
    request = SummaryExportDialog.ask(
        rows,
        preselected_ids(window),
        contact_details=outreach_summary.contact_details(store),
        folder=Path.home(),
        parent=window,
    )
    if request is None:
        return
    window.run_guarded(
        lambda: outreach_summary.set_contact_details(store, request.options.contact_details)
    )

    def work(
        own: Store, progress: Progress, cancelled: CancelCheck
    ) -> outreach_summary.CohortResult:
        return outreach_summary.write_summaries(
            own,
            request.pupil_ids,
            request.folder,
            request.suffix,
            request.options,
            progress_callback=progress,
            cancelled=cancelled,
        )

    finished = run_with_progress(
        window,
        "Export outreach summary",
        "Writing the summaries…",
        BackgroundTask.on_store(store, work),
    )
    outcome = finished.value
    if outcome is None:
        QMessageBox.warning(window, "Export outreach summary", finished.message)
        return
    written = len(outcome.written)
    text = f"Wrote {written} summar{'y' if written == 1 else 'ies'} in {request.folder}."
    if outcome.failed:
        text += " Not written: " + " ".join(outcome.failed)
    if written < len(request.pupil_ids) and not outcome.failed:
        text += " Cancelled before the rest."
    QMessageBox.information(window, "Export outreach summary", text)


def install_outreach_actions(window: MainWindow) -> None:
    """File > Export summary…, Send to outreach (bundle)…, Import bundle… (an extension)."""
    from ui.features.outreach.bundle_dialogs import import_bundle_action, send_bundle_action

    window.menu("File").addSeparator()
    window.add_action(
        "File",
        "Export &summary…",
        lambda: export_summaries(window),
        permission="export",
        tip="Write outreach summaries (PDF or JSON), named or pseudonymised",
    )
    window.add_action(
        "File",
        "Send to &outreach (bundle)…",
        lambda: send_bundle_action(window),
        permission="export",
        tip="Write an encrypted handover bundle of pupils' records and history",
    )
    window.add_action(
        "File",
        "Import &bundle…",
        lambda: import_bundle_action(window),
        needs_edit=True,
        tip="Bring in pupils' records from another SEMH Desktop's bundle",
    )
