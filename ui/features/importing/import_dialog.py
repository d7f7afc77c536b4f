"""File > Import pupils…: a step-by-step dialog to bring pupils in from the school's MIS.

Choose a file -> check the column mapping (CSV only; each column's field is a combo box, filled
with the remembered or guessed mapping) -> preview New / Updated / Unchanged / Errors ->
"Import N rows" or "Import nothing". Reading, previewing and importing run on a worker thread
with a progress bar and a Cancel button; a cancelled import changes nothing.

The dialog runs SQL nowhere: it calls `semh_desktop.pupil_import`, and returns the outcome
through `result_of_import` (or `ask()`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core import changes
from semh_desktop.core.changes import Written
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.csv_pupils import CsvTable, check_mapping, suggested_mapping
from semh_desktop.exchange.mis_import.ctf import CtfFile
from semh_desktop.exchange.mis_import.fields import (
    IMPORT_FIELDS,
    NOT_IMPORTED,
    NOT_IMPORTED_LABEL,
)
from semh_desktop.exchange.mis_import.pupils import (
    ImportPreview,
    ImportResult,
    PlannedPupil,
    RowProblem,
)
from semh_desktop.register.pupils import year_group_label
from ui.common import drafts, operations
from ui.common.background import BackgroundTask, Outcome
from ui.common.table_model import (
    SAME_AS_TEXT,
    Column,
    RowsModel,
    in_given_order,
)
from ui.common.table_view import records_view
from ui.common.widgets import FieldMessage

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

Index = QModelIndex | QPersistentModelIndex
FIELD_CHOICES: tuple[tuple[str, str], ...] = (
    (NOT_IMPORTED, NOT_IMPORTED_LABEL),
    *((f.name, f.label) for f in IMPORT_FIELDS),
)
FILE_FILTER = (
    "MIS exports (*.csv *.txt *.xml);;CSV files (*.csv *.txt);;Common Transfer Files (*.xml)"
)


# -- table models ---------------------------------------------------------------------------


def _mapping_field(row: tuple[str, int, str]) -> str:
    return dict(FIELD_CHOICES).get(row[2], row[2])


class MappingModel(RowsModel[tuple[str, int, str]]):
    """One row per CSV column: its header, how many rows fill it, and the field it imports as."""

    COL_COLUMN, COL_FILLED, COL_FIELD = range(3)
    ACCESSIBLE = SAME_AS_TEXT
    COLUMNS = (
        Column[tuple[str, int, str]](
            "Column in the file", lambda r: r[0] or "(no header)", in_given_order
        ),
        Column[tuple[str, int, str]]("Rows filled", lambda r: str(r[1]), lambda r: r[1]),
        Column[tuple[str, int, str]]("Imports as", _mapping_field, lambda r: r[2]),
    )

    def set_field(self, row: int, field: str) -> None:
        header, filled, _ = self.row_at(row)
        self.replace_row(row, (header, filled, field))

    def fields(self) -> tuple[str, ...]:
        return tuple(field for _, _, field in self._rows)

    def headers(self) -> tuple[str, ...]:
        return tuple(header for header, _, _ in self._rows)


def _planned_name(plan: PlannedPupil) -> str:
    details = plan.details
    return (
        f"{details.preferred_forename or details.legal_forename} "
        f"{details.preferred_surname or details.legal_surname}"
    )


def _place(row: PlannedPupil | RowProblem) -> int:
    return row.line if row.line is not None else row.index or 0


class PlannedModel(RowsModel[PlannedPupil]):
    """New, updated or unchanged pupils of a preview."""

    COL_WHERE, COL_UPN, COL_NAME, COL_YEAR, COL_CHANGES = range(5)
    ACCESSIBLE = SAME_AS_TEXT
    COLUMNS = (
        Column[PlannedPupil]("Where in the file", lambda p: p.where, _place),
        Column[PlannedPupil]("UPN", lambda p: p.upn, lambda p: p.upn),
        Column[PlannedPupil]("Name", _planned_name, lambda p: p.details.legal_surname.casefold()),
        Column[PlannedPupil](
            "Year", lambda p: year_group_label(p.details.year_group), lambda p: p.details.year_group
        ),
        Column[PlannedPupil](
            "Fields that change", lambda p: ", ".join(p.changed_labels), lambda p: len(p.changed)
        ),
    )


class ProblemModel(RowsModel[RowProblem]):
    """Errors (rows not imported) or warnings (imported anyway)."""

    COL_WHERE, COL_UPN, COL_FIELD, COL_REASON = range(4)
    ACCESSIBLE = SAME_AS_TEXT
    COLUMNS = (
        Column[RowProblem]("Where in the file", lambda p: p.where, _place),
        Column[RowProblem]("UPN", lambda p: p.upn, lambda p: p.upn),
        Column[RowProblem]("Field", lambda p: p.field_label, lambda p: p.field_label),
        Column[RowProblem](
            "Reason", lambda p: p.reason, lambda p: p.reason, tooltip=lambda p: p.reason
        ),
    )


def _table(model: QAbstractTableModel, accessible_name: str) -> QTableView:
    return records_view(
        accessible_name,
        model,
        resize=None,
        word_wrap=True,
        alternating=False,
        single_selection=False,
    )


# -- the dialog -----------------------------------------------------------------------------


class ImportDialog(QDialog):
    PAGE_FILE, PAGE_MAPPING, PAGE_PREVIEW = range(3)

    def __init__(
        self, store: Store, parent: QWidget | None = None, *, start_path: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Import pupils")
        self.setAccessibleName("Import pupils")
        self.resize(860, 560)
        self.source: CsvTable | CtfFile | None = None
        self.preview: ImportPreview | None = None
        self.result_of_import: ImportResult | None = None
        self.worker: BackgroundTask[object] | None = None  # the running step, if any
        self._after_work: tuple[Callable[[object], None], Callable[[str], None]] = (
            lambda _outcome: None,
            lambda _message: None,
        )
        self.field_combos: list[QComboBox] = []

        self.pages = QStackedWidget()
        self.pages.addWidget(self._file_page(start_path))
        self.pages.addWidget(self._mapping_page())
        self.pages.addWidget(self._preview_page())

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Import progress")
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setAccessibleName("Cancel the running step")
        self.cancel_button.clicked.connect(self.cancel_work)
        self.cancel_button.setVisible(False)

        self.back_button = QPushButton("&Back")
        self.back_button.clicked.connect(self.go_back)
        self.next_button = QPushButton("&Next")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.go_next)
        self.import_button = QPushButton("&Import")
        self.import_button.clicked.connect(self.start_import)
        self.nothing_button = QPushButton("Import &nothing")
        self.nothing_button.setAccessibleName("Import nothing and close")
        self.nothing_button.clicked.connect(self.reject)

        work_row = QHBoxLayout()
        work_row.addWidget(self.progress, 1)
        work_row.addWidget(self.cancel_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.back_button, self.next_button, self.import_button, self.nothing_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addLayout(work_row)
        layout.addLayout(buttons)
        self._show_page(self.PAGE_FILE)

    # -- pages ------------------------------------------------------------------------------

    def _file_page(self, start_path: Path | None) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Choose a pupil list exported from the school's MIS as CSV (SIMS, Arbor, Bromcom "
            "and others), or a Common Transfer File (.xml). Nothing is saved until you have "
            "seen the preview and chosen to import."
        )
        intro.setWordWrap(True)
        self.file_edit = QLineEdit(str(start_path) if start_path else "")
        self.file_edit.setAccessibleName("File to import")
        self.file_edit.setPlaceholderText("The .csv or .xml file")
        browse = QPushButton("C&hoose file…")
        browse.setAccessibleName("Choose the file to import")
        browse.clicked.connect(self.choose_file)
        self.file_message = FieldMessage("file")
        row = QHBoxLayout()
        row.addWidget(self.file_edit, 1)
        row.addWidget(browse)
        self.register_check = QCheckBox("Put &new pupils on the SEMH register")
        self.register_check.setAccessibleName("Put new pupils on the SEMH register")
        register_note = QLabel(
            "An MIS export usually lists the whole school, so new pupils are added to the "
            "database but not to the SEMH register unless you tick this. Pupils already in the "
            "database keep their register status."
        )
        register_note.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        label = QLabel("&File:")
        label.setBuddy(self.file_edit)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addWidget(self.file_message)
        layout.addWidget(self.register_check)
        layout.addWidget(register_note)
        layout.addStretch(1)
        self.setTabOrder(self.file_edit, browse)
        self.setTabOrder(browse, self.register_check)
        return page

    def _mapping_page(self) -> QWidget:
        page = QWidget()
        self.mapping_info = QLabel()
        self.mapping_info.setWordWrap(True)
        self.mapping_model = MappingModel(self)
        self.mapping_view = QTableView()
        self.mapping_view.setModel(self.mapping_model)
        self.mapping_view.setAccessibleName("Column mapping")
        self.mapping_view.verticalHeader().setVisible(False)
        self.mapping_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mapping_view.horizontalHeader().setSectionResizeMode(
            MappingModel.COL_COLUMN, QHeaderView.ResizeMode.Stretch
        )
        self.mapping_view.horizontalHeader().setSectionResizeMode(
            MappingModel.COL_FIELD, QHeaderView.ResizeMode.Stretch
        )
        self.mapping_message = FieldMessage("mapping")
        layout = QVBoxLayout(page)
        layout.addWidget(self.mapping_info)
        layout.addWidget(self.mapping_view, 1)
        layout.addWidget(self.mapping_message)
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget()
        self.preview_summary = QLabel()
        self.preview_summary.setWordWrap(True)
        self.preview_summary.setAccessibleName("Preview summary")
        self.new_model = PlannedModel(self)
        self.updated_model = PlannedModel(self)
        self.unchanged_model = PlannedModel(self)
        self.error_model = ProblemModel(self)
        self.warning_model = ProblemModel(self)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Preview of the import")
        self.preview_views: dict[str, QTableView] = {}
        for key, model, name in (
            ("new", self.new_model, "New pupils"),
            ("updated", self.updated_model, "Pupils to update"),
            ("unchanged", self.unchanged_model, "Unchanged pupils"),
            ("errors", self.error_model, "Rows with errors"),
            ("warnings", self.warning_model, "Warnings"),
        ):
            view = _table(model, name)
            self.preview_views[key] = view
            self.tabs.addTab(view, name)
        layout = QVBoxLayout(page)
        layout.addWidget(self.preview_summary)
        layout.addWidget(self.tabs, 1)
        return page

    def _show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        busy = self.worker is not None
        self.back_button.setVisible(page != self.PAGE_FILE)
        self.next_button.setVisible(page != self.PAGE_PREVIEW)
        self.next_button.setText("&Preview" if page == self.PAGE_MAPPING else "&Next")
        self.import_button.setVisible(page == self.PAGE_PREVIEW)
        for button in (self.back_button, self.next_button, self.import_button):
            button.setEnabled(not busy)
        if page == self.PAGE_PREVIEW and self.preview is not None:
            count = self.preview.to_write
            self.import_button.setText(f"&Import {count} valid row{'' if count == 1 else 's'}")
            self.import_button.setEnabled(not busy and count > 0)

    # -- steps ------------------------------------------------------------------------------

    def choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Choose the file to import", self.file_edit.text(), FILE_FILTER
        )
        if chosen:
            self.file_edit.setText(chosen)

    def go_next(self) -> None:
        page = self.pages.currentIndex()
        if page == self.PAGE_FILE:
            self.read_file()
        elif page == self.PAGE_MAPPING:
            self.start_preview()

    def go_back(self) -> None:
        page = self.pages.currentIndex()
        if page == self.PAGE_PREVIEW and isinstance(self.source, CsvTable):
            self._show_page(self.PAGE_MAPPING)
        else:
            self._show_page(self.PAGE_FILE)

    def read_file(self) -> None:
        self.file_message.clear_message()
        text = self.file_edit.text().strip()
        if not text:
            self.file_message.show_error("Choose the file to import.")
            return
        path = Path(text)
        self._run(
            "Reading the file…",
            BackgroundTask.plain(
                lambda _progress, _cancelled: pupil_import.read_import_file(path), self
            ),
            self._file_read,
            on_error=self.file_message.show_error,
        )

    def _file_read(self, source: object) -> None:
        assert isinstance(source, CsvTable | CtfFile)
        self.source = source
        if isinstance(source, CsvTable):
            suggestion = suggested_mapping(self.store, source.headers)
            how = (
                "the mapping you confirmed last time for these columns"
                if suggestion.remembered
                else "a guess from the column names"
            )
            self.mapping_info.setText(
                f"{pupil_import.describe_source(source)}. Check what each column imports as "
                f"(filled in with {how}); choose “{NOT_IMPORTED_LABEL}” for columns to leave out."
            )
            self._fill_mapping(source, suggestion.fields)
            self._show_page(self.PAGE_MAPPING)
        else:
            self.start_preview()

    def _fill_mapping(self, source: CsvTable, fields: Sequence[str]) -> None:
        pairs = enumerate(zip(source.headers, fields, strict=True))
        self.mapping_model.set_rows(
            [(header, source.filled(column), field) for column, (header, field) in pairs]
        )
        self.field_combos = []
        previous: QWidget = self.next_button
        for row, field in enumerate(fields):
            combo = QComboBox()
            combo.setAccessibleName(f"Field for column {source.headers[row] or row + 1}")
            for name, text in FIELD_CHOICES:
                combo.addItem(text, name)
            combo.setCurrentIndex(max(0, combo.findData(field)))
            combo.currentIndexChanged.connect(lambda _i, r=row, c=combo: self._field_chosen(r, c))
            self.mapping_view.setIndexWidget(
                self.mapping_model.index(row, MappingModel.COL_FIELD), combo
            )
            self.field_combos.append(combo)
            self.setTabOrder(previous, combo)
            previous = combo

    def _field_chosen(self, row: int, combo: QComboBox) -> None:
        self.mapping_model.set_field(row, str(combo.currentData()))
        self.mapping_message.clear_message()

    def mapping(self) -> tuple[str, ...]:
        return self.mapping_model.fields()

    def start_preview(self) -> None:
        source = self.source
        if source is None:
            return
        mapping: tuple[str, ...] | None = None
        if isinstance(source, CsvTable):
            mapping = self.mapping()
            try:
                check_mapping(source.headers, mapping)
            except SemhError as exc:
                self.mapping_message.show_error(exc.message)
                return
        on_register = self.register_check.isChecked()
        self._run(
            "Checking every row…",
            BackgroundTask.on_store(
                self.store,
                lambda store, progress, cancelled: pupil_import.preview_import(
                    store,
                    source,
                    mapping=mapping,
                    on_register=on_register,
                    progress=progress,
                    cancelled=cancelled,
                ),
                self,
            ),
            self._previewed,
            on_error=(
                self.mapping_message.show_error
                if mapping is not None
                else self.file_message.show_error
            ),
        )

    def _previewed(self, preview: object) -> None:
        assert isinstance(preview, ImportPreview)
        self.preview = preview
        self.new_model.set_rows(preview.new)
        self.updated_model.set_rows(preview.updated)
        self.unchanged_model.set_rows(preview.unchanged)
        self.error_model.set_rows(preview.errors)
        self.warning_model.set_rows(preview.warnings)
        counts = (
            ("New", len(preview.new)),
            ("Updated", len(preview.updated)),
            ("Unchanged", len(preview.unchanged)),
            ("Errors", preview.error_rows),
            ("Warnings", len(preview.warnings)),
        )
        for tab, (name, count) in enumerate(counts):
            self.tabs.setTabText(tab, f"{name} ({count})")
        register = (
            "will be put on the SEMH register"
            if preview.on_register
            else "will not be on the SEMH register"
        )
        self.preview_summary.setText(
            f"{preview.description}.\n{len(preview.new)} new (they {register}), "
            f"{len(preview.updated)} to update, {len(preview.unchanged)} unchanged, "
            f"{preview.error_rows} row{'' if preview.error_rows == 1 else 's'} with errors "
            "(not imported). Updates never clear a value the file leaves empty."
        )
        first_with_rows = next((i for i, (_, count) in enumerate(counts) if count), 0)
        self.tabs.setCurrentIndex(3 if preview.error_rows else first_with_rows)
        self._show_page(self.PAGE_PREVIEW)

    def start_import(self) -> None:
        preview = self.preview
        if preview is None or preview.to_write == 0:
            return
        self._run(
            "Importing…",
            BackgroundTask.on_store(
                self.store,
                # The job's connection collects what the import changed; the GUI thread
                # announces it (_imported) so every screen re-reads.
                lambda store, progress, cancelled: changes.run(
                    store,
                    lambda: pupil_import.apply_import(
                        store, preview, progress=progress, cancelled=cancelled
                    ),
                ),
                self,
            ),
            self._imported,
            on_error=self._import_failed,
        )

    def _imported(self, result: object) -> None:
        assert isinstance(result, Written) and isinstance(result.value, ImportResult)
        self.result_of_import = result.value
        operations.announce(self.store, result.changes)
        self.accept()

    def _import_failed(self, message: str) -> None:
        self.status.setText(message)

    # -- the worker -------------------------------------------------------------------------

    def _run(
        self,
        label: str,
        task: BackgroundTask[object],
        done: Callable[[object], None],
        *,
        on_error: Callable[[str], None],
    ) -> None:
        self.worker = task
        self._after_work = (done, on_error)
        self.status.setText(label)
        self.progress.setRange(0, 0)  # busy until the first figure arrives
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self._show_page(self.pages.currentIndex())
        # Slots of this dialog (a QObject in the GUI thread), so no closure outlives the task.
        task.progressed.connect(self._worker_progressed)
        task.settled.connect(self._worker_settled)
        task.start()

    @Slot(int, int, str)
    def _worker_progressed(self, done_rows: int, total: int, _what: str = "") -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done_rows)

    @Slot(object)
    def _worker_settled(self, outcome: Outcome[object]) -> None:
        task = self.worker
        if task is None:  # already settled by done() when the dialog closed
            return
        self.worker = None
        done, on_error = self._after_work
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self._show_page(self.pages.currentIndex())
        self.status.setText("")
        if outcome.cancelled:
            self.status.setText("Cancelled. Nothing was changed.")
        elif not outcome.ok:
            on_error(outcome.message)
        else:
            done(outcome.value)
        task.deleteLater()

    def cancel_work(self) -> None:
        if self.worker is not None:
            self.status.setText("Cancelling…")
            self.worker.cancel()

    def done(self, code: int) -> None:
        """Closing while work runs cancels it and waits, so nothing is left half-done."""
        task = self.worker
        if task is not None:
            self.worker = None
            task.cancel()
            outcome = task.wait()
            written = outcome.value
            if isinstance(written, Written) and isinstance(written.value, ImportResult):
                # It committed before the cancel: the screens still hear what changed.
                self.result_of_import = written.value
                operations.announce(self.store, written.changes)
            task.deleteLater()
        super().done(code)

    @classmethod
    def ask(cls, store: Store, parent: QWidget | None = None) -> ImportResult | None:
        dialog = cls(store, parent)
        drafts.run_modal(dialog)
        return dialog.result_of_import


def install_import_action(window: MainWindow) -> None:
    """File > Import pupils… in the main window (a `ui.extensions.WINDOW_EXTENSIONS` entry)."""

    def run_import() -> None:
        store = window.store
        if store is None:
            return
        ImportDialog.ask(store, window)  # the change broadcast re-reads the caseload

    window.add_action("File", "&Import pupils…", run_import, shortcut="Ctrl+I", needs_edit=True)
