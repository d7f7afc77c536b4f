"""Dialogs before the window opens: Welcome (create or demo), the recovery key, key entry.

None of them touches the database: they return what was chosen or typed, and the key entry
dialog hands what was typed to an `attempt` callable from ui.app that tries to open the file.
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
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.register.staff import ROLES
from ui.common import theme
from ui.common.form_dialog import FormDialog, FormFields, exec_dialog

MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class WelcomeChoice:
    choice: str  # "create", "demo" or "open"
    staff_name: str = ""
    role: str = "senco"
    key_mode: str = "keyring"  # or "passphrase"
    passphrase: str = ""
    open_path: Path | None = None


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # notes name files, which are not markup
    label.setWordWrap(True)
    theme.set_role(label, "muted")
    return label


def _radio_pair(
    owner: QWidget, first: tuple[str, str], second: tuple[str, str]
) -> tuple[QRadioButton, QRadioButton]:
    """Two exclusive choices, each (text, accessible name)."""
    group = QButtonGroup(owner)
    buttons = []
    for text, name in (first, second):
        button = QRadioButton(text)
        button.setAccessibleName(name)
        group.addButton(button)
        buttons.append(button)
    return buttons[0], buttons[1]


def _choice_button(title: str, detail: str, name: str) -> QPushButton:
    button = QPushButton(f"{title}\n{detail}")
    button.setAccessibleName(title)
    button.setAccessibleDescription(detail)
    button.setObjectName(name)
    theme.set_role(button, "choice")
    button.setMinimumHeight(64)
    return button


class WelcomeDialog(QDialog):
    """First start: create a database (keyring or passphrase mode) or open the demo school."""

    def __init__(
        self, target: Path, *, keyring_available: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to SEMH Desktop")
        self.setWindowIcon(theme.icon("app"))
        self._target = target
        self._choice: WelcomeChoice | None = None
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_start_page())
        self.pages.addWidget(self._build_create_page(keyring_available))
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

    def _build_create_page(self, keyring_available: bool) -> QWidget:
        page = QWidget()
        title = QLabel("Create a new database")
        title.setObjectName("welcomeTitle")
        where = _note(f"It will be saved as {self._target}.")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("welcomeStaffName")
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.setPlaceholderText("e.g. Farah Okonjo")
        self.role_combo = QComboBox()
        self.role_combo.setAccessibleName("Your role")
        for code, label in ROLES.items():
            if code != "read_only":
                self.role_combo.addItem(label, code)

        self.keyring_radio, self.passphrase_radio = _radio_pair(
            self,
            ("Keep the key in this computer's keyring (recommended)", "Keyring mode"),
            ("Use a passphrase", "Passphrase mode"),
        )
        keyring_note = _note(
            "Opens without typing anything on this computer and account. "
            "A recovery key is shown once for you to print or save."
        )
        passphrase_note = _note(
            "You type the passphrase every time. If it is forgotten, nobody can open the file."
        )
        if keyring_available:
            self.keyring_radio.setChecked(True)
        else:
            self.keyring_radio.setEnabled(False)
            keyring_note.setText("This computer has no usable keyring, so use a passphrase.")
            self.passphrase_radio.setChecked(True)

        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setObjectName("welcomePassphrase")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName("Passphrase")
        self.passphrase_edit.setPlaceholderText(f"At least {MIN_PASSPHRASE} characters")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setObjectName("welcomeConfirm")
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_edit.setAccessibleName("Confirm passphrase")

        person = QFormLayout()
        person.setVerticalSpacing(8)
        self.create_fields = FormFields(person)
        self.create_fields.add("staff_name", "Your &name", self.name_edit)
        self.create_fields.add_plain("Your &role", self.role_combo)
        self.passphrase_box = QWidget()
        secret = QFormLayout(self.passphrase_box)
        secret.setContentsMargins(24, 0, 0, 0)
        secret.setVerticalSpacing(8)
        self.create_fields.add("passphrase", "&Passphrase", self.passphrase_edit, form=secret)
        self.create_fields.add("confirm", "&Confirm", self.confirm_edit, form=secret)
        self.name_message = self.create_fields.message("staff_name")
        self.passphrase_message = self.create_fields.message("passphrase")
        self.confirm_message = self.create_fields.message("confirm")

        key_frame = QFrame()
        key_layout = QVBoxLayout(key_frame)
        key_layout.setContentsMargins(0, 0, 0, 0)
        key_layout.setSpacing(4)
        key_heading = QLabel("How the file is locked")
        key_heading.setProperty("role", "fieldLabel")
        key_layout.addWidget(key_heading)
        key_layout.addWidget(self.keyring_radio)
        keyring_note.setContentsMargins(24, 0, 0, 6)
        key_layout.addWidget(keyring_note)
        key_layout.addWidget(self.passphrase_radio)
        passphrase_note.setContentsMargins(24, 0, 0, 4)
        key_layout.addWidget(passphrase_note)
        key_layout.addWidget(self.passphrase_box)
        self.keyring_radio.toggled.connect(self._update_mode)
        self._update_mode()

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
        layout.addLayout(person)
        layout.addWidget(key_frame)
        layout.addStretch(1)
        layout.addWidget(buttons)
        return page

    def _update_mode(self) -> None:
        self.passphrase_box.setEnabled(self.passphrase_radio.isChecked())
        self.passphrase_box.setVisible(self.passphrase_radio.isChecked())

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
        mode = "passphrase" if self.passphrase_radio.isChecked() else "keyring"
        if mode == "passphrase":
            if len(passphrase) < MIN_PASSPHRASE:
                errors["passphrase"] = (
                    f"Use at least {MIN_PASSPHRASE} characters; a short sentence is easiest "
                    "to remember."
                )
            elif passphrase != self.confirm_edit.text():
                errors["confirm"] = "The two passphrases are not the same."
        if not self.create_fields.show(errors):
            return
        self._choice = WelcomeChoice(
            "create",
            staff_name=name,
            role=str(self.role_combo.currentData()),
            key_mode=mode,
            passphrase=passphrase if mode == "passphrase" else "",
        )
        self.accept()

    @property
    def choice(self) -> WelcomeChoice | None:
        return self._choice

    @classmethod
    def ask(
        cls, parent: QWidget | None, target: Path, *, keyring_available: bool
    ) -> WelcomeChoice | None:
        dialog = cls(target, keyring_available=keyring_available, parent=parent)
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
        "<p>This key opens the database if this computer's keyring is lost (a new laptop, "
        "a rebuilt user account). Keep it somewhere safe and away from the laptop, such as "
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
            f"It is the only way to open {database.name} if this computer's keyring is lost, "
            "for example on a new laptop. It is shown only now. Print it or save it somewhere "
            "safe away from this laptop, such as the school safe."
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
        if dialog.exec() == QDialog.DialogCode.Accepted:
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


Attempt = Callable[[str, str], "str | None"]  # (kind, text) -> error message or None


class OpenDatabaseDialog(FormDialog[bool]):
    """Ask for the passphrase, or the recovery key when the keyring has no key for the file."""

    def __init__(
        self,
        database: Path,
        *,
        message: str,
        attempt: Attempt,
        allow_recovery: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Open {database.name}", "Open", parent)
        self.setWindowIcon(theme.icon("app"))
        self.outer.setContentsMargins(26, 20, 26, 16)
        self.outer.setSpacing(10)
        self._attempt = attempt
        title = QLabel(f"Open {database.name}")
        title.setTextFormat(Qt.TextFormat.PlainText)
        title.setObjectName("welcomeTitle")
        self.note = _note(message)
        self.note.setObjectName("openMessage")

        self.recovery_radio, self.passphrase_radio = _radio_pair(
            self,
            ("Recovery key", "Open with the recovery key"),
            ("Passphrase", "Open with the passphrase"),
        )
        self.recovery_radio.setChecked(allow_recovery)
        self.passphrase_radio.setChecked(not allow_recovery)
        radios = QHBoxLayout()
        radios.addWidget(self.recovery_radio)
        radios.addWidget(self.passphrase_radio)
        radios.addStretch(1)
        self.radios = QWidget()
        self.radios.setLayout(radios)
        self.radios.setVisible(allow_recovery)

        self.secret_edit = QLineEdit()
        self.secret_edit.setObjectName("openSecret")
        body = QVBoxLayout()
        for widget in (title, self.note, self.radios, self.register("secret", self.secret_edit)):
            body.addWidget(widget)
        body.addStretch(1)
        self.secret_message = self.message("secret")
        self.open_button = self.ok_button
        self.recovery_radio.toggled.connect(self._update_kind)
        self._update_kind()
        self.finish_layout(body=body)
        self.resize(560, 280)

    @property
    def kind(self) -> str:
        return "recovery" if self.recovery_radio.isChecked() else "passphrase"

    def _update_kind(self) -> None:
        if self.kind == "recovery":
            self.secret_edit.setEchoMode(QLineEdit.EchoMode.Normal)
            self.secret_edit.setFont(theme.monospace_font(11))
            self.secret_edit.setPlaceholderText("ABCD-EFGH-… as printed")
            self.secret_edit.setAccessibleName("Recovery key")
        else:
            self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.secret_edit.setFont(self.font())
            self.secret_edit.setPlaceholderText("Passphrase")
            self.secret_edit.setAccessibleName("Passphrase")
        self.form_fields.show({})

    def collect(self) -> dict[str, str]:
        # The attempt opens the file: the dialog closes only on the key that opens it.
        error = self._attempt(self.kind, self.secret_edit.text())
        if error:
            self.secret_edit.selectAll()
        return self.keep(True, {"secret": error} if error else {})

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        database: Path,
        *,
        message: str,
        attempt: Attempt,
        allow_recovery: bool,
    ) -> bool:
        dialog = cls(
            database, message=message, attempt=attempt, allow_recovery=allow_recovery, parent=parent
        )
        return dialog.run() is not None
