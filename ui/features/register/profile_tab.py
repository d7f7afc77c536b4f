"""The first tab of the pupil pane: the read-only profile with Edit and Archive buttons.

The buttons trigger the window's own actions (so menu, toolbar and tab stay in step and the
window alone decides when they are enabled).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.store import Store
from semh_desktop.register.pupils import Pupil, profile_lines
from ui.common import theme
from ui.common.pupil_tab import PupilTab
from ui.common.sensitive import mark_sensitive
from ui.common.widgets import plain_label

# Profile lines kept off a shared screen (meeting mode): safeguarding, risk, flags, ethnicity.
SENSITIVE_LINES = frozenset({"Social care", "Vulnerability", "Ethnicity"})


def _button_for(action: QAction, text: str) -> QPushButton:
    button = QPushButton(action.icon(), text)
    button.setAccessibleName(text)
    button.setEnabled(action.isEnabled())
    button.clicked.connect(action.trigger)
    action.enabledChanged.connect(button.setEnabled)
    return button


class ProfileTab(PupilTab):
    title = "Profile"
    shows = frozenset({"pupil"})  # the pupil's own record, re-read by the base on a change

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("profileTab")
        self.setAccessibleName("Pupil profile")
        self._values: dict[str, QLabel] = {}

        content = QWidget()
        content.setObjectName("profileContent")
        self.form = QFormLayout(content)
        self.form.setContentsMargins(4, 4, 4, 4)
        self.form.setHorizontalSpacing(18)
        self.form.setVerticalSpacing(9)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        scroll.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)

        self.button_row = QHBoxLayout()
        self.button_row.setSpacing(8)
        self.button_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 12)
        layout.setSpacing(10)
        layout.addWidget(scroll, 1)
        layout.addLayout(self.button_row)

    def set_actions(self, edit: QAction, archive: QAction, restore: QAction) -> None:
        """Give the tab the window's Edit / Archive / Restore actions to show as buttons."""
        self.edit_button = _button_for(edit, "Edit details…")
        self.archive_button = _button_for(archive, "Archive…")
        self.restore_button = _button_for(restore, "Restore from archive")
        self.restore_button.setVisible(False)
        self.button_row.insertWidget(0, self.edit_button)
        self.button_row.insertWidget(1, self.archive_button)
        self.button_row.insertWidget(2, self.restore_button)

    def show_pupil(self, pupil: Pupil) -> None:
        super().show_pupil(pupil)
        self._clear_form()
        for label_text, value in profile_lines(pupil):
            label = QLabel(label_text)
            theme.set_role(label, "fieldLabel")
            shown = plain_label(value)  # names and typed values, never markup
            theme.set_role(shown, "fieldValue")
            shown.setWordWrap(True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setAccessibleName(f"{label_text}: {value}")
            self._values[label_text] = shown
            self.form.addRow(label, shown)
            if label_text in SENSITIVE_LINES:
                mark_sensitive(label, shown)
        archived = bool(pupil.archived_at)
        if hasattr(self, "restore_button"):
            self.archive_button.setVisible(not archived)
            self.restore_button.setVisible(archived)

    def clear(self) -> None:
        super().clear()
        self._clear_form()

    def value(self, label: str) -> str:
        """The shown value for a profile line (tests and screen readers)."""
        return self._values[label].text() if label in self._values else ""

    def _clear_form(self) -> None:
        self._values.clear()
        while self.form.rowCount():
            self.form.removeRow(0)
