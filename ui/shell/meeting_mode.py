"""Meeting mode: for a screen that parents, pupils and other professionals can see.

On: the caseload (every other pupil) and the current pupil's vulnerability flags are hidden,
and the pupil pane's text is enlarged. Off: back to normal. Locking the window turns it off,
so the caseload is there again after unlocking. Toggled from View > Meeting mode (Ctrl+M).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

MEETING_STYLE = """
QWidget { font-size: 14pt; }
QLabel#pupilName { font-size: 24pt; font-weight: 600; }
QLabel[role="heading"] { font-size: 17pt; font-weight: 600; }
QLabel[role="hint"], QLabel[role="muted"] { font-size: 13pt; }
"""
PROPERTY = "meetingMode"


def is_meeting_mode(window: MainWindow) -> bool:
    return bool(window.property(PROPERTY))


def set_meeting_mode(window: MainWindow, on: bool) -> None:
    """Show only the current pupil, in larger text (on), or the normal window (off)."""
    window.setProperty(PROPERTY, on)
    window.caseload_pane.setVisible(not on)
    window.chips.setVisible(not on)  # safeguarding and other flags stay off a shared screen
    window.detail_pane.setStyleSheet(MEETING_STYLE if on else "")
    action = window.meeting_mode_action
    if action.isChecked() != on:
        action.blockSignals(True)
        action.setChecked(on)
        action.blockSignals(False)
    window.statusBar().showMessage(
        "Meeting mode: only this pupil is shown, in larger text (Ctrl+M to leave)."
        if on
        else "Meeting mode is off.",
        5000,
    )


def install(window: MainWindow) -> QAction:
    """Add View > Meeting mode (Ctrl+M) to the window."""
    window.menu("View").addSeparator()
    action = window.add_action(
        "View",
        "&Meeting mode",
        lambda: set_meeting_mode(window, action.isChecked()),
        shortcut="Ctrl+M",
        tip="Show only the current pupil in larger text, for a screen others can see (Ctrl+M)",
    )
    action.setCheckable(True)
    window.locked_changed.connect(
        lambda locked: (
            set_meeting_mode(window, False) if locked and is_meeting_mode(window) else None
        )
    )
    return action
