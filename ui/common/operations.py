"""Writes from the window, and the one broadcast that tells every screen what they changed.

`run_write(parent, store, work)` runs a domain write through `semh_desktop.core.changes.run`,
shows a domain or storage error in one way (a warning with the error's own words), and on
success emits its store's `ChangeBroadcast.changed` once with the `Changes` the write made.
Every tab, list and dock subscribes to `broadcast_for(store).changed` and re-reads what it
shows when the changes concern it; no screen refreshes another by hand (Anki's
`CollectionOp` and `operation_did_execute` hook work the same way).

A write that runs on a background job (its own connection) returns its `Written` value; the
GUI thread then calls `announce(store, written.changes)`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from semh_desktop.core import changes
from semh_desktop.core.changes import Changes
from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store

T = TypeVar("T")


class ChangeBroadcast(QObject):
    """One per open store: `changed` carries the `Changes` of each write, once per write."""

    changed = Signal(object)


# Keyed by the store's id (a Store is a mutable dataclass, so not hashable); the entry goes
# when the store is garbage collected, so an id used again later gets a fresh broadcast.
_BROADCASTS: dict[int, ChangeBroadcast] = {}


def broadcast_for(store: Store) -> ChangeBroadcast:
    found = _BROADCASTS.get(id(store))
    if found is None:
        found = ChangeBroadcast()
        _BROADCASTS[id(store)] = found
        weakref.finalize(store, _BROADCASTS.pop, id(store), None)
    return found


def announce(store: Store, made: Changes) -> None:
    """Tell every screen on `store` what changed (nothing is sent for no changes)."""
    if made:
        broadcast_for(store).changed.emit(made)


def show_error(parent: QWidget | None, exc: SemhError, title: str = "SEMH Desktop") -> None:
    """The one way a refused or failed write is shown: a warning in the error's own words."""
    QMessageBox.warning(parent, title, exc.message)


def run_write(
    parent: QWidget | None, store: Store, work: Callable[[], T], *, title: str = "SEMH Desktop"
) -> T | None:
    """Run a write in one transaction; show its error, or announce what it changed.

    Returns what `work` returned, or None if it was refused (the message has been shown and
    nothing was kept).
    """
    try:
        written = changes.run(store, work)
    except SemhError as exc:
        show_error(parent, exc, title)
        return None
    announce(store, written.changes)
    return written.value


def run_announced(store: Store, work: Callable[[], T]) -> T:
    """Like `run_write` for a caller that shows a refusal itself (beside a dialog's fields).

    A domain error propagates (nothing was kept); on success the changes are announced.
    """
    written = changes.run(store, work)
    announce(store, written.changes)
    return written.value
