"""The base of the pupil detail pane's tabs; `ui/shell/features.py` lists them in order.

A tab is a thin widget: it reads through `semh_desktop` functions, asks dialogs for input,
calls the domain's write functions, and emits `changed` with the pupil id so the window can
refresh the caseload row. It never runs SQL itself.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from semh_desktop.core.store import Store
from semh_desktop.register.pupils import Pupil


class PupilTab(QWidget):
    """Base class: subclasses set `title` and implement `show_pupil`."""

    title = ""
    changed = Signal(str)  # pupil id whose record changed

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.pupil: Pupil | None = None

    def show_pupil(self, pupil: Pupil) -> None:
        """Fill the tab for this pupil (called when the pupil is opened or changed)."""
        self.pupil = pupil

    def clear(self) -> None:
        """Forget the pupil (called when the window locks, or no pupil is selected)."""
        self.pupil = None
