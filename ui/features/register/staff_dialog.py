"""Settings > Staff profiles: who can sign in, and (for a SENCO) adding, resetting, disabling.

The dialog is handed the rows (each profile and how it signs in) and, for a SENCO, a
`StaffActions` of callables the window wraps around the domain (staff.add_staff,
reset_passphrase, disable_staff); it never queries the database itself. Every refusal is
shown in the domain's words beside the field it concerns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.register.staff import ROLES, Staff
from ui.common import theme
from ui.common.form_dialog import FormSection, exec_dialog
from ui.common.table_model import Column, RowsModel

COL_NAME, COL_ROLE, COL_SIGN_IN = range(3)
MIN_ONE_TIME = 8


@dataclass(frozen=True)
class StaffRow:
    staff: Staff
    signs_in: str  # "Own passphrase", "One-time passphrase (not changed yet)", ...


@dataclass(frozen=True)
class StaffActions:
    """What a SENCO can do here; each raises a SemhError with a message when refused."""

    add: Callable[[str, str, str], Staff]  # name, role, one-time passphrase
    reset: Callable[[str, str], None]  # staff id, new one-time passphrase
    disable: Callable[[str], None]  # staff id
    rows: Callable[[], list[StaffRow]]  # read again after a change
    me: str | None = None  # the SENCO's own profile (cannot be disabled here)


def _person(row: StaffRow | Staff) -> Staff:
    # A bare Staff is accepted too (tests/gui/test_table_models.py fills the model with them).
    return row.staff if isinstance(row, StaffRow) else row


def _signs_in(row: StaffRow | Staff) -> str:
    return row.signs_in if isinstance(row, StaffRow) else ""


class StaffModel(RowsModel[StaffRow | Staff]):
    COLUMNS = (
        Column[StaffRow | Staff](
            "Name", lambda r: _person(r).name, lambda r: _person(r).name.casefold()
        ),
        Column[StaffRow | Staff](
            "Role", lambda r: _person(r).role_label, lambda r: _person(r).role_label
        ),
        Column[StaffRow | Staff]("Signs in with", _signs_in, _signs_in),
    )


def _secret(name: str, accessible: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(accessible)
    return edit


def one_time_errors(one_time: str, again: str) -> dict[str, str]:
    """The window's own checks of a one-time passphrase typed twice (the domain checks too)."""
    if len(one_time.strip()) < MIN_ONE_TIME:
        return {
            "one_time": f"Use at least {MIN_ONE_TIME} characters. The person types it once and "
            "then chooses their own."
        }
    if one_time != again:
        return {"again": "The two passphrases are not the same. Type it twice."}
    return {}


