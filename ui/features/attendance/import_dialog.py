"""File > Import suspensions or attendance (CSV)…: preview each row; all valid rows or none.

The window reads the file with `semh_desktop.attendance_import.read_import` (which writes
nothing) and hands the preview to this dialog; the dialog never touches the database. It lists
the rows that will be added and every refused row with its line number and reason. "Import N
valid rows" accepts; Cancel leaves the database exactly as it was. The window then stores the
rows with `apply_import` in one audited transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.exchange.mis_import.attendance import ImportPreview, apply_import, read_import
from ui.common import drafts, operations, theme
from ui.common.table_model import RecordsModel
from ui.common.table_view import records_view
from ui.features.attendance.models import (
    ImportErrorsModel,
    ImportRowsModel,
)

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

FILE_FILTER = "CSV files (*.csv *.txt);;All files (*)"


def _view(model: RecordsModel[object], name: str) -> QTableView:
    view = records_view(
        name,
        model,
        object_name=name.replace(" ", "_").lower(),
        alternating=False,
        single_selection=False,
    )
    return view


class AttendanceImportDialog(QDialog):
    def __init__(self, preview: ImportPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attendanceImportDialog")
        self.setWindowTitle(f"Import {preview.kind_label.lower()}")
        self.setModal(True)
        self.preview = preview
        self.summary = QLabel(preview.summary())
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        theme.set_role(self.summary, "heading")
        name = f" from {preview.file_name}" if preview.file_name else ""
        intro = QLabel(
            f"{preview.kind_label}{name}. Nothing has been saved yet. Import adds "
            "only the valid rows, all together; Cancel adds nothing."
        )
        intro.setWordWrap(True)
        self.rows_model = ImportRowsModel(self)
        self.rows_model.set_rows(preview.rows)
        self.errors_model = ImportErrorsModel(self)
        self.errors_model.set_rows(preview.errors)
        self.rows_view = _view(self.rows_model, "Rows to import")  # type: ignore[arg-type]
        self.errors_view = _view(self.errors_model, "Rows with problems")  # type: ignore[arg-type]
        rows_label = QLabel(f"&Valid rows ({len(preview.rows)})")
        rows_label.setBuddy(self.rows_view)
        errors_label = QLabel(
            f"Rows with &problems ({len(preview.errors)}): "
            "fix them in the file and import it again if needed"
        )
        errors_label.setBuddy(self.errors_view)
        errors_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        count = len(preview.rows)
        self.import_button: QPushButton = self.buttons.addButton(
            f"Import {count} valid row{'s' if count != 1 else ''}",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.import_button.setEnabled(count > 0)
        self.import_button.setAccessibleName("Import the valid rows")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)  # Enter must not import by accident
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (
            self.summary,
            intro,
            rows_label,
            self.rows_view,
            errors_label,
            self.errors_view,
            self.buttons,
        ):
            layout.addWidget(widget)
        self.resize(820, 560)

    @classmethod
    def ask(cls, preview: ImportPreview, parent: QWidget | None = None) -> bool:
        """Show the preview; True if the person chose to import the valid rows."""
        dialog = cls(preview, parent)
        accepted = drafts.run_modal(dialog) == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        return accepted


def run_attendance_import(window: MainWindow, path: Path | None = None) -> int:
    """Choose a file, preview it, and import the valid rows if accepted; rows imported."""
    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(
            window, "Import suspensions or attendance", "", FILE_FILTER
        )
        if not chosen:
            return 0
        path = Path(chosen)
    try:
        data = path.read_bytes()
    except OSError as exc:
        QMessageBox.warning(window, "Import", f"The file could not be read: {exc.strerror}.")
        return 0
    preview = window.run_guarded(
        lambda: read_import(window.store, data, file_name=path.name), "Import"
    )
    if preview is None:
        return 0
    if not AttendanceImportDialog.ask(preview, window):
        window.statusBar().showMessage("Import cancelled: nothing was added.", 5000)
        return 0
    # The change broadcast re-reads the imported pupils' screens (and the caseload if shown).
    result = operations.run_write(
        window, window.store, lambda: apply_import(window.store, preview), title="Import"
    )
    if result is None:
        return 0
    window.statusBar().showMessage(
        f"Imported {result.imported} row(s) for {result.pupils} pupil(s); "
        f"{result.skipped} row(s) with problems were left out.",
        8000,
    )
    return result.imported


def install_attendance_import(window: MainWindow) -> None:
    """File > Import suspensions or attendance (CSV)… (a WINDOW_EXTENSIONS entry)."""
    window.add_action(
        "File",
        "Import &suspensions or attendance (CSV)…",
        lambda: run_attendance_import(window),
        needs_edit=True,
        tip="Add suspensions or attendance figures for many pupils from one "
        "CSV file, matched by UPN",
    )
