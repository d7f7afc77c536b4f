"""The graduated-response template editor (Settings ▸ Graduated-response template…).

Phases on the left, the chosen phase's name, description and checklist items on the right.
Saving stores a new version of the school's template (answers already given keep the version
they were given against). Import adopts another authority's file as the school's template;
export writes the school's saved template to a file to share.

The dialog never touches the database: it is handed the template and three functions
(save, import, export) that the window builds from the domain.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.errors import SemhError
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.templates import (
    ChecklistItem,
    Phase,
    Template,
    TemplateError,
    TemplateVersion,
)
from ui.common import drafts, operations, theme

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

Index = QModelIndex | QPersistentModelIndex


def describe_problem(problem: str) -> str:
    """'phases[1].items[3].id: missing' -> 'Phase 2, item 4, id: missing' (for people)."""
    where, _, message = problem.partition(": ")
    where = re.sub(r"phases\[(\d+)\]", lambda m: f"Phase {int(m.group(1)) + 1}", where)
    where = re.sub(r"\.items\[(\d+)\]", lambda m: f", item {int(m.group(1)) + 1}", where)
    where = where.replace(".", ", ")
    return f"{where}: {message}"


@dataclasses.dataclass
class EditablePhase:
    id: str
    name: str
    description: str
    items: list[ChecklistItem]


class PhasesModel(QAbstractListModel):
    """The phases being edited (names shown; the editor changes them in place)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phases: list[EditablePhase] = []

    def set_rows(self, phases: list[EditablePhase]) -> None:
        self.beginResetModel()
        self.phases = phases
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.phases)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.phases):
            return None
        phase = self.phases[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{index.row() + 1}. {phase.name or '(no name)'} ({len(phase.items)} items)"
        return None

    def phase_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row), self.index(row))


class ChecklistItemsModel(QAbstractTableModel):
    """The items of one phase, editable in place: id (new items only), text, guidance, evidence."""

    COL_ID, COL_TEXT, COL_GUIDANCE, COL_EVIDENCE = range(4)
    HEADERS = ("Id", "Checklist item", "Guidance", "Evidence required")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[ChecklistItem] = []
        self.saved_ids: set[str] = set()  # ids already in a stored version: not renamed

    def set_rows(self, items: list[ChecklistItem], saved_ids: set[str]) -> None:
        self.beginResetModel()
        self.items = items
        self.saved_ids = saved_ids
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.COL_EVIDENCE:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if index.column() == self.COL_ID and self.items[index.row()].id in self.saved_ids:
            return base  # answers point at this id: renaming it would orphan them
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        column = index.column()
        if column == self.COL_EVIDENCE:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if item.evidence_required else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return "evidence required" if item.evidence_required else "no evidence required"
            return None
        value = {self.COL_ID: item.id, self.COL_TEXT: item.text, self.COL_GUIDANCE: item.guidance}[
            column
        ]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            return value or None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return value or "empty"
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        item = self.items[index.row()]
        column = index.column()
        if column == self.COL_EVIDENCE and role == Qt.ItemDataRole.CheckStateRole:
            checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
            self.items[index.row()] = dataclasses.replace(item, evidence_required=checked)
        elif role == Qt.ItemDataRole.EditRole and column != self.COL_EVIDENCE:
            text = str(value).strip()
            if column == self.COL_ID:
                item = dataclasses.replace(item, id=text)
            elif column == self.COL_TEXT:
                item = dataclasses.replace(item, text=text)
            else:
                item = dataclasses.replace(item, guidance=text)
            self.items[index.row()] = item
        else:
            return False
        self.dataChanged.emit(index, index)
        return True


