"""Drafts of open dialogs: locking hides a dialog without losing what was typed in it.

Every dialog of the app runs through `run_modal` (`ui.common.form_dialog.exec_dialog`). When
the window locks during a dialog, `lock_all` captures the state of each input widget of every
running dialog (keyed by its path of child positions), seals it to the signed-in person
(`semh_desktop.core.sealed`: the window holds only their public key while locked), clears the
typed text and hides the dialog. Its `run_modal` then waits, in a nested event loop, for
`unlock_all`: if the same person signed in again, the draft is opened with their draft key,
the widgets are filled again and the dialog is shown again; the code that opened it never
notices. Anyone else gets nothing back: the sealed draft is discarded and the dialog ends as
if it had been cancelled. Drafts never touch the disk.

A dialog whose widgets are built as it goes (rows added, pages built on Next) can describe
that structure with `draft_layout() -> JSON value` and rebuild it with
`rebuild_for_draft(layout)` before its widgets are filled; `after_draft_restore()` runs last.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QEventLoop, QObject, Qt, QTime
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from semh_desktop.core.errors import SemhError
from semh_desktop.core.sealed import DraftKey, DraftRecipient

State = dict[str, Any]


def _children(widget: QObject) -> list[QWidget]:
    return [child for child in widget.children() if isinstance(child, QWidget)]


def _walk(root: QWidget) -> list[tuple[str, QWidget]]:
    """Every widget under `root` with a stable key: its path of child positions and classes.

    Child positions are the order of creation, which is the same each time a dialog is built
    with the same structure, so a key names the same field after a rebuild (the pages of a
    stacked widget, which reorder themselves as they are shown, by their place in the stack).
    """
    found: list[tuple[str, QWidget]] = []

    def visit(widget: QWidget, path: str) -> None:
        children = _children(widget)
        if isinstance(widget, QStackedWidget):
            # Showing a page raises it, which moves it to the end of children(): pages are
            # named by their place in the stack instead.
            pages = [page for i in range(widget.count()) if (page := widget.widget(i))]
            named = [(f"page{i}", page) for i, page in enumerate(pages)]
            rest = [child for child in children if all(child is not p for p in pages)]
            named += [(str(position), child) for position, child in enumerate(rest)]
        else:
            named = [(str(position), child) for position, child in enumerate(children)]
        for place, child in named:
            if child.isWindow():
                continue  # a dialog opened from this one runs (and is kept) on its own
            key = f"{path}/{place}:{type(child).__name__}"
            found.append((key, child))
            visit(child, key)

    visit(root, "")
    return found


def _secret(edit: QLineEdit) -> bool:
    return edit.echoMode() != QLineEdit.EchoMode.Normal


def capture(dialog: QWidget) -> State:
    """The typed state of every input widget of `dialog` (JSON-able)."""
    values: dict[str, Any] = {}
    pages: dict[str, int] = {}
    for key, widget in _walk(dialog):
        if isinstance(widget, QLineEdit):
            if not _secret(widget) and not widget.isReadOnly():
                values[key] = widget.text()
        elif isinstance(widget, QPlainTextEdit):
            if not widget.isReadOnly():
                values[key] = widget.toPlainText()
        elif isinstance(widget, QTextEdit):
            if not widget.isReadOnly():
                values[key] = widget.toHtml() if widget.acceptRichText() else widget.toPlainText()
        elif isinstance(widget, QComboBox):
            values[key] = [widget.currentIndex(), widget.currentText()]
        elif isinstance(widget, QDateTimeEdit):
            values[key] = widget.dateTime().toString(Qt.DateFormat.ISODate)
        elif isinstance(widget, QSpinBox | QDoubleSpinBox):
            values[key] = widget.value()
        elif isinstance(widget, QAbstractButton):
            if widget.isCheckable():
                values[key] = widget.isChecked()
        elif isinstance(widget, QAbstractSlider) and not isinstance(widget, QScrollBar):
            values[key] = widget.value()
        elif isinstance(widget, QStackedWidget | QTabWidget):
            pages[key] = widget.currentIndex()
    layout = getattr(dialog, "draft_layout", None)
    return {
        "layout": layout() if callable(layout) else None,
        "values": values,
        "pages": pages,
    }


def clear(dialog: QWidget) -> None:
    """Empty what was typed (the state is kept sealed elsewhere) before the dialog hides."""
    for _key, widget in _walk(dialog):
        with contextlib.suppress(RuntimeError):
            if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit):
                if not widget.isReadOnly():
                    widget.clear()
            elif isinstance(widget, QSpinBox | QDoubleSpinBox):
                _set(widget, widget.minimum())


def restore(dialog: QWidget, state: State) -> None:
    """Fill `dialog` again from `capture`'s state (rebuilding its structure first)."""
    rebuild = getattr(dialog, "rebuild_for_draft", None)
    if callable(rebuild) and state.get("layout") is not None:
        rebuild(state["layout"])
    values: dict[str, Any] = state.get("values", {})
    pages: dict[str, int] = state.get("pages", {})
    widgets = _walk(dialog)
    for key, widget in widgets:
        if key not in values:
            continue
        value = values[key]
        with contextlib.suppress(RuntimeError, TypeError, ValueError):
            _set(widget, value)
    # Pages last: filling a field can change what a page shows, never which page is current.
    for key, widget in widgets:
        if key in pages and isinstance(widget, QStackedWidget | QTabWidget):
            widget.setCurrentIndex(int(pages[key]))
    after = getattr(dialog, "after_draft_restore", None)
    if callable(after):
        after()


