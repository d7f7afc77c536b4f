"""Meeting mode: for a screen that parents, pupils and other professionals can see.

On: only the pupil being discussed. The caseload is hidden and narrowed to that pupil, the
search box, the caseload table and Ctrl+F cannot reach anyone else, the docks are hidden, and
every widget marked sensitive (ui/common/sensitive.py: social care, exclusion risk,
vulnerability flags, ethnicity, private notes) is hidden on every tab and in every dialog
opened meanwhile; the pupil pane's text is enlarged. Off: everything as it was, in its own
fonts. Locking the window turns it off, so the caseload is there again after unlocking.
Toggled from View > Meeting mode (Ctrl+M).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from ui.common import sensitive, theme, widgets

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

MEETING_STYLE = """
QWidget { font-size: 14pt; }
QLabel#pupilName { font-size: 24pt; font-weight: 600; }
QLabel[role="heading"] { font-size: 17pt; font-weight: 600; }
QLabel[role="hint"], QLabel[role="muted"] { font-size: 13pt; }
"""
PROPERTY = sensitive.MEETING_MODE
NOBODY = "\x00"  # a search term no caseload row contains: the caseload lists nobody
_FIND_TEXT = "&Find in caseload"


@dataclass
class _Before:
    """What meeting mode changed, to put back exactly."""

    search_enabled: bool = True
    table_enabled: bool = True
    shortcuts: dict[QAction, list[QKeySequence]] = field(default_factory=dict)
    docks: list[QDockWidget] = field(default_factory=list)


_saved: dict[int, _Before] = {}


def is_meeting_mode(window: QWidget) -> bool:
    return bool(window.property(PROPERTY))


def _find_actions(window: MainWindow) -> list[QAction]:
    """Ctrl+F (View > Find in caseload): found by its text or by the Find shortcut."""
    find = QKeySequence(QKeySequence.StandardKey.Find)
    return [
        action
        for action in window.findChildren(QAction)
        if action.text() == _FIND_TEXT or (not find.isEmpty() and action.shortcut() == find)
    ]


def limit_caseload(window: MainWindow) -> None:
    """Let the caseload list only the open pupil (by UPN, which is unique), or nobody."""
    current = window.current_pupil
    window.proxy.set_search(current.upn if current is not None else NOBODY)


def set_meeting_mode(window: MainWindow, on: bool) -> None:
    """Show only the current pupil, without sensitive fields, in larger text (on), or not."""
    action = window.meeting_mode_action
    if action.isChecked() != on:
        # `toggled` is left to fire: other screens (the Due panel) follow it.
        action.setChecked(on)
    if is_meeting_mode(window) == on:
        return
    window.setProperty(PROPERTY, on)
    if on:
        _enter(window)
    else:
        _leave(window)
    window.statusBar().showMessage(
        "Meeting mode: only this pupil is shown, in larger text (Ctrl+M to leave)."
        if on
        else "Meeting mode is off.",
        5000,
    )


def _enter(window: MainWindow) -> None:
    before = _Before(
        search_enabled=window.search_edit.isEnabled(),
        table_enabled=window.table.isEnabled(),
    )
    for action in _find_actions(window):
        before.shortcuts[action] = action.shortcuts()
        action.setShortcuts([])
    before.docks = [dock for dock in window.findChildren(QDockWidget) if not dock.isHidden()]
    for dock in before.docks:
        dock.hide()
    _saved[id(window)] = before
    window.search_edit.setEnabled(False)
    # Nothing that sets the search text meanwhile (adding a pupil clears it) reaches the
    # caseload: a wider search would also drop the open pupil's row, and with it the pupil.
    window.search_edit.blockSignals(True)
    window.table.setEnabled(False)
    limit_caseload(window)
    window.caseload_pane.setVisible(False)
    sensitive.set_hidden_for_meeting(window, True)
    window.detail_pane.setStyleSheet(MEETING_STYLE)


def _leave(window: MainWindow) -> None:
    before = _saved.pop(id(window), _Before())
    window.detail_pane.setStyleSheet("")
    _repolish_all(window.detail_pane)
    sensitive.set_hidden_for_meeting(window, False)
    window.search_edit.blockSignals(False)
    window.proxy.set_search(window.search_edit.text())
    window.refresh_caseload()  # the count and rows as they are now
    window.search_edit.setEnabled(before.search_enabled)
    window.table.setEnabled(before.table_enabled)
    for action, shortcuts in before.shortcuts.items():
        action.setShortcuts(shortcuts)
    window.caseload_pane.setVisible(True)
    for dock in before.docks:
        dock.show()


def _repolish_all(root: QWidget) -> None:
    """Re-apply the app's style to every widget, so no meeting-mode font is left behind."""
    for widget in [root, *root.findChildren(QWidget)]:
        theme.repolish(widget)


def _on_pupil_opened(window: MainWindow) -> None:
    if is_meeting_mode(window):
        limit_caseload(window)
        sensitive.set_hidden_for_meeting(window, True)


def install(window: MainWindow) -> QAction:
    """Add View > Meeting mode (Ctrl+M) to the window."""
    widgets.install_plain_text_guard()  # names and free text are never read as markup
    sensitive.mark_sensitive(window.chips)  # safeguarding and other flags
    window.menu("View").addSeparator()
    action = window.add_action(
        "View",
        "&Meeting mode",
        lambda: set_meeting_mode(window, action.isChecked()),
        shortcut="Ctrl+M",
        tip="Show only the current pupil, without sensitive details, in larger text, for a "
        "screen others can see (Ctrl+M)",
    )
    action.setCheckable(True)
    window.locked_changed.connect(
        lambda locked: (
            set_meeting_mode(window, False) if locked and is_meeting_mode(window) else None
        )
    )
    window.pupil_opened.connect(lambda _pupil: _on_pupil_opened(window))
    return action
