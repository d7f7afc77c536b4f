"""The one notion of "sensitive" on screen, for meeting mode (ui/shell/meeting_mode.py).

A widget showing a safeguarding status, a risk, a vulnerability flag, ethnicity or a private
note is marked with `mark_sensitive`. Meeting mode hides every marked widget under the window
(`set_hidden_for_meeting`) and shows each one again as it was before; a widget marked while
meeting mode is on (a profile row rebuilt for a changed pupil, a dialog opened on the shared
screen) is hidden at once. Dialogs ask `meeting_mode_on(self)` to narrow what they offer (a
pupil picker offers only the pupil being discussed).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

SENSITIVE = "sensitive"
MEETING_MODE = "meetingMode"  # set on the main window while meeting mode is on
_SHOWN_BEFORE = "shownBeforeMeeting"  # a marked widget's own visibility before meeting mode


def meeting_mode_on(widget: QWidget | None) -> bool:
    """Whether `widget` or a widget it sits in (a dialog: its window) is in meeting mode."""
    while widget is not None:
        if widget.property(MEETING_MODE):
            return True
        widget = widget.parentWidget()
    return False


def is_sensitive(widget: QWidget) -> bool:
    return bool(widget.property(SENSITIVE))


def mark_sensitive(*widgets: QWidget) -> None:
    """Mark widgets as showing something sensitive; call it once they sit in their parent.

    If meeting mode is already on where they sit, they are hidden straight away.
    """
    for widget in widgets:
        widget.setProperty(SENSITIVE, True)
        if meeting_mode_on(widget):
            _hide(widget)


def sensitive_widgets(root: QWidget) -> list[QWidget]:
    """Every marked widget under `root` (and root itself if marked)."""
    found = [root] if is_sensitive(root) else []
    return found + [w for w in root.findChildren(QWidget) if is_sensitive(w)]


def set_hidden_for_meeting(root: QWidget, on: bool) -> None:
    """Hide every marked widget under `root` (on), or give each back its earlier visibility."""
    for widget in sensitive_widgets(root):
        if on:
            _hide(widget)
        else:
            _restore(widget)


def _hide(widget: QWidget) -> None:
    if widget.property(_SHOWN_BEFORE) is None:
        widget.setProperty(_SHOWN_BEFORE, not widget.isHidden())
    widget.setVisible(False)


def _restore(widget: QWidget) -> None:
    shown = widget.property(_SHOWN_BEFORE)
    if shown is None:
        return
    widget.setProperty(_SHOWN_BEFORE, None)
    widget.setVisible(bool(shown))
