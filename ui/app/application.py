"""Starting the application: which database, then the window on its sign-in screen.

`run()` is called by `semh-desktop gui` (semh_desktop/cli.py). An existing database opens on
the window's sign-in screen (each person chooses their profile and types their passphrase);
a new one is created with its first SENCO signed in; an older one (no key slots) is converted
by the person opening it. Storage errors are shown in plain words and end the start-up
cleanly; they never crash the app.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import sqlite_utils
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from semh_desktop.core import keyslots, locations
from semh_desktop.core.clock import SystemClock
from semh_desktop.core.errors import KeyMissing, SemhError, StoreError, ValidationError
from semh_desktop.core.keystore import (
    DatabaseKey,
    KeyStore,
    Passphrase,
    parse_recovery_key,
    passphrase_from_env,
)
from semh_desktop.core.store import Store, check_file_shape
from semh_desktop.demo import school as demo_school
from semh_desktop.register import sign_in
from semh_desktop.register.database import create_database, open_database
from semh_desktop.register.staff import Staff
from ui.app.startup_dialogs import ConvertDialog, RecoveryKeyDialog, WelcomeDialog
from ui.common import theme, widgets
from ui.common.background import BackgroundTask, CancelCheck, Progress, run_with_progress
from ui.shell.main_window import MainWindow

APP_NAME = "SEMH Desktop"


@dataclass
class Session:
    """The database the window opens on: closed (the window signs people in) or signed in."""

    store: Store
    demo: bool = False
    start_locked: bool = True  # False when someone signed in already (created, converted)


def _close_quietly(store: Store) -> None:
    with contextlib.suppress(Exception):
        store.close()


def closed_store(path: Path) -> Store:
    """A Store for `path` that is not open yet: the window's sign-in screen opens it in place."""
    store = Store(sqlite_utils.Database(memory=True), path, SystemClock(), key_mode="slots")
    store.suspend()
    return store


def _remove_database(path: Path) -> None:
    for leftover in (
        path,
        Path(f"{path}-wal"),
        Path(f"{path}-shm"),
        keyslots.slot_path(path),
        keyslots.pending_path(path),
    ):
        with contextlib.suppress(OSError):
            leftover.unlink()


class Startup:
    """The decisions before the window: open, create, convert, or build the demo."""

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
                demo=True,
            )
            try:
                demo_school.build_demo(
                    created.store, progress=progress, passphrase=locations.DEMO_PASSPHRASE
                )
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
            _remove_database(path)
            self.show_error(path, outcome.message)
            return False
        return True

    def open_demo(self) -> Session | None:
        path = locations.demo_database()
        if path.exists() and sign_in.needs_conversion(path):
            _remove_database(path)  # an older demo (fictional data): built again with slots
        if not path.exists() and not self.build_demo(path):
            return None
        try:
            check_file_shape(path)
        except StoreError as exc:
            self.show_error(path, exc.message)
            return None
        return Session(closed_store(path), demo=True)

    # -- existing databases --------------------------------------------------------------------

    def open_with_env(self, path: Path, variable: str) -> Session | None:
        """A passphrase from the environment (scripts): signed in before the window opens."""
        try:
            passphrase = passphrase_from_env(variable)
            store = open_database(path, passphrase=passphrase, keystore=self.keystore)
        except StoreError as exc:
            self.show_error(path, exc.message)
            return None
        if store.converted_recovery_key:
            RecoveryKeyDialog.ask(self.parent, store.converted_recovery_key, path)
        return Session(store, demo=self._is_demo(path), start_locked=False)

    def open_existing(self, path: Path) -> Session | None:
        try:
            check_file_shape(path)
        except StoreError as exc:
            self.show_error(path, exc.message)
            return None
        if sign_in.needs_conversion(path):
            return self.convert(path)
        return Session(closed_store(path), demo=self._is_demo(path))

    def convert(self, path: Path) -> Session | None:
        """An older database: the person opening it proves the old key and sets their own."""
        legacy: list[DatabaseKey] = []
        profiles: list[Staff] | None = None
        try:
            key = self.keystore.load(path)
        except (KeyMissing, StoreError):
            pass  # passphrase mode (or no keyring): the old passphrase is asked for
        else:
            try:
                profiles = sign_in.legacy_staff(path, key)
                legacy.append(key)
            except StoreError:
                profiles = None  # the keyring's key does not open it: ask instead

        def prove(text: str) -> list[Staff]:
            if not text:
                raise ValidationError("Type the passphrase this file was opened with until now.")
            candidates: list[DatabaseKey] = [Passphrase(text)]
            with contextlib.suppress(ValidationError):
                candidates.insert(0, parse_recovery_key(text))
            for candidate in candidates:
                with contextlib.suppress(StoreError):
                    found = sign_in.legacy_staff(path, candidate)
                    legacy[:] = [candidate]
                    return found
            raise StoreError(
                "That does not open this file. Type the passphrase it was opened with until "
                "now, or its recovery key as printed."
            )

        converted: list[sign_in.Converted] = []

        def convert(staff_id: str, new: str) -> None:
            if not legacy:
                raise StoreError("Type the old passphrase first.")
            converted.append(
                sign_in.convert(path, legacy[0], staff_id, new, keystore=self.keystore)
            )

        if not ConvertDialog.ask(
            self.parent, path, profiles=profiles, prove=prove, convert=convert
        ):
            return None
        if not converted:
            return None
        done = converted[-1]
        RecoveryKeyDialog.ask(self.parent, done.recovery_key, path)
        return Session(done.signed_in.store, demo=self._is_demo(path), start_locked=False)

    @staticmethod
    def _is_demo(path: Path) -> bool:
        with contextlib.suppress(OSError):
            return path.resolve() == locations.demo_database().resolve()
        return False

    # -- first start ---------------------------------------------------------------------------

    def welcome(self, path: Path) -> Session | None:
        while True:
            choice = WelcomeDialog.ask(self.parent, path)
            if choice is None:
                return None
            if choice.choice == "demo":
                return self.open_demo()
            if choice.choice == "open" and choice.open_path is not None:
                if not choice.open_path.exists():
                    continue
                session = self.open_existing(choice.open_path)
                if session is not None:
                    return session
                continue
            try:
                created = create_database(
                    path,
                    staff_name=choice.staff_name,
                    role="senco",
                    passphrase=Passphrase(choice.passphrase),
                )
            except SemhError as exc:
                QMessageBox.warning(
                    self.parent, APP_NAME, f"The database was not created.\n\n{exc.message}"
                )
                continue
            RecoveryKeyDialog.ask(self.parent, created.recovery_key, path)
            first = created.first_staff
            _close_quietly(created.store)
            # Signed in properly (not only created): the window then holds the creator's draft
            # key, so a dialog open when it first locks is kept for them.
            try:
                signed = sign_in.sign_in(path, first.id, choice.passphrase)
            except SemhError as exc:
                self.show_error(path, exc.message)
                return None
            return Session(signed.store, start_locked=False)


def _application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("semh-desktop")
    theme.apply(app)
    # Names and free text are never read as markup, in any label or message box of the app.
    widgets.install_plain_text_guard()
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
    window = MainWindow(session.store, demo=session.demo, start_locked=session.start_locked)
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
