"""Drive the real application window the way a person would, for the end-to-end tests.

Starts the app exactly as `semh-desktop gui` does (`ui.app.application.start`, `open_window`,
`serve`), then signs in on the sign-in screen as a staff profile (typing the passphrase held in
the `--sign-in-env` variable), selects the first pupil and saves screenshots of the sign-in
screen, the window, the add-pupil dialog (showing a check-letter error) and the lock screen,
then quits. The production code has no switch for any of this; only the tests drive it.

    python -m tests.e2e.app_window --staff NAME --sign-in-env VAR --screenshot F.png [options]

`gui options` are the ones `semh-desktop gui` takes (`--db`, `--passphrase-env`, `--demo`);
with `--passphrase-env` the window opens signed in already.
tests/gui/test_startup.py runs it too (offscreen, in its own process: the event loop ends with
QApplication.quit(), which would stop later dialogs of the test process from running).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from semh_desktop.core import locations
from semh_desktop.register import pupils
from ui.app import application
from ui.app.application import Session
from ui.features.register.pupil_dialog import PupilDialog
from ui.shell.main_window import MainWindow

SETTLE_MS = 400  # time for the window to lay out and paint before each screenshot


def unlock_as(window: MainWindow, name: str, passphrase: str) -> None:
    """Choose the profile whose name starts with `name`, type the passphrase, Sign in."""
    page = window.unlock_page
    for position in range(page.staff_combo.count()):
        if page.staff_combo.itemText(position).casefold().startswith(name.casefold()):
            page.staff_combo.setCurrentIndex(position)
    page.passphrase_edit.setText(passphrase)
    page.unlock_button.click()


def take_screenshots(window: MainWindow, target: Path, *, settle_ms: int = SETTLE_MS) -> None:
    """Schedule: select the first pupil, grab, the add-pupil dialog, grab, lock, grab, quit."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dialog_holder: list[PupilDialog] = []

    def select_first() -> None:
        if window.proxy.rowCount():
            window.table.selectRow(0)

    def grab_main() -> None:
        window.grab().save(str(target))

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

    def grab_lock() -> None:
        window.grab().save(str(target.with_name(f"{target.stem}-lock{target.suffix}")))

    steps: list[tuple[int, Callable[[], object]]] = [
        (settle_ms, select_first),
        (settle_ms, grab_main),
        (0, open_dialog),
        (settle_ms, grab_dialog),
        (0, window.lock),
        (settle_ms, grab_lock),
        (0, window.close),
        (0, QApplication.quit),
    ]
    delay = 0
    for wait, step in steps:
        delay += wait
        QTimer.singleShot(delay, step)


def drive(
    window: MainWindow,
    session: Session,
    *,
    staff: str | None,
    screenshot: Path | None,
    passphrase: str = "",
    settle_ms: int = SETTLE_MS,
) -> None:
    """Once the event loop runs: sign in as `staff` (if locked), then the screenshot steps."""
    delay = 0
    if staff and window.is_locked:
        typed = passphrase or (locations.DEMO_PASSPHRASE if session.demo else "")
        if screenshot is not None:
            sign_in_shot = screenshot.with_name(f"{screenshot.stem}-sign-in{screenshot.suffix}")
            sign_in_shot.parent.mkdir(parents=True, exist_ok=True)
            QTimer.singleShot(settle_ms, lambda: window.grab().save(str(sign_in_shot)))
            delay = settle_ms
        QTimer.singleShot(delay, lambda: unlock_as(window, staff, typed))
    if screenshot is not None:
        QTimer.singleShot(
            delay + settle_ms, lambda: take_screenshots(window, screenshot, settle_ms=settle_ms)
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", help="sign in as the profile whose name starts with this")
    parser.add_argument("--sign-in-env", help="the variable holding the passphrase to type")
    parser.add_argument("--screenshot", type=Path, help="save the screenshots here, then quit")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--passphrase-env")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args(argv)
    app, session, code = application.start(args.db, args.passphrase_env, args.demo)
    if session is None:
        return code
    window = application.open_window(session)
    typed = os.environ.get(args.sign_in_env, "") if args.sign_in_env else ""
    drive(window, session, staff=args.staff, screenshot=args.screenshot, passphrase=typed)
    return application.serve(app, session)


if __name__ == "__main__":
    sys.exit(main())
