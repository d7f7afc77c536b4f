"""Settings > Staff profiles: the list of profiles and a form to add one.

The dialog is handed the profiles and an `add(name, role)` callable by the window (which
wraps `staff.add_staff`); it never queries the database itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.errors import SemhError
from semh_desktop.register.staff import ROLES, Staff
from ui.common import theme
from ui.common.form_dialog import FormSection
from ui.common.table_model import Column, RowsModel

COL_NAME, COL_ROLE = range(2)
AddStaff = Callable[[str, str], Staff]


class StaffModel(RowsModel[Staff]):
    COLUMNS = (
        Column[Staff]("Name", lambda s: s.name, lambda s: s.name),
        Column[Staff]("Role", lambda s: s.role_label, lambda s: s.role_label),
    )


class StaffProfilesDialog(QDialog):
    def __init__(
        self, profiles: Sequence[Staff], add: AddStaff | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Staff profiles")
        self._add = add
        self.added: list[Staff] = []

        self.model = StaffModel(self)
        self.model.set_rows(profiles)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Staff profiles")
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(160)

        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("New staff member's name")
        self.role_combo = QComboBox()
        self.role_combo.setAccessibleName("Role")
        for code, label in ROLES.items():
            self.role_combo.addItem(label, code)
        self.role_combo.setCurrentIndex(self.role_combo.findData("pastoral"))
        self.add_button = QPushButton("Add profile")
        self.add_button.setAccessibleName("Add profile")
        self.add_button.clicked.connect(self._add_clicked)

        group = FormSection("Add a staff profile")
        group.add_field("name", "&Name", self.name_edit)
        group.add_plain("&Role", self.role_combo)
        group.add_row(self.add_button)
        self.add_form = group
        self.name_message = group.message("name")
        if add is None:
            group.setEnabled(False)
            group.setToolTip("Only a SENCO profile can add staff profiles.")

        note = QLabel(
            "Each person chooses their profile when they unlock the app; every "
            "change is recorded under it. Read-only profiles can look but not change."
        )
        note.setWordWrap(True)
        theme.set_role(note, "muted")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.setSpacing(12)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(group)
        layout.addWidget(buttons)
        self.resize(480, 460)

    def _add_clicked(self) -> None:
        if self._add is None:
            return
        try:
            profile = self._add(self.name_edit.text(), str(self.role_combo.currentData()))
        except SemhError as exc:
            # The form has one field with a message: whatever was refused is said there.
            self.add_form.show_errors({"name": exc.message})
            return
        self.add_form.show_errors({})
        self.name_edit.clear()
        self.added.append(profile)
        self.model.set_rows(sorted([*self.model.rows(), profile], key=lambda s: s.name.casefold()))