def _set(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QLineEdit):
        widget.setText(str(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(str(value))
    elif isinstance(widget, QTextEdit):
        if widget.acceptRichText():
            widget.setHtml(str(value))
        else:
            widget.setPlainText(str(value))
    elif isinstance(widget, QComboBox):
        index, text = int(value[0]), str(value[1])
        if widget.isEditable() and (index < 0 or widget.itemText(index) != text):
            widget.setEditText(text)
        else:
            widget.setCurrentIndex(index)
    elif isinstance(widget, QDateTimeEdit):
        moment = QDateTime.fromString(str(value), Qt.DateFormat.ISODate)
        if moment.isValid():
            widget.setDateTime(moment)
        else:
            widget.setDate(QDate.currentDate())
            widget.setTime(QTime(0, 0))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QAbstractButton):
        widget.setChecked(bool(value))
    elif isinstance(widget, QAbstractSlider | QAbstractSpinBox):
        widget.setValue(int(value))  # type: ignore[union-attr]


# -- dialogs running while the window locks ----------------------------------------------------


@dataclass(eq=False)
class _Running:
    dialog: QDialog
    sealed: bytes | None = None  # the draft, while locked
    interrupted: bool = False  # hidden by a lock (with or without a draft)
    resumed: bool = False  # the lock ended
    state: State | None = None  # the opened draft, when the same person is back
    loop: QEventLoop | None = field(default=None, repr=False)


class _Drafts:
    def __init__(self) -> None:
        self.running: list[_Running] = []
        self.locked = False

    def run_modal(self, dialog: QDialog) -> int:
        entry = _Running(dialog)
        self.running.append(entry)
        try:
            while True:
                shown = dialog.exec()  # a test may stand a stub returning None in for exec
                code = int(shown) if shown is not None else int(dialog.result())
                if not entry.interrupted:
                    return code
                if not entry.resumed:
                    entry.loop = QEventLoop()
                    entry.loop.exec()
                    entry.loop = None
                state, entry.state = entry.state, None
                entry.interrupted = entry.resumed = False
                entry.sealed = None
                if state is None:
                    return int(QDialog.DialogCode.Rejected)
                restore(dialog, state)
        finally:
            self.running.remove(entry)

    def lock_all(self, recipient: DraftRecipient | None) -> int:
        """Seal and hide every running dialog, innermost first; the number of drafts kept."""
        self.locked = True
        kept = 0
        for entry in reversed(self.running):
            if entry.interrupted:
                continue
            dialog = entry.dialog
            entry.interrupted = True
            with contextlib.suppress(RuntimeError):  # a dialog already deleted by Qt
                if recipient is not None:
                    plain = json.dumps(capture(dialog)).encode("utf-8")
                    entry.sealed = recipient.seal(plain)
                    kept += 1
                clear(dialog)
                dialog.hide()  # ends its exec(); run_modal waits for the unlock
        return kept

    def unlock_all(self, key: DraftKey | None) -> int:
        """The lock ended: with the draft owner's key, dialogs come back; the number restored.

        Without a key (someone else signed in, or nobody could be sure who), every draft is
        discarded and its dialog ends as if cancelled.
        """
        self.locked = False
        restored = 0
        for entry in list(self.running):
            if not entry.interrupted or entry.resumed:
                continue
            entry.resumed = True
            sealed, entry.sealed = entry.sealed, None
            if key is not None and sealed is not None:
                try:
                    entry.state = json.loads(key.open(sealed).decode("utf-8"))
                    restored += 1
                except (SemhError, ValueError):
                    entry.state = None  # another person's draft: it stays unreadable
            if entry.loop is not None:
                entry.loop.quit()
        return restored

    def dialogs(self) -> list[QDialog]:
        return [entry.dialog for entry in self.running]


_DRAFTS = _Drafts()


def run_modal(dialog: QDialog) -> int:
    """`dialog.exec()` that survives a lock (see the module docstring)."""
    return _DRAFTS.run_modal(dialog)


def lock_all(recipient: DraftRecipient | None) -> int:
    return _DRAFTS.lock_all(recipient)


def unlock_all(key: DraftKey | None) -> int:
    return _DRAFTS.unlock_all(key)


def running_dialogs() -> list[QDialog]:
    """The dialogs shown through `run_modal` now (innermost last)."""
    return _DRAFTS.dialogs()


def is_draft_dialog(widget: QWidget) -> bool:
    return any(widget is dialog for dialog in _DRAFTS.dialogs())
