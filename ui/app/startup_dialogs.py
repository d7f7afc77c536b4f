"""Dialogs before the window opens: Welcome, the recovery key, converting an older database.

Welcome creates a database or opens the demo; an older database (no key slots) is converted to
personal passphrases by the person opening it.

None of them touches the database: they return what was chosen or typed, and the conversion
dialog hands what was typed to callables from ui.app that open and convert the file.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.register import sign_in
from semh_desktop.register.staff import Staff
from ui.common import theme
from ui.common.form_dialog import FormDialog, FormFields, exec_dialog

MIN_PASSPHRASE = sign_in.MIN_PASSPHRASE


@dataclass(frozen=True)
class WelcomeChoice:
    choice: str  # "create", "demo" or "open"
    staff_name: str = ""
    role: str = "senco"  # the first profile is always the SENCO's
    passphrase: str = ""
    open_path: Path | None = None


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # notes name files, which are not markup
    label.setWordWrap(True)
    theme.set_role(label, "muted")
    return label


def _choice_button(title: str, detail: str, name: str) -> QPushButton:
    button = QPushButton(f"{title}\n{detail}")
    button.setAccessibleName(title)
    button.setAccessibleDescription(detail)
    button.setObjectName(name)
    theme.set_role(button, "choice")
    button.setMinimumHeight(64)
    return button


class WelcomeDialog(QDialog):
    """First start: create a database (its first SENCO and their passphrase) or the demo."""

    def __init__(self, target: Path, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to SEMH Desktop")
        self.setWindowIcon(theme.icon("app"))
        self._target = target
        self._choice: WelcomeChoice | None = None
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_start_page())
        self.pages.addWidget(self._build_create_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.resize(600, 520)

    # -- page 1 --------------------------------------------------------------------------------

    def _build_start_page(self) -> QWidget:
        page = QWidget()
        icon_label = QLabel()
        icon_label.setPixmap(theme.icon("app").pixmap(72, 72))
        icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Welcome to SEMH Desktop")
        title.setObjectName("welcomeTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro = _note(
            "The SEMH register, graduated response and support plans for your "
            "pupils, kept in one encrypted file on this computer. Nothing is sent "
            "anywhere."
        )
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.create_button = _choice_button(
            "Create a new database",
            "For your school's pupils. Encrypted on this computer.",
            "welcomeCreate",
        )
        self.demo_button = _choice_button(
            "Open the demo school",
            "A fictional school with made-up pupils, to try things out safely.",
            "welcomeDemo",
        )
        self.open_button = QPushButton("Open a database file…")
        self.open_button.setObjectName("welcomeOpenFile")
        self.open_button.setAccessibleName("Open a database file")
        self.open_button.setFlat(True)
        self.create_button.clicked.connect(lambda: self.pages.setCurrentIndex(1))
        self.create_button.clicked.connect(lambda: self.name_edit.setFocus())
        self.demo_button.clicked.connect(self._choose_demo)
        self.open_button.clicked.connect(self._choose_file)
        quit_button = QPushButton("Quit")
        quit_button.setAccessibleName("Quit")
        quit_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.open_button)
        bottom.addStretch(1)
        bottom.addWidget(quit_button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(36, 28, 36, 20)
        layout.setSpacing(12)
        layout.addWidget(icon_label)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(12)
        layout.addWidget(self.create_button)
        layout.addWidget(self.demo_button)
        layout.addStretch(1)
        layout.addLayout(bottom)
        return page

    # -- page 2 --------------------------------------------------------------------------------

    def _build_create_page(self) -> QWidget:
        page = QWidget()
        title = QLabel("Create a new database")
        title.setObjectName("welcomeTitle")
        where = _note(f"It will be saved as {self._target}.")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        intro = _note(
            "You become its first SENCO. Everyone signs in with their own profile and "
            "passphrase; you add the other staff from Settings > Staff profiles. A recovery key "
            "is shown once for you to print and keep safe."
        )

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("welcomeStaffName")
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.setPlaceholderText("e.g. Farah Okonjo")
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setObjectName("welcomePassphrase")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName("Your passphrase")
        self.passphrase_edit.setPlaceholderText(f"At least {MIN_PASSPHRASE} characters")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setObjectName("welcomeConfirm")
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_edit.setAccessibleName("Type your passphrase again")

        person = QFormLayout()
        person.setVerticalSpacing(8)
        self.create_fields = FormFields(person)
        self.create_fields.add("staff_name", "Your &name (SENCO)", self.name_edit)
        self.create_fields.add(
            "passphrase",
            "Your &passphrase",
            self.passphrase_edit,
            hint="A few words that mean something to you. Nobody else needs to know it.",
        )
        self.create_fields.add("confirm", "Type it &again", self.confirm_edit)
        self.name_message = self.create_fields.message("staff_name")
        self.passphrase_message = self.create_fields.message("passphrase")
        self.confirm_message = self.create_fields.message("confirm")

        buttons = QDialogButtonBox()
        self.back_button = buttons.addButton("Back", QDialogButtonBox.ButtonRole.ResetRole)
        self.back_button.setAccessibleName("Back")
        self.create_ok_button = buttons.addButton(
            "Create database", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_ok_button.setObjectName("welcomeCreateOk")
        self.create_ok_button.setAccessibleName("Create database")
        theme.set_role(self.create_ok_button, "primary")
        self.back_button.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.create_ok_button.clicked.connect(self._choose_create)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(32, 24, 32, 18)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addWidget(intro)
        layout.addLayout(person)
        layout.addStretch(1)
        layout.addWidget(buttons)
        return page

    # -- choosing ------------------------------------------------------------------------------

    def _choose_demo(self) -> None:
        self._choice = WelcomeChoice("demo")
        self.accept()

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Open a SEMH Desktop database",
            str(self._target.parent),
            "SEMH Desktop databases (*.db);;All files (*)",
        )
        if name:
            self._choice = WelcomeChoice("open", open_path=Path(name))
            self.accept()

    def _choose_create(self) -> None:
        errors: dict[str, str] = {}
        name = " ".join(self.name_edit.text().split())
        if not name:
            errors["staff_name"] = "Enter your name: it becomes the first staff profile."
        passphrase = self.passphrase_edit.text()
        try:
            sign_in.check_new_passphrase(passphrase)
        except ValidationError as exc:
            errors["passphrase"] = exc.message
        if "passphrase" not in errors and passphrase != self.confirm_edit.text():
            errors["confirm"] = "The two passphrases are not the same. Type it twice."
        if not self.create_fields.show(errors):
            return
        self._choice = WelcomeChoice("create", staff_name=name, passphrase=passphrase)
        self.accept()

    @property
    def choice(self) -> WelcomeChoice | None:
        return self._choice

    @classmethod
    def ask(cls, parent: QWidget | None, target: Path) -> WelcomeChoice | None:
        dialog = cls(target, parent=parent)
        return dialog.choice if exec_dialog(dialog) else None


def grouped_key_lines(key: str, per_line: int = 7) -> list[str]:
    groups = key.split("-")
    return [" ".join(groups[i : i + per_line]) for i in range(0, len(groups), per_line)]


def recovery_key_document(key: str, database: Path, today: dt.date) -> QTextDocument:
    """The printable page: what the key is for, the key itself in large type, where it opens."""
    lines = "<br>".join(html.escape(line) for line in grouped_key_lines(key))
    document = QTextDocument()
    document.setHtml(
        "<h2>SEMH Desktop recovery key</h2>"
        f"<p>Database file: <b>{html.escape(database.name)}</b><br>"
        f"Printed {today.strftime('%d/%m/%Y')}</p>"
        f"<p style='font-family: monospace; font-size: 18pt; letter-spacing: 2px'>{lines}</p>"
        "<p>This key opens the database if every passphrase is forgotten or the key-slot "
        "file beside it is lost. Keep it somewhere safe and away from the laptop, such as "
        "the school safe. Anyone with this key and the file can read it.</p>"
    )
    return document


class RecoveryKeyDialog(QDialog):
    """Shows the recovery key once, with Print… and Save to file…; Continue needs the tick."""

    def __init__(self, key: str, database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your recovery key")
        self.key = key
        self.database = database
        title = QLabel("Keep this recovery key safe")
        title.setObjectName("welcomeTitle")
        intro = _note(
            f"It opens {database.name} if every passphrase is forgotten or the key-slot file "
            "beside it is lost. It is shown only now. Print it or save it somewhere safe away "
            "from this laptop, such as the school safe."
        )
        self.key_label = QLabel("\n".join(grouped_key_lines(key)))
        self.key_label.setObjectName("recoveryKey")
        self.key_label.setFont(theme.monospace_font(16))
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setAccessibleName("Recovery key")
        self.key_label.setAccessibleDescription(key)

        self.print_button = QPushButton("Print…")
        self.print_button.setAccessibleName("Print the recovery key")
        self.save_button = QPushButton("Save to file…")
        self.save_button.setAccessibleName("Save the recovery key to a file")
        self.print_button.clicked.connect(self.print_key)
        self.save_button.clicked.connect(self.save_key)
        self.status = QLabel()
        self.status.setObjectName("recoveryStatus")
        self.status.setWordWrap(True)
        theme.set_role(self.status, "muted")

        self.kept_check = QCheckBox("I have kept it safe")
        self.kept_check.setAccessibleName("I have kept the recovery key safe")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setAccessibleName("Continue")
        self.continue_button.setEnabled(False)
        self.continue_button.setDefault(True)
        theme.set_role(self.continue_button, "primary")
        self.kept_check.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self.accept)

        actions = QHBoxLayout()
        actions.addWidget(self.print_button)
        actions.addWidget(self.save_button)
        actions.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.kept_check)
        bottom.addStretch(1)
        bottom.addWidget(self.continue_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.key_label)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(bottom)
        self.resize(640, 420)

    def print_key(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the recovery key")
        if exec_dialog(dialog):
            self.print_to(printer)
            self.status.setText("Sent to the printer. Check that the page came out.")

    def print_to(self, printer: QPrinter) -> None:
        recovery_key_document(self.key, self.database, dt.date.today()).print_(printer)

    def save_key(self) -> None:
        suggested = str(Path.home() / f"SEMH Desktop recovery key - {self.database.stem}.txt")
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the recovery key", suggested, "Text files (*.txt)"
        )
        if not name:
            return
        text = (
            f"SEMH Desktop recovery key\nDatabase file: {self.database.name}\n\n"
            + "\n".join(grouped_key_lines(self.key))
            + "\n\nKeep this somewhere safe, away from the laptop.\n"
        )
        try:
            Path(name).write_text(text, encoding="utf-8")
        except OSError as exc:
            self.status.setText(
                f"The key could not be saved there ({exc.strerror}). "
                "Choose another place, such as a USB stick kept in the safe."
            )
            return
        self.status.setText(f"Saved to {name}. Move it off this laptop to somewhere safe.")

    def reject(self) -> None:
        # Closing without keeping the key would lose the only way back in: only with the tick.
        if self.kept_check.isChecked():
            super().reject()

    @classmethod
    def ask(cls, parent: QWidget | None, key: str, database: Path) -> None:
        exec_dialog(cls(key, database, parent))


Prove = Callable[[str], list[Staff]]  # the old passphrase or recovery key -> the profiles
Convert = Callable[[str, str], None]  # staff id, new passphrase; raises SemhError


class ConvertDialog(FormDialog[bool]):
    """An older database: prove the old key, choose your profile, set your own passphrase.

    With the key in this computer's keyring there is nothing to prove (`profiles` is handed
    in); otherwise the first step asks for the old passphrase (or the recovery key) and
    `prove` lists the profiles. `convert` rekeys the file; the dialog closes when it has.
    """

    def __init__(
        self,
        database: Path,
        *,
        profiles: list[Staff] | None,
        prove: Prove,
        convert: Convert,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Set up {database.name}", "Continue", parent)
        self.setObjectName("convertDialog")
        self.setWindowIcon(theme.icon("app"))
        self._prove = prove
        self._convert = convert
        self._profiles: list[Staff] = []
        title = QLabel(f"Personal passphrases for {database.name}")
        title.setTextFormat(Qt.TextFormat.PlainText)
        title.setObjectName("welcomeTitle")
        self.note = _note(
            "From now on each person signs in with their own profile and passphrase. Choose "
            "your profile and set your passphrase: the file is then locked with a new key, and "
            "a new recovery key is shown once (the old one stops working)."
        )
        self.old_edit = QLineEdit()
        self.old_edit.setObjectName("convertOld")
        self.old_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.staff_combo = QComboBox()
        self.staff_combo.setObjectName("convertStaff")
        self.new_edit = QLineEdit()
        self.new_edit.setObjectName("convertNew")
        self.new_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_edit.setPlaceholderText(f"At least {MIN_PASSPHRASE} characters")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setObjectName("convertConfirm")
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)

        body = QVBoxLayout()
        body.addWidget(title)
        body.addWidget(self.note)
        self.prove_box = QWidget()
        prove_form = QFormLayout(self.prove_box)
        prove_form.setContentsMargins(0, 0, 0, 0)
        self.add_field(
            "old",
            "&Old passphrase",
            self.old_edit,
            hint="The passphrase this file was opened with until now, or its recovery key.",
            form=prove_form,
        )
        self.choose_box = QWidget()
        choose_form = QFormLayout(self.choose_box)
        choose_form.setContentsMargins(0, 0, 0, 0)
        self.add_field("staff", "Your &profile", self.staff_combo, form=choose_form)
        self.add_field("passphrase", "Your new &passphrase", self.new_edit, form=choose_form)
        self.add_field("confirm", "Type it &again", self.confirm_edit, form=choose_form)
        body.addWidget(self.prove_box)
        body.addWidget(self.choose_box)
        body.addStretch(1)
        self.finish_layout(body=body)
        if profiles is not None:
            self._show_profiles(profiles)
        else:
            self.choose_box.setVisible(False)
            self.old_edit.setFocus()
        self.resize(600, 420)

    @property
    def proving(self) -> bool:
        return not self.choose_box.isVisibleTo(self)

    def _show_profiles(self, profiles: list[Staff]) -> None:
        self._profiles = list(profiles)
        self.staff_combo.clear()
        for person in self._profiles:
            self.staff_combo.addItem(f"{person.name} ({person.role_label})", person.id)
        self.prove_box.setVisible(False)
        self.choose_box.setVisible(True)
        self.ok_button.setText("Set my passphrase")
        self.ok_button.setAccessibleName("Set my passphrase")
        self.staff_combo.setFocus()
        self.fit_height()

    def read(self, errors: dict[str, str]) -> bool:
        return True

    def accept(self) -> None:
        if not self.proving:
            super().accept()
            return
        # The first step: the old key lists the profiles, then the second step is shown.
        try:
            found = self._prove(self.old_edit.text())
        except SemhError as exc:
            self.old_edit.selectAll()
            self.show_errors({"old": exc.message})
            return
        if not found:
            self.show_errors({"old": "This database has no staff profiles."})
            return
        self.show_errors({})
        self._show_profiles(found)

    def collect(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        new = self.new_edit.text()
        try:
            sign_in.check_new_passphrase(new)
        except ValidationError as exc:
            errors["passphrase"] = exc.message
        if not errors and new != self.confirm_edit.text():
            errors["confirm"] = "The two passphrases are not the same. Type it twice."
        if not errors:
            try:
                self._convert(str(self.staff_combo.currentData()), new)
            except SemhError as exc:
                errors["passphrase"] = exc.message
        return self.keep(True, errors)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        database: Path,
        *,
        profiles: list[Staff] | None,
        prove: Prove,
        convert: Convert,
    ) -> bool:
        dialog = cls(database, profiles=profiles, prove=prove, convert=convert, parent=parent)
        return dialog.run() is not None