def confirm_disable(parent: QWidget, name: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Disable profile",
        f"Disable {name}'s profile?\n\nThey can no longer sign in. Everything they recorded "
        "is kept, with their name on it.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class StaffProfilesDialog(QDialog):
    def __init__(
        self,
        rows: Sequence[StaffRow],
        actions: StaffActions | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("staffProfilesDialog")
        self.setWindowTitle("Staff profiles")
        self._actions = actions
        self.added: list[Staff] = []

        self.model = StaffModel(self)
        self.model.set_rows(rows)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Staff profiles")
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_SIGN_IN, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(170)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.status = QLabel()
        self.status.setObjectName("staffStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.setSpacing(12)
        note = QLabel(
            "Each person signs in with their own profile and passphrase; every change is "
            "recorded under it. Read-only profiles can look but not change."
        )
        note.setWordWrap(True)
        theme.set_role(note, "muted")
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addLayout(self._build_row_buttons())
        layout.addWidget(self.status)
        layout.addWidget(self._build_add_form())
        layout.addWidget(self._build_reset_form())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        if actions is None:
            for widget in (self.add_form, self.reset_form, self.disable_button):
                widget.setEnabled(False)
                widget.setToolTip("Only a SENCO can manage staff profiles.")
            self.reset_button.setEnabled(False)
        self._update_buttons()
        self.resize(620, 680)

    # -- building ----------------------------------------------------------------------------

    def _build_row_buttons(self) -> QHBoxLayout:
        self.reset_button = QPushButton("Reset passphrase…")
        self.reset_button.setAccessibleName("Reset the selected profile's passphrase")
        self.reset_button.clicked.connect(self._start_reset)
        self.disable_button = QPushButton("Disable profile…")
        self.disable_button.setAccessibleName("Disable the selected profile")
        self.disable_button.clicked.connect(self.disable_selected)
        row = QHBoxLayout()
        row.addWidget(self.reset_button)
        row.addWidget(self.disable_button)
        row.addStretch(1)
        return row

    def _build_add_form(self) -> FormSection:
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("staffName")
        self.name_edit.setAccessibleName("New staff member's name")
        self.role_combo = QComboBox()
        self.role_combo.setAccessibleName("Role")
        for code, label in ROLES.items():
            self.role_combo.addItem(label, code)
        self.role_combo.setCurrentIndex(self.role_combo.findData("pastoral"))
        self.one_time_edit = _secret("staffOneTime", "One-time passphrase")
        self.one_time_again = _secret("staffOneTimeAgain", "One-time passphrase again")
        self.add_button = QPushButton("Add profile")
        self.add_button.setAccessibleName("Add profile")
        self.add_button.clicked.connect(self._add_clicked)
        group = FormSection("Add a staff profile")
        group.add_field("name", "&Name", self.name_edit)
        group.add_plain("&Role", self.role_combo)
        group.add_field("one_time", "&One-time passphrase", self.one_time_edit)
        group.add_field("again", "&Type it again", self.one_time_again)
        hint = QLabel(
            "Give this passphrase to the person yourself (not by email). They type it once "
            "and then choose their own, which nobody else knows."
        )
        hint.setWordWrap(True)
        theme.set_role(hint, "hint")
        group.add_row(hint)
        group.add_row(self.add_button)
        self.add_form = group
        self.name_message = group.message("name")
        self.one_time_message = group.message("one_time")
        self.again_message = group.message("again")
        return group

    def _build_reset_form(self) -> FormSection:
        self.reset_edit = _secret("staffReset", "New one-time passphrase")
        self.reset_again = _secret("staffResetAgain", "New one-time passphrase again")
        self.reset_ok = QPushButton("Set one-time passphrase")
        self.reset_ok.setAccessibleName("Set the one-time passphrase")
        self.reset_ok.clicked.connect(self.reset_selected)
        group = FormSection("Reset a forgotten passphrase")
        group.add_field("one_time", "&New one-time passphrase", self.reset_edit)
        group.add_field("again", "Type it &again", self.reset_again)
        group.add_row(self.reset_ok)
        group.setVisible(False)
        self.reset_form = group
        self.reset_message = group.message("one_time")
        self.reset_again_message = group.message("again")
        return group

    # -- state -------------------------------------------------------------------------------

    def selected(self) -> StaffRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = self.model.row_at(rows[0].row())
        return row if isinstance(row, StaffRow) else StaffRow(row, "")

    def select_name(self, name: str) -> bool:
        for position, row in enumerate(self.model.rows()):
            if _person(row).name == name:
                self.table.selectRow(position)
                return True
        return False

    def _update_buttons(self, *_args: object) -> None:
        chosen = self.selected()
        allowed = self._actions is not None and chosen is not None
        self.reset_button.setEnabled(allowed)
        mine = (
            chosen is not None and self._actions is not None and chosen.staff.id == self._actions.me
        )
        self.disable_button.setEnabled(allowed and not mine)
        if chosen is None:
            self.reset_form.setVisible(False)
        else:
            self.reset_form.setTitle(f"Reset {chosen.staff.name}'s passphrase")

    def _say(self, text: str, kind: str = "muted") -> None:
        self.status.setText(text)
        self.status.setAccessibleName(text)
        theme.set_role(self.status, kind)
        self.status.setVisible(bool(text))

    def _reload(self) -> None:
        if self._actions is None:
            return
        try:
            self.model.set_rows(self._actions.rows())
        except SemhError as exc:
            self._say(exc.message, "error")

    # -- actions -----------------------------------------------------------------------------

    def _add_clicked(self) -> None:
        if self._actions is None:
            return
        one_time = self.one_time_edit.text()
        errors: dict[str, str] = {}
        if not self.name_edit.text().strip():
            errors["name"] = "Enter the staff member's name."
        errors.update(one_time_errors(one_time, self.one_time_again.text()))
        if not errors:
            try:
                profile = self._actions.add(
                    self.name_edit.text(), str(self.role_combo.currentData()), one_time
                )
            except ValidationError as exc:
                field = {"passphrase": "one_time"}.get(exc.field or "", exc.field or "name")
                errors[field if field in self.add_form.fields else "name"] = exc.message
            except SemhError as exc:
                errors["name"] = exc.message
        if not self.add_form.show_errors(errors):
            if "name" not in errors:
                self.one_time_edit.clear()
                self.one_time_again.clear()
            return
        self.name_edit.clear()
        self.one_time_edit.clear()
        self.one_time_again.clear()
        self.added.append(profile)
        self._reload()
        self.select_name(profile.name)
        self._say(
            f"Added {profile.name}. Give them the one-time passphrase yourself: they choose "
            "their own the first time they sign in."
        )

    def _start_reset(self) -> None:
        chosen = self.selected()
        if chosen is None or self._actions is None:
            return
        self.reset_form.setTitle(f"Reset {chosen.staff.name}'s passphrase")
        self.reset_form.setVisible(True)
        self.reset_form.show_errors({})
        self.reset_edit.setFocus()

    def reset_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or self._actions is None:
            return
        one_time = self.reset_edit.text()
        errors = one_time_errors(one_time, self.reset_again.text())
        if not errors:
            try:
                self._actions.reset(chosen.staff.id, one_time)
            except SemhError as exc:
                errors["one_time"] = exc.message
        self.reset_edit.clear()
        self.reset_again.clear()
        if not self.reset_form.show_errors(errors):
            return
        self.reset_form.setVisible(False)
        self._reload()
        self.select_name(chosen.staff.name)
        self._say(
            f"{chosen.staff.name} now has a one-time passphrase. Give it to them yourself: "
            "they choose their own when they next sign in."
        )

    def disable_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or self._actions is None:
            return
        if not confirm_disable(self, chosen.staff.name):
            return
        try:
            self._actions.disable(chosen.staff.id)
        except SemhError as exc:
            self._say(exc.message, "error")
            return
        self._reload()
        self._say(f"{chosen.staff.name}'s profile is disabled: they can no longer sign in.")

    @classmethod
    def ask(
        cls, parent: QWidget | None, rows: Sequence[StaffRow], actions: StaffActions | None
    ) -> list[Staff]:
        dialog = cls(rows, actions, parent)
        exec_dialog(dialog)
        return dialog.added
