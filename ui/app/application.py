"""Starting the application: which database, how it is unlocked, then the main window.

`run()` is called by `semh-desktop gui` (semh_desktop/cli.py). Storage errors are shown in
plain words and end the start-up cleanly; they never crash the app.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from semh_desktop.core import locations
from semh_desktop.core.errors import KeyMissing, SemhError, StoreError, ValidationError, WrongKey
from semh_desktop.core.keystore import KeyStore, Passphrase, parse_recovery_key, passphrase_from_env
from semh_desktop.core.store import Store
from semh_desktop.demo import school as demo_school
from semh_desktop.register import staff
from semh_desktop.register.database import create_database, open_database
from ui.app.startup_dialogs import OpenDatabaseDialog, RecoveryKeyDialog, WelcomeDialog
from ui.common import settings, theme
from ui.common.background import BackgroundTask, CancelCheck, Progress, run_with_progress
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


def start(
    db: Path | None, passphrase_env: str | None, demo: bool
) -> tuple[QApplication, Session | None, int]:
    """The application and the database the person opened (None and the exit code if none)."""
    app = _application()
    _install_excepthook()
    startup = Startup()
    session = startup.begin(db, passphrase_env, demo)
    return app, session, 1 if startup.failed else 0


def open_window(session: Session) -> MainWindow:
    window = MainWindow(
        session.store,
        passphrase=session.passphrase,
        demo=session.demo,
        start_locked=session.start_locked,
        passphrase_at_first_unlock=session.passphrase_at_first_unlock,
    )
    window.show()
    return window


def serve(app: QApplication, session: Session) -> int:
    """Run the event loop until the window closes; the database is closed however it ends."""
    try:
        return int(app.exec())
    finally:
        _close_quietly(session.store)


def run(db: Path | None, passphrase_env: str | None, demo: bool) -> int:
    """Start the application; the exit code (1 if no database could be opened)."""
    app, session, code = start(db, passphrase_env, demo)
    if session is None:
        return code
    window = open_window(session)  # kept here: the window lives as long as the event loop
    try:
        return serve(app, session)
    finally:
        del window
