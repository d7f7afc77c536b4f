"""Small shared widgets: a message shown next to a form field, flag chips, a field container.

Also the plain-text rule: names and free text are shown as typed, never read as markup
(`plain_label`, `plain_tip`, and `install_plain_text_guard` for every label of the app).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.common import theme

RICH_TEXT = "richText"  # a label that really lays out with markup sets this property to True


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows `text` exactly as typed (a name, a note), never as markup."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def make_plain(*labels: QLabel) -> None:
    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)


def plain_tip(text: str) -> str:
    """A tooltip showing `text` literally (tooltips read anything tag-like as markup)."""
    if not text:
        return ""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


class _PlainTextGuard(QObject):
    """Turns every label and message box still on AutoText to PlainText as it is first shown.

    Qt reads a text as rich text when its first line holds anything tag-like, so a pupil
    called `<img src=...>` would otherwise be rendered wherever a label shows their name.
    A label that lays out with markup on purpose sets the `richText` property (or its text
    format explicitly).
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Polish
            and isinstance(watched, (QLabel, QMessageBox))
            and watched.textFormat() == Qt.TextFormat.AutoText
            and not watched.property(RICH_TEXT)
            and watched.objectName() != "qtooltip_label"  # tooltips: see plain_tip
        ):
            watched.setTextFormat(Qt.TextFormat.PlainText)
        return False


_guard: list[_PlainTextGuard] = []


def install_plain_text_guard() -> None:
    """Install the guard on the application once (the main window does, as it is built)."""
    app = QApplication.instance()
    if app is None or _guard:
        return
    guard = _PlainTextGuard(app)
    app.installEventFilter(guard)
    _guard.append(guard)


# Flags that are a safeguarding status or a risk are amber; the rest are neutral.
ALERT_FLAGS = frozenset({"CIN", "CP", "CLA", "At risk of permanent exclusion"})


class FieldMessage(QLabel):
    """A red (error) or amber (warning) sentence under a field; hidden when there is none."""

    def __init__(self, field: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.setObjectName(f"message_{field}")
        self.setTextFormat(Qt.TextFormat.PlainText)  # a message may quote what was typed
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.kind = ""
        self.clear_message()

    def resizeEvent(self, event: QResizeEvent) -> None:
        # A wrapped label in a form can be given one line too few; claim the height it needs
        # at the width it really got, so a message is never cut off.
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width()) if self.text() else 0
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    def show_error(self, text: str) -> None:
        self._show(text, "error")

    def show_warning(self, text: str) -> None:
        self._show(text, "warning")

    def clear_message(self) -> None:
        self.kind = ""
        self.setText("")
        self.setMinimumHeight(0)
        self.setVisible(False)

    def _show(self, text: str, kind: str) -> None:
        self.kind = kind
        self.setText(text)
        self.setAccessibleName(f"{'Error' if kind == 'error' else 'Warning'}: {text}")
        theme.set_role(self, kind)
        self.setVisible(True)


def field_with_message(
    field_widget: QWidget, message: FieldMessage, *, align_left: bool = False
) -> QWidget:
    """The field and its message stacked, to sit in the right-hand column of a form row.

    `align_left` keeps a small field (a score box) at its own width instead of stretching it.
    """
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    if align_left:
        layout.addWidget(field_widget, 0, Qt.AlignmentFlag.AlignLeft)
    else:
        layout.addWidget(field_widget)
    layout.addWidget(message)
    return box


def mark_invalid(widget: QWidget, kind: str) -> None:
    """Outline a field red (error) or amber (warning) through the stylesheet."""
    widget.setProperty("invalid", "true" if kind == "error" else "false")
    widget.setProperty("warned", "true" if kind == "warning" else "false")
    theme.repolish(widget)


class Chip(QLabel):
    def __init__(self, text: str, *, status: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)
        self.setAccessibleName(f"Flag: {text}")
        theme.set_role(self, "chip", status=status)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)


class ChipRow(QWidget):
    """A row of small chips (vulnerability flags)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)

    def set_flags(self, flags: list[str], *, empty_text: str = "") -> None:
        self.clear()
        if not flags and empty_text:
            self._layout.insertWidget(0, Chip(empty_text, status="muted"))
        for position, flag in enumerate(flags):
            status = "alert" if flag in ALERT_FLAGS else ""
            self._layout.insertWidget(position, Chip(flag, status=status))

    def chips(self) -> list[str]:
        return [chip.text() for chip in self.findChildren(Chip)]

    def clear(self) -> None:
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