class TemplateEditorDialog(QDialog):
    def __init__(
        self,
        version: TemplateVersion,
        save: Callable[[Template], TemplateVersion],
        import_file: Callable[[Path], TemplateVersion],
        export_file: Callable[[Path], Path],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Graduated-response template")
        self._save = save
        self._import = import_file
        self._export = export_file
        self.version = version
        self.saved_versions = 0

        layout = QVBoxLayout(self)
        self.version_label = QLabel()
        theme.set_role(self.version_label, "muted")
        layout.addWidget(self.version_label)
        top = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Template name")
        self.authority_edit = QLineEdit()
        self.authority_edit.setAccessibleName("Authority or author")
        top.addRow("Template &name", self.name_edit)
        top.addRow("&Authority", self.authority_edit)
        layout.addLayout(top)

        splitter = QSplitter()
        left = QGroupBox("Phases")
        left_layout = QVBoxLayout(left)
        self.phases_model = PhasesModel(self)
        self.phase_list = QListView()
        self.phase_list.setAccessibleName("Phases")
        self.phase_list.setModel(self.phases_model)
        self.phase_list.selectionModel().currentChanged.connect(self._on_phase_chosen)
        left_layout.addWidget(self.phase_list)
        phase_buttons = QHBoxLayout()
        self.add_phase_button = self._button("Add phase", self.add_phase, phase_buttons)
        self.remove_phase_button = self._button("Remove", self.remove_phase, phase_buttons)
        self.phase_up_button = self._button("Up", lambda: self.move_phase(-1), phase_buttons)
        self.phase_down_button = self._button("Down", lambda: self.move_phase(1), phase_buttons)
        left_layout.addLayout(phase_buttons)
        splitter.addWidget(left)

        right = QGroupBox("Phase")
        right_layout = QVBoxLayout(right)
        form = QFormLayout()
        self.phase_name_edit = QLineEdit()
        self.phase_name_edit.setAccessibleName("Phase name")
        self.phase_name_edit.textEdited.connect(self._phase_name_edited)
        self.phase_description_edit = QPlainTextEdit()
        self.phase_description_edit.setAccessibleName("Description of need at this phase")
        self.phase_description_edit.setTabChangesFocus(True)
        self.phase_description_edit.setFixedHeight(64)
        self.phase_description_edit.textChanged.connect(self._phase_description_edited)
        form.addRow("Phase na&me", self.phase_name_edit)
        form.addRow("&Description", self.phase_description_edit)
        right_layout.addLayout(form)
        self.items_model = ChecklistItemsModel(self)
        self.items_model.dataChanged.connect(lambda *_: self._touch())
        self.items_table = QTableView()
        self.items_table.setAccessibleName("Checklist items of this phase")
        self.items_table.setModel(self.items_model)
        self.items_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items_table.setWordWrap(True)
        header = self.items_table.horizontalHeader()
        header.setSectionResizeMode(ChecklistItemsModel.COL_TEXT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(
            ChecklistItemsModel.COL_GUIDANCE, QHeaderView.ResizeMode.Interactive
        )
        header.setSectionResizeMode(
            ChecklistItemsModel.COL_EVIDENCE, QHeaderView.ResizeMode.ResizeToContents
        )
        self.items_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )  # wrapped wording shows in full
        self.items_table.setColumnWidth(ChecklistItemsModel.COL_ID, 130)
        self.items_table.setColumnWidth(ChecklistItemsModel.COL_GUIDANCE, 200)
        right_layout.addWidget(self.items_table, 1)
        item_buttons = QHBoxLayout()
        self.add_item_button = self._button("Add item", self.add_item, item_buttons)
        self.remove_item_button = self._button("Remove item", self.remove_item, item_buttons)
        self.item_up_button = self._button("Up", lambda: self.move_item(-1), item_buttons)
        self.item_down_button = self._button("Down", lambda: self.move_item(1), item_buttons)
        right_layout.addLayout(item_buttons)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([260, 840])
        layout.addWidget(splitter, 1)

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setVisible(False)
        theme.set_role(self.problems_label, "error")
        layout.addWidget(self.problems_label)

        bottom = QHBoxLayout()
        self.import_button = self._button("Import from file…", self.import_from_file, bottom)
        self.export_button = self._button("Export to file…", self.export_to_file, bottom)
        bottom.addStretch(1)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            "Save as new version", QDialogButtonBox.ButtonRole.ApplyRole
        )
        self.save_button.setAccessibleName("Save as new version")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self.name_edit.textEdited.connect(lambda _t: self._touch())
        self.authority_edit.textEdited.connect(lambda _t: self._touch())

        self._loading = False
        self.dirty = False
        self.load(version)
        self.resize(1100, 640)

    @staticmethod
    def _button(text: str, slot: Callable[[], object], layout: QHBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)  # Enter in a field must not add or remove anything
        button.setAccessibleName(text.rstrip("…"))
        button.clicked.connect(lambda _checked=False: slot())
        layout.addWidget(button)
        return button

    # -- state ---------------------------------------------------------------------------------

    def load(self, version: TemplateVersion) -> None:
        self._loading = True
        self.version = version
        template = version.template
        self.version_label.setText(
            f"The school's template: {version.label} "
            f"({gr_templates.SOURCES.get(version.source, version.source).lower()})."
        )
        self.name_edit.setText(template.name)
        self.authority_edit.setText(template.authority)
        self._saved_ids = {item.id for phase in template.phases for item in phase.items}
        self.phases_model.set_rows(
            [EditablePhase(p.id, p.name, p.description, list(p.items)) for p in template.phases]
        )
        self._loading = False
        self.dirty = False
        self.problems_label.setVisible(False)
        self._choose_phase(0)

    def _touch(self) -> None:
        if not self._loading:
            self.dirty = True
            self.export_button.setToolTip("Save first: export writes the saved template.")

    def _choose_phase(self, row: int) -> None:
        if not self.phases_model.phases:
            self._show_phase(None)
            return
        row = max(0, min(row, len(self.phases_model.phases) - 1))
        self.phase_list.setCurrentIndex(self.phases_model.index(row))
        self._show_phase(row)

    def _on_phase_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_phase(current.row() if current.isValid() else None)

    def _current_row(self) -> int | None:
        index = self.phase_list.currentIndex()
        return index.row() if index.isValid() else None

    def _show_phase(self, row: int | None) -> None:
        loading, self._loading = self._loading, True
        phase = self.phases_model.phases[row] if row is not None else None
        self.phase_name_edit.setText(phase.name if phase else "")
        self.phase_description_edit.setPlainText(phase.description if phase else "")
        self.items_model.set_rows(phase.items if phase else [], self._saved_ids)
        for widget in (
            self.phase_name_edit,
            self.phase_description_edit,
            self.items_table,
            self.add_item_button,
            self.remove_item_button,
        ):
            widget.setEnabled(phase is not None)
        self._loading = loading

    def _phase_name_edited(self, text: str) -> None:
        row = self._current_row()
        if row is not None:
            self.phases_model.phases[row].name = text
            self.phases_model.phase_changed(row)
            self._touch()

    def _phase_description_edited(self) -> None:
        row = self._current_row()
        if row is not None and not self._loading:
            self.phases_model.phases[row].description = self.phase_description_edit.toPlainText()
            self._touch()

    # -- editing ---------------------------------------------------------------------------------

    def _unused_id(self, stem: str) -> str:
        taken = {p.id for p in self.phases_model.phases}
        taken |= {i.id for p in self.phases_model.phases for i in p.items}
        number = 1
        while f"{stem}-{number}" in taken:
            number += 1
        return f"{stem}-{number}"

    def add_phase(self) -> None:
        phases = self.phases_model.phases
        phases.append(EditablePhase(self._unused_id("phase"), "New phase", "", []))
        self.phases_model.set_rows(phases)
        self._touch()
        self._choose_phase(len(phases) - 1)
        self.phase_name_edit.setFocus()
        self.phase_name_edit.selectAll()

    def remove_phase(self) -> None:
        row = self._current_row()
        if row is None:
            return
        phases = self.phases_model.phases
        del phases[row]
        self.phases_model.set_rows(phases)
        self._touch()
        self._choose_phase(row)

    def move_phase(self, step: int) -> None:
        row = self._current_row()
        phases = self.phases_model.phases
        if row is None or not 0 <= row + step < len(phases):
            return
        phases[row], phases[row + step] = phases[row + step], phases[row]
        self.phases_model.set_rows(phases)
        self._touch()
        self._choose_phase(row + step)

    def _selected_item_row(self) -> int | None:
        rows = self.items_table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        index = self.items_table.currentIndex()
        return index.row() if index.isValid() else None

    def add_item(self) -> None:
        row = self._current_row()
        if row is None:
            return
        phase = self.phases_model.phases[row]
        phase.items.append(ChecklistItem(self._unused_id(phase.id), "New checklist item"))
        self.items_model.set_rows(phase.items, self._saved_ids)
        self.phases_model.phase_changed(row)
        self._touch()
        index = self.items_model.index(len(phase.items) - 1, ChecklistItemsModel.COL_TEXT)
        self.items_table.setCurrentIndex(index)
        self.items_table.edit(index)

    def remove_item(self) -> None:
        row, item_row = self._current_row(), self._selected_item_row()
        if row is None or item_row is None:
            return
        phase = self.phases_model.phases[row]
        del phase.items[item_row]
        self.items_model.set_rows(phase.items, self._saved_ids)
        self.phases_model.phase_changed(row)
        self._touch()

    def move_item(self, step: int) -> None:
        row, item_row = self._current_row(), self._selected_item_row()
        if row is None or item_row is None:
            return
        items = self.phases_model.phases[row].items
        if not 0 <= item_row + step < len(items):
            return
        items[item_row], items[item_row + step] = items[item_row + step], items[item_row]
        self.items_model.set_rows(items, self._saved_ids)
        self._touch()
        self.items_table.selectRow(item_row + step)

    @property
    def template(self) -> Template:
        """The template as edited now (not yet checked)."""
        phases = tuple(
            Phase(p.id, p.name, p.description, tuple(p.items)) for p in self.phases_model.phases
        )
        return Template(self.name_edit.text(), phases, self.authority_edit.text())

    # -- save, import, export ------------------------------------------------------------------

    def _show_problems(self, exc: SemhError) -> None:
        problems = exc.problems if isinstance(exc, TemplateError) else [exc.message]
        shown = [describe_problem(p) for p in problems[:8]]
        more = len(problems) - len(shown)
        text = "Not saved. Please fix:\n• " + "\n• ".join(shown)
        if more > 0:
            text += f"\n…and {more} more."
        self.problems_label.setText(text)
        self.problems_label.setAccessibleName(text)
        self.problems_label.setVisible(True)

    def save(self) -> bool:
        try:
            saved = self._save(self.template)
        except SemhError as exc:
            self._show_problems(exc)
            return False
        if saved.id != self.version.id:
            self.saved_versions += 1
        self.load(saved)
        return True

    def import_from_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a graduated-response template", "", "Template files (*.json)"
        )
        if not path:
            return
        try:
            preview = gr_templates.read_template_file(Path(path))
        except SemhError as exc:
            QMessageBox.warning(self, "Template not imported", exc.message)
            return
        answer = QMessageBox.question(
            self,
            "Import template",
            f"Make “{preview.name}” ({len(preview.phases)} phases, {preview.item_count} items) "
            "the school's template? Answers already recorded keep the template they were "
            "given against." + (" Unsaved edits here will be lost." if self.dirty else ""),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            installed = self._import(Path(path))
        except SemhError as exc:
            QMessageBox.warning(self, "Template not imported", exc.message)
            return
        self.saved_versions += 1
        self.load(installed)

    def export_to_file(self) -> None:
        if self.dirty:
            answer = QMessageBox.question(
                self,
                "Export template",
                "Export writes the saved template. Save your edits as a new version first?",
            )
            if answer != QMessageBox.StandardButton.Yes or not self.save():
                return
        suggested = re.sub(r"[^A-Za-z0-9]+", "-", self.version.template.name).strip("-").lower()
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export the school's template",
            f"{suggested or 'template'}.json",
            "Template files (*.json)",
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".json":
            target = target.with_suffix(".json")
        try:
            written = self._export(target)
        except SemhError as exc:
            QMessageBox.warning(self, "Template not exported", exc.message)
            return
        QMessageBox.information(self, "Template exported", f"The template was saved to {written}.")

    def reject(self) -> None:
        if self.dirty:
            answer = QMessageBox.question(
                self, "Close the template editor", "Close without saving your edits?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().reject()


def open_template_editor(window: MainWindow) -> None:
    store = window.store
    version = window.run_guarded(lambda: gr_templates.current_template(store))
    if version is None:
        return
    dialog = TemplateEditorDialog(
        version,
        # A new template version is announced at once (every pupil's checklist changes); a
        # refused one raises, and the dialog lists its problems.
        save=lambda template: operations.run_announced(
            store, lambda: gr_templates.save_edited_template(store, template)
        ),
        import_file=lambda path: operations.run_announced(
            store, lambda: gr_templates.import_template(store, path)
        ),
        export_file=lambda path: gr_templates.export_template(store, path),
        parent=window,
    )
    try:
        drafts.run_modal(dialog)
    finally:
        dialog.deleteLater()


def install_actions(window: MainWindow) -> None:
    """Settings ▸ Graduated-response template… (needs a profile that may change records)."""
    window.add_action(
        "Settings",
        "&Graduated-response template…",
        lambda: open_template_editor(window),
        needs_edit=True,
        tip="Edit, import or export the phases and checklist items",
    )
