"""Starting the application: which database, how it is unlocked, then the main window.

`run()` is called by `semh-desktop gui` (semh_desktop/cli.py). Storage errors are shown in
plain words and end the start-up cleanly; they never crash the app.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from semh_desktop.core import locations
from semh_desktop.core.errors import KeyMissing, SemhError, StoreError, ValidationError, WrongKey
from semh_desktop.core.keystore import KeyStore, Passphrase, parse_recovery_key, passphrase_from_env
from semh_desktop.core.store import Store
from semh_desktop.demo import school as demo_school
from semh_desktop.register import pupils, staff
from semh_desktop.register.database import create_database, open_database
from ui.app.startup_dialogs import OpenDatabaseDialog, RecoveryKeyDialog, WelcomeDialog
from ui.common import settings, theme
from ui.common.background import BackgroundTask, CancelCheck, Progress, run_with_progress
from ui.features.register.pupil_dialog import PupilDialog
from ui.shell.main_window import MainWindow

APP_NAME = "SEMH Desktop"


@dataclass
class Session:
    """An open database and how the unlock screen should check the person at the keyboard."""

    store: Store
    passphrase: str | None = None  # passphrase mode: kept in memory only, to check unlocks
    demo: bool = False
    passphrase_at_first_unlock: bool = False
    start_locked: bool = True  # False straight after creating: the creator is acting already


def _close_quietly(store: Store) -> None:
    with contextlib.suppress(Exception):
        store.close()


class Startup:
    """The decisions before the window: open, create, or build the demo; ask for keys."""

    def __init__(self, keystore: KeyStore | None = None, parent: QWidget | None = None) -> None:
        self.keystore = keystore or KeyStore()
        self.parent = parent
        self.failed = False  # an error was shown (as opposed to the person choosing Quit)

    def begin(self, db: Path | None, passphrase_env: str | None, demo: bool) -> Session | None:
        if demo:
            return self.open_demo()
        path = Path(db) if db is not None else locations.default_database()
        if not path.exists():
            return self.welcome(path)
        if passphrase_env:
            return self.open_with_env(path, passphrase_env)
        return self.open_existing(path)

    # -- messages ------------------------------------------------------------------------------

    def show_error(self, path: Path, message: str) -> None:
        self.failed = True
        QMessageBox.critical(
            self.parent, APP_NAME, f"SEMH Desktop could not open {path.name}.\n\n{message}"
        )

    # -- the demo school -----------------------------------------------------------------------

    def build_demo(self, path: Path) -> bool:
        """Build the demo database with a progress dialog; False (and no file) if it failed."""

        def build(progress: Progress, _cancelled: CancelCheck) -> None:
            # A new database, so no open store to share: the job makes and closes its own.
            created = create_database(
                path,
                staff_name=demo_school.STAFF[0][0],
                role="senco",
                passphrase=Passphrase(locations.DEMO_PASSPHRASE),
            )
            try:
                demo_school.build_demo(created.store, progress=progress)
            finally:
                created.store.close()

        outcome = run_with_progress(
            self.parent,
            APP_NAME,
            "Building the demo school (fictional pupils)…",
            BackgroundTask.plain(build),
            cancellable=False,
        )
        if not outcome.ok:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            self.show_error(path, outcome.message)
            return False
        return True

    def open_demo(self) -> Session | None:
        path = locations.demo_database()
        if not path.exists() and not self.build_demo(path):
            return None
        try:
            store = open_database(path, passphrase=Passphrase(locations.DEMO_PASSPHRASE))
        except StoreError as exc:
            self.show_error(path, exc.message)
            return None
        return Session(store, locations.DEMO_PASSPHRASE, demo=True, passphrase_at_first_unlock=True)

    # -- existing databases --------------------------------------------------------------------

    def open_with_env(self, path: Path, variable: str) -> Session | None:
        try:
            passphrase = passphrase_from_env(variable)
            store = open_database(path, passphrase=passphrase)
        except StoreError as exc:
            self.show_error(path, exc.message)
            return None
        settings.remember_key_mode(path, "passphrase")
        return Session(store, passphrase.text, demo=self._is_demo(path))

    def open_existing(self, path: Path) -> Session | None:
        if settings.remembered_key_mode(path) == "passphrase":
            return self.ask_for_key(
                path, f"Type the passphrase for {path.name}.", allow_recovery=False
            )
        try:
            store = open_database(path, keystore=self.keystore)
        except KeyMissing as exc:
            return self.ask_for_key(
                path,
                f"{exc.message}\n\nIf this database uses a passphrase, choose Passphrase instead.",
                allow_recovery=True,
            )
        except WrongKey:
            return self.ask_for_key(
                path,
                "The key kept in this computer's keyring does not open this file. "
                "Type its recovery key or passphrase.",
                allow_recovery=True,
            )
        except StoreError as exc:
            self.show_error(path, exc.message)
            return None
        settings.remember_key_mode(path, "keyring")
        return Session(store, None, demo=self._is_demo(path))

    def ask_for_key(self, path: Path, message: str, *, allow_recovery: bool) -> Session | None:
        opened: list[Session] = []

        def attempt(kind: str, text: str) -> str | None:
            try:
                if kind == "passphrase":
                    if not text:
                        return "Type the passphrase."
                    store = open_database(path, passphrase=Passphrase(text))
                    opened.append(Session(store, text, demo=self._is_demo(path)))
                else:
                    key = parse_recovery_key(text)
                    store = open_database(path, recovery=key, keystore=self.keystore)
                    opened.append(Session(store, None, demo=self._is_demo(path)))
            except (ValidationError, StoreError) as exc:
                return exc.message
            return None

        if (
            not OpenDatabaseDialog.ask(
                self.parent, path, message=message, attempt=attempt, allow_recovery=allow_recovery
            )
            or not opened
        ):
            for session in opened:
                _close_quietly(session.store)
            return None
        session = opened[-1]
        settings.remember_key_mode(path, "passphrase" if session.passphrase else "keyring")
        return session

    @staticmethod
    def _is_demo(path: Path) -> bool:
        with contextlib.suppress(OSError):
            return path.resolve() == locations.demo_database().resolve()
        return False

    # -- first start ---------------------------------------------------------------------------

    def welcome(self, path: Path) -> Session | None:
        while True:
            choice = WelcomeDialog.ask(
                self.parent, path, keyring_available=self.keystore.available()
            )
            if choice is None:
                return None
            if choice.choice == "demo":
                return self.open_demo()
            if choice.choice == "open" and choice.open_path is not None:
                session = self.open_existing(choice.open_path)
                if session is not None:
                    return session
                continue
            passphrase = Passphrase(choice.passphrase) if choice.key_mode == "passphrase" else None
            try:
                created = create_database(
                    path,
                    staff_name=choice.staff_name,
                    role=choice.role,
                    passphrase=passphrase,
                    keystore=self.keystore,
                )
            except SemhError as exc:
                QMessageBox.warning(
                    self.parent, APP_NAME, f"The database was not created.\n\n{exc.message}"
                )
                continue
            settings.remember_key_mode(path, choice.key_mode)
            if created.recovery_key:
                RecoveryKeyDialog.ask(self.parent, created.recovery_key, path)
            try:
                staff.act_as(created.store, created.first_staff)
            except SemhError as exc:
                self.show_error(path, exc.message)
                _close_quietly(created.store)
                return None
            return Session(created.store, choice.passphrase or None, start_locked=False)


def _application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("semh-desktop")
    theme.apply(app)
    return app


def _install_excepthook() -> None:
    """An unexpected error is shown and logged; the window stays open and saved work is safe."""

    def hook(kind: type[BaseException], value: BaseException, trace: TracebackType | None) -> None:
        traceback.print_exception(kind, value, trace)
        if isinstance(value, KeyboardInterrupt):
            QApplication.quit()
            return
        message = (
            value.message
            if isinstance(value, SemhError)
            else (
                f"Something unexpected went wrong ({kind.__name__}: {value}). Everything already "
                "saved is safe. If it happens again, tell your IT support what you were doing."
            )
        )
        QMessageBox.warning(QApplication.activeWindow(), APP_NAME, message)

    sys.excepthook = hook


# Test hooks, for the end-to-end test under Xvfb (tests/e2e/test_window_xvfb.py) and for
# taking documentation screenshots. They are inert unless these environment variables are set:
#   SEMH_DESKTOP_AUTOSTAFF=<staff name>  unlock at start as that profile (the passphrase, when
#                                        the unlock screen asks for it, is the one the database
#                                        was just opened with)
#   SEMH_DESKTOP_SCREENSHOT=<file.png>   select the first pupil, save the window as file.png,
#                                        the add-pupil dialog (showing a check-letter error) as
#                                        file-add-pupil.png and the lock screen as
#                                        file-lock.png, then quit.
SETTLE_MS = 400


def _auto_unlock(window: MainWindow, session: Session, name: str) -> None:
    page = window.unlock_page
    for position in range(page.staff_combo.count()):
        if page.staff_combo.itemText(position).casefold().startswith(name.casefold()):
            page.staff_combo.setCurrentIndex(position)
    if page.passphrase_required and session.passphrase:
        page.passphrase_edit.setText(session.passphrase)
    page.unlock_button.click()


def _take_screenshots(window: MainWindow, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)

    def select_first() -> None:
        if window.proxy.rowCount():
            window.table.selectRow(0)

    def grab_main() -> None:
        window.grab().save(str(target))

    dialog_holder: list[PupilDialog] = []

    def open_dialog() -> None:
        dialog = PupilDialog(lambda d: pupils.validate(window.store, d), parent=window)
        dialog.legal_forename_edit.setText("Siân")
        dialog.legal_surname_edit.setText("O'Neill")
        dialog.preferred_forename_edit.setText("Zoë")
        dialog.dob_edit.setText("14/05/2013")
        dialog.upn_edit.setText("A801200005001")
        dialog.pupil_premium_check.setChecked(True)
        dialog.setModal(False)
        dialog.show()
        dialog.ok_button.click()  # shows the check-letter message next to the UPN
        dialog_holder.append(dialog)

    def grab_dialog() -> None:
        dialog = dialog_holder[0]
        dialog.grab().save(str(target.with_name(f"{target.stem}-add-pupil{target.suffix}")))
        dialog.done(0)

    def lock() -> None:
        window.lock()

    def grab_lock() -> None:
        window.grab().save(str(target.with_name(f"{target.stem}-lock{target.suffix}")))

    steps: list[tuple[int, Callable[[], object]]] = [
        (SETTLE_MS, select_first),
        (SETTLE_MS, grab_main),
        (0, open_dialog),
        (SETTLE_MS, grab_dialog),
        (0, lock),
        (SETTLE_MS, grab_lock),
        (0, window.close),
        (0, QApplication.quit),
    ]
    delay = 0
    for wait, step in steps:
        delay += wait
        QTimer.singleShot(delay, step)


def _install_test_hooks(window: MainWindow, session: Session) -> None:
    name = os.environ.get("SEMH_DESKTOP_AUTOSTAFF")
    if name and window.is_locked:
        QTimer.singleShot(0, lambda: _auto_unlock(window, session, name))
    screenshot = os.environ.get("SEMH_DESKTOP_SCREENSHOT")
    if screenshot:
        QTimer.singleShot(SETTLE_MS, lambda: _take_screenshots(window, Path(screenshot)))


def run(db: Path | None, passphrase_env: str | None, demo: bool) -> int:
    """Start the application; the exit code (1 if no database could be opened)."""
    app = _application()
    _install_excepthook()
    startup = Startup()
    session = startup.begin(db, passphrase_env, demo)
    if session is None:
        return 1 if startup.failed else 0
    window = MainWindow(
        session.store,
        passphrase=session.passphrase,
        demo=session.demo,
        start_locked=session.start_locked,
        passphrase_at_first_unlock=session.passphrase_at_first_unlock,
    )
    window.show()
    _install_test_hooks(window, session)
    try:
        return int(app.exec())
    finally:
        _close_quietly(session.store)
