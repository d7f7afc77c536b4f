"""Drive the real application window the way a person would, for the end-to-end tests.

Starts the app exactly as `semh-desktop gui` does (`ui.app.application.start`, `open_window`,
`serve`), then unlocks as a staff profile, selects the first pupil and saves screenshots of the
window, of the add-pupil dialog (showing a check-letter error) and of the lock screen, then
quits. The production code has no switch for any of this; only the tests drive it.

    python -m tests.e2e.app_window --staff NAME --screenshot FILE.png [gui options]

`gui options` are the ones `semh-desktop gui` takes (`--db`, `--passphrase-env`, `--demo`).
`drive()` is also called in-process by tests/gui/test_startup.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from semh_desktop.register import pupils
from ui.app import application
from ui.app.application import Session
from ui.features.register.pupil_dialog import PupilDialog
from ui.shell.main_window import MainWindow

SETTLE_MS = 400  # time for the window to lay out and paint before each screenshot


def unlock_as(window: MainWindow, session: Session, name: str) -> None:
    """Choose the profile whose name starts with `name`; unlock (with the passphrase if asked)."""
    page = window.unlock_page
    for position in range(page.staff_combo.count()):
        if page.staff_combo.itemText(position).casefold().startswith(name.casefold()):
            page.staff_combo.setCurrentIndex(position)
    if page.passphrase_required and session.passphrase:
        page.passphrase_edit.setText(session.passphrase)
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
    settle_ms: int = SETTLE_MS,
) -> None:
    """Once the event loop runs: unlock as `staff` (if locked), then the screenshot steps."""
    if staff and window.is_locked:
        QTimer.singleShot(0, lambda: unlock_as(window, session, staff))
    if screenshot is not None:
        QTimer.singleShot(
            settle_ms, lambda: take_screenshots(window, screenshot, settle_ms=settle_ms)
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", help="unlock as the profile whose name starts with this")
    parser.add_argument("--screenshot", type=Path, help="save the screenshots here, then quit")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--passphrase-env")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args(argv)
    app, session, code = application.start(args.db, args.passphrase_env, args.demo)
    if session is None:
        return code
    window = application.open_window(session)
    drive(window, session, staff=args.staff, screenshot=args.screenshot)
    return application.serve(app, session)


if __name__ == "__main__":
    sys.exit(main())
