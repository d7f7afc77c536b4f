"""Locking: the idle timer and the unlock screen that covers the caseload and the pupil pane.

The screen is often visible to others in a meeting, so Ctrl+L or a few idle minutes hide every
pupil detail. Unlocking needs a staff profile (and, in passphrase mode, the passphrase).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.register.staff import Staff
from ui.common import theme
from ui.common.widgets import FieldMessage, field_with_message

ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class IdleWatcher(QObject):
    """Emits `idle` after `interval_ms` without a key press or mouse activity anywhere in the app.

    An application-wide event filter restarts a single-shot timer on every key or mouse event.
    """

    idle = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.idle)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def interval_ms(self) -> int:
        return int(self._timer.interval())

    def set_interval(self, interval_ms: int) -> None:
        self._timer.setInterval(interval_ms)
        if self._timer.isActive():
            self._timer.start()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_active(self) -> bool:
        return bool(self._timer.isActive())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._timer.isActive() and event.type() in ACTIVITY_EVENTS:
            self._timer.start()
        return False

    def detach(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class UnlockPage(QWidget):
    """A card in the middle of the window: staff profile, passphrase (if needed), Unlock."""

    unlock_requested = Signal(object, str)  # Staff, passphrase typed ("" when not asked)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._profiles: list[Staff] = []

        card = QFrame()
        card.setObjectName("unlockCard")
        card.setFixedWidth(440)
        # Never squeezed below what it needs: the passphrase row and its message come and go.
        card.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)
        self.card = card
        self.icon_label = QLabel()
        self.icon_label.setPixmap(theme.icon("lock-large").pixmap(56, 56))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.icon_label.setMinimumHeight(60)
        self.icon_label.setAccessibleName("Locked")
        self.title = QLabel("SEMH Desktop is locked")
        self.title.setObjectName("unlockTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle = QLabel()
        theme.set_role(self.subtitle, "muted")
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setWordWrap(True)

        self.staff_combo = QComboBox()
        self.staff_combo.setObjectName("unlockStaff")
        self.staff_combo.setAccessibleName("Staff profile")
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setObjectName("unlockPassphrase")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName("Passphrase")
        self.passphrase_message = FieldMessage("passphrase")
        self.hint = QLabel()
        self.hint.setObjectName("unlockHint")
        theme.set_role(self.hint, "hint")
        self.hint.setWordWrap(True)
        self.hint.setVisible(False)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.setDefault(True)
        theme.set_role(self.unlock_button, "primary")
        self.unlock_button.clicked.connect(self._submit)
        self.passphrase_edit.returnPressed.connect(self._submit)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        staff_label = QLabel("&Staff profile")
        staff_label.setBuddy(self.staff_combo)
        form.addRow(staff_label, self.staff_combo)
        self.passphrase_label = QLabel("&Passphrase")
        self.passphrase_label.setBuddy(self.passphrase_edit)
        self.passphrase_field = field_with_message(self.passphrase_edit, self.passphrase_message)
        form.addRow(self.passphrase_label, self.passphrase_field)

        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(10)
        inner.addWidget(self.icon_label)
        inner.addWidget(self.title)
        inner.addWidget(self.subtitle)
        inner.addSpacing(8)
        inner.addLayout(form)
        inner.addWidget(self.hint)
        inner.addSpacing(4)
        inner.addWidget(self.unlock_button)

        # Centred by stretches in a row, not by alignment: a vertical box would ask the card's
        # height-for-width at the page's full width and cut off its wrapped text.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addLayout(row)
        outer.addStretch(3)
        self.set_passphrase_required(False)

    def set_profiles(self, profiles: list[Staff], current_id: str | None = None) -> None:
        self._profiles = list(profiles)
        self.staff_combo.clear()
        for profile in self._profiles:
            self.staff_combo.addItem(f"{profile.name} ({profile.role_label})", profile.id)
        position = self.staff_combo.findData(current_id) if current_id else -1
        self.staff_combo.setCurrentIndex(max(position, 0))
        self.unlock_button.setEnabled(bool(self._profiles))

    def set_texts(self, title: str, subtitle: str) -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.setAccessibleName(title)

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def set_passphrase_required(self, required: bool) -> None:
        self.passphrase_label.setVisible(required)
        self.passphrase_field.setVisible(required)
        self.passphrase_edit.clear()
        self.passphrase_message.clear_message()
        self.card.updateGeometry()

    @property
    def passphrase_required(self) -> bool:
        return not self.passphrase_field.isHidden()

    def show_passphrase_error(self, text: str) -> None:
        self.passphrase_message.show_error(text)
        self.card.updateGeometry()
        self.passphrase_edit.selectAll()
        self.passphrase_edit.setFocus()

    def selected_staff(self) -> Staff | None:
        position = self.staff_combo.currentIndex()
        return self._profiles[position] if 0 <= position < len(self._profiles) else None

    def focus_first(self) -> None:
        if self.passphrase_required and self.staff_combo.count() <= 1:
            self.passphrase_edit.setFocus()
        else:
            self.staff_combo.setFocus()

    def _submit(self) -> None:
        profile = self.selected_staff()
        if profile is None:
            return
        typed = self.passphrase_edit.text() if self.passphrase_required else ""
        self.unlock_requested.emit(profile, typed)


def app_pixmap(size: int) -> QPixmap:
    return theme.icon("app").pixmap(size, size)
