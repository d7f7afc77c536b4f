"""The base of the pupil detail pane's tabs; `ui/shell/features.py` lists them in order.

A tab is a thin widget: it reads through `semh_desktop` functions, asks dialogs for input and
runs the domain's write functions through `ui.common.operations.run_write`. It never runs SQL
itself, and never refreshes another tab: every tab listens to its store's change broadcast
and re-reads itself when a write concerns the pupil it shows and the kinds of record it shows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import ClassVar, TypeVar

from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from semh_desktop.core.changes import Changes
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.register import pupils
from semh_desktop.register.pupils import Pupil
from ui.common import operations

T = TypeVar("T")


class PupilTab(QWidget):
    """Base class: subclasses set `title` and `shows`, and implement `show_pupil`."""

    title = ""
    # The record kinds (audit record types) the tab shows; None means any kind may matter.
    shows: ClassVar[frozenset[str] | None] = None

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.pupil: Pupil | None = None
        operations.broadcast_for(store).changed.connect(self._on_changes)

    def show_pupil(self, pupil: Pupil) -> None:
        """Fill the tab for this pupil (called when the pupil is opened or changed)."""
        self.pupil = pupil

    def clear(self) -> None:
        """Forget the pupil (called when the window locks, or no pupil is selected)."""
        self.pupil = None

    def refresh(self) -> None:
        """Re-read what the tab shows for its pupil (after a change that concerns it)."""
        if self.pupil is not None:
            self.show_pupil(self.pupil)

    def write(self, work: Callable[[], T], title: str | None = None) -> T | None:
        """Run a write; its error is shown, its changes broadcast (this tab re-reads too)."""
        return operations.run_write(self, self.store, work, title=title or self.title)

    def _on_changes(self, changes: Changes) -> None:
        pupil = self.pupil
        if pupil is None or not changes.concerns(pupil.id):
            return
        try:
            if changes.touches("pupil") or changes.everyone:
                # Names, year group or archiving may have changed: every tab keeps the new record.
                self.pupil = pupils.get_pupil(self.store, pupil.id)
            if self.shows is None or changes.everyone or changes.touches(*self.shows):
                self.refresh()
        except SemhError as exc:
            operations.show_error(self, exc, self.title)

    def show_scrolled(self, content: QWidget, *, margin: int = 10) -> None:
        """Put the tab's content in a frameless scroll area filling the tab (it fits 1366x768)."""
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(margin, margin, margin, margin)
        outer.addWidget(scroll)

    @staticmethod
    def chain_tab_order(widgets: Sequence[QWidget]) -> None:
        """Tab walks these widgets in this order."""
        for first, second in itertools.pairwise(widgets):
            QWidget.setTabOrder(first, second)
