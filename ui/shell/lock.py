"""Locking and signing in: the idle timer, the sign-in screen, and choosing a passphrase.

The screen is often visible to others in a meeting, so Ctrl+L or a few idle minutes hide every
pupil detail and close the database. Each person signs in again with their own profile and
passphrase (semh_desktop.register.sign_in); wrong passphrases are throttled by the domain and
the screen counts the wait down. The recovery key is the secondary way in.

The window talks to the domain through a `SignInGate`, so that its tests can stand an in-memory
database in for the encrypted file (tests/gui/conftest.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QPixmap
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

from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.core.keystore import parse_recovery_key
from semh_desktop.core.store import Store
from semh_desktop.register import sign_in
from semh_desktop.register.sign_in import Profile, SignedIn
from ui.common import theme
from ui.common.form_dialog import FormDialog
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


class LockKey(QObject):
    """Emits `pressed` for the lock key (Ctrl+L) wherever the focus is, dialogs included.

    A window's shortcut does not fire while a modal dialog is open (Qt blocks it), and the
    lock key must hide the dialog too; so an application-wide event filter watches for it.
    (When the shortcut does fire, Qt delivers no key press, so the key never locks twice.)
    """

    pressed = Signal()

    def __init__(self, sequence: QKeySequence, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sequence = sequence
        self.enabled = True
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            self.enabled
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and not event.isAutoRepeat()
            and QKeySequence(event.keyCombination()) == self.sequence
        ):
            self.pressed.emit()
            return True
        return False

    def detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class SignInGate(Protocol):
    """How the window signs people in and locks (the domain's sign_in module, or a stand-in)."""

    def profiles(self) -> list[Profile]: ...

    def sign_in(self, staff_id: str, passphrase: str) -> SignedIn: ...

    def sign_in_with_recovery_key(self, key_text: str, staff_id: str | None) -> SignedIn: ...

    def lock(self) -> None: ...

    def change_own_passphrase(self, current: str, new: str) -> None: ...


class SlotGate:
    """The real gate: key slots beside the database file; the store reopens in place."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def profiles(self) -> list[Profile]:
        return sign_in.profiles(self.store.path) if self.store.path is not None else []

    def sign_in(self, staff_id: str, passphrase: str) -> SignedIn:
        if self.store.is_open:
            self.store.suspend()
        return sign_in.unlock(self.store, staff_id, passphrase)

    def sign_in_with_recovery_key(self, key_text: str, staff_id: str | None) -> SignedIn:
        key = parse_recovery_key(key_text)
        if self.store.is_open:
            self.store.suspend()
        return sign_in.unlock_with_recovery_key(self.store, key, staff_id)

    def lock(self) -> None:
        sign_in.lock(self.store)

    def change_own_passphrase(self, current: str, new: str) -> None:
        # The domain seals drafts made from now on to the key the new passphrase gives.
        sign_in.change_own_passphrase(self.store, current, new)


def _plural_seconds(seconds: int) -> str:
    return f"{seconds} second{'s' if seconds != 1 else ''}"


class SignInPage(QWidget):
    """A card in the middle of the window: profile, passphrase, Sign in; or the recovery key."""

    sign_in_requested = Signal(str, str)  # staff id, passphrase
    recovery_requested = Signal(object, str)  # staff id or None, recovery key as typed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._profiles: list[Profile] = []
        self._recovery = False
        self._wait_until: dict[str, float] = {}  # staff id -> time.monotonic() it may retry
        self._wait_text: dict[str, str] = {}
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._tick)

        card = QFrame()
        card.setObjectName("unlockCard")
        card.setFixedWidth(460)
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
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        theme.set_role(self.subtitle, "muted")
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setWordWrap(True)

        self.staff_combo = QComboBox()
        self.staff_combo.setObjectName("unlockStaff")
        self.staff_combo.setAccessibleName("Staff profile")
        self.staff_combo.currentIndexChanged.connect(self._profile_changed)
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
        self.unlock_button = QPushButton("Sign in")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setAccessibleName("Sign in")
        self.unlock_button.setDefault(True)
        theme.set_role(self.unlock_button, "primary")
        self.unlock_button.clicked.connect(self._submit)
        self.passphrase_edit.returnPressed.connect(self._submit)
        self.recovery_button = QPushButton("Use the recovery key…")
        self.recovery_button.setObjectName("unlockRecovery")
        self.recovery_button.setAccessibleName("Use the recovery key")
        self.recovery_button.setFlat(True)
        self.recovery_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.recovery_button.clicked.connect(lambda: self.set_recovery_mode(not self._recovery))

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
        inner.addWidget(self.recovery_button, 0, Qt.AlignmentFlag.AlignHCenter)

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

    # -- what it shows ---------------------------------------------------------------------

    def set_profiles(self, profiles: list[Profile], current_id: str | None = None) -> None:
        self._profiles = list(profiles)
        self.staff_combo.blockSignals(True)
        self.staff_combo.clear()
        for profile in self._profiles:
            self.staff_combo.addItem(f"{profile.name} ({profile.role_label})", profile.staff_id)
        position = self.staff_combo.findData(current_id) if current_id else -1
        self.staff_combo.setCurrentIndex(max(position, 0))
        self.staff_combo.blockSignals(False)
        self.passphrase_edit.clear()
        self.passphrase_message.clear_message()
        self._profile_changed()

    def set_texts(self, title: str, subtitle: str) -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.setAccessibleName(title)

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def set_recovery_mode(self, on: bool) -> None:
        """The passphrase field takes the recovery key instead (and back)."""
        self._recovery = on
        self.passphrase_edit.clear()
        self.passphrase_message.clear_message()
        if on:
            self.passphrase_label.setText("&Recovery key")
            self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Normal)
            self.passphrase_edit.setFont(theme.monospace_font(11))
            self.passphrase_edit.setPlaceholderText("ABCD-EFGH-… as printed")
            self.passphrase_edit.setAccessibleName("Recovery key")
            self.unlock_button.setText("Sign in with the recovery key")
            self.recovery_button.setText("Use my passphrase instead")
        else:
            self.passphrase_label.setText("&Passphrase")
            self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.passphrase_edit.setFont(self.font())
            self.passphrase_edit.setPlaceholderText("")
            self.passphrase_edit.setAccessibleName("Passphrase")
            self.unlock_button.setText("Sign in")
            self.recovery_button.setText("Use the recovery key…")
        self.unlock_button.setAccessibleName(self.unlock_button.text())
        self.recovery_button.setAccessibleName(self.recovery_button.text().rstrip("…"))
        self._profile_changed()
        self.passphrase_edit.setFocus()

    @property
    def recovery_mode(self) -> bool:
        return self._recovery

    @property
    def passphrase_required(self) -> bool:
        return True

    def show_passphrase_error(self, text: str) -> None:
        self.passphrase_message.show_error(text)
        self.card.updateGeometry()
        self.passphrase_edit.selectAll()
        self.passphrase_edit.setFocus()

    def refuse(self, staff_id: str, message: str, retry_after: float) -> None:
        """A refused sign-in: the message; after repeated failures, a countdown to the retry."""
        self.passphrase_edit.clear()
        if retry_after > 0:
            self._wait_until[staff_id] = time.monotonic() + retry_after
            self._wait_text[staff_id] = message
            self.countdown.start()
        self.show_passphrase_error(message)
        self._profile_changed()

    def seconds_left(self, staff_id: str | None = None) -> int:
        staff_id = staff_id if staff_id is not None else self.selected_staff_id()
        until = self._wait_until.get(staff_id or "")
        return max(0, int(-(-(until - time.monotonic()) // 1))) if until else 0

    def selected_staff_id(self) -> str | None:
        data = self.staff_combo.currentData()
        return str(data) if data is not None else None

    def selected_profile(self) -> Profile | None:
        position = self.staff_combo.currentIndex()
        return self._profiles[position] if 0 <= position < len(self._profiles) else None

    def focus_first(self) -> None:
        if self.staff_combo.count() <= 1:
            self.passphrase_edit.setFocus()
        else:
            self.staff_combo.setFocus()

    # -- behaviour -------------------------------------------------------------------------

    def _profile_changed(self, *_args: object) -> None:
        staff_id = self.selected_staff_id()
        waiting = not self._recovery and staff_id is not None and self.seconds_left(staff_id) > 0
        self.unlock_button.setEnabled(bool(self._profiles) and not waiting)
        if waiting and staff_id is not None:
            self._show_wait(staff_id)
        elif self.passphrase_message.kind and staff_id in self._wait_text:
            self.passphrase_message.clear_message()

    def _show_wait(self, staff_id: str) -> None:
        left = self.seconds_left(staff_id)
        text = self._wait_text.get(staff_id, "")
        counted, found = re.subn(r"\d+ seconds?", _plural_seconds(left), text, count=1)
        if not found:
            counted = f"{text} Try again in {_plural_seconds(left)}."
        self.passphrase_message.show_error(counted)
        self.card.updateGeometry()

    def _tick(self) -> None:
        staff_id = self.selected_staff_id()
        for who in list(self._wait_until):
            if self.seconds_left(who) <= 0:
                del self._wait_until[who]
                self._wait_text.pop(who, None)
                if who == staff_id:
                    self.passphrase_message.show_warning("You can try your passphrase again now.")
        if not self._wait_until:
            self.countdown.stop()
        self._profile_changed()

    def _submit(self) -> None:
        staff_id = self.selected_staff_id()
        if staff_id is None or not self.unlock_button.isEnabled():
            return
        typed = self.passphrase_edit.text()
        if self._recovery:
            if not typed.strip():
                self.show_passphrase_error("Type the recovery key as printed.")
                return
            self.recovery_requested.emit(staff_id, typed)
            return
        if not typed:
            self.show_passphrase_error("Type your passphrase.")
            return
        self.sign_in_requested.emit(staff_id, typed)


UnlockPage = SignInPage  # the name older code and tests use


ChangePassphrase = Callable[[str, str], None]  # (current, new); raises ValidationError


class NewPassphraseDialog(FormDialog[str]):
    """Choose a new passphrase (typed twice); with `ask_current`, the current one first.

    `apply(current, new)` does the change (the window hands in sign_in.change_own_passphrase
    on its store); its refusals are shown under the field they concern.
    """

    def __init__(
        self,
        *,
        title: str,
        intro: str,
        apply: ChangePassphrase | None,
        ask_current: bool,
        save_text: str = "Save passphrase",
        cancel_text: str = "Cancel",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, save_text, parent)
        self.setObjectName("newPassphraseDialog")
        self._apply = apply
        self.current_edit = self._secret("currentPassphrase")
        self.new_edit = self._secret("newPassphrase")
        self.new_edit.setPlaceholderText(f"At least {sign_in.MIN_PASSPHRASE} characters")
        self.confirm_edit = self._secret("confirmPassphrase")
        if ask_current:
            self.add_field("current", "&Current passphrase", self.current_edit)
        self.add_field(
            "passphrase",
            "&New passphrase",
            self.new_edit,
            hint="A few words that mean something to you are easier to remember than a short "
            "password. Nobody else, the SENCO included, can see it.",
        )
        self.add_field("confirm", "&Type it again", self.confirm_edit)
        self.cancel_button.setText(cancel_text)
        self.cancel_button.setAccessibleName(cancel_text)
        self.finish_layout(intro)
        self.resize(520, self.sizeHint().height())

    @staticmethod
    def _secret(name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setMinimumWidth(280)
        return edit

    def read(self, errors: dict[str, str]) -> str:
        return self.new_edit.text()

    def collect(self) -> dict[str, str]:
        new = self.new_edit.text()
        errors: dict[str, str] = {}
        try:
            sign_in.check_new_passphrase(new)
        except ValidationError as exc:
            errors["passphrase"] = exc.message
        if not errors and new != self.confirm_edit.text():
            errors["confirm"] = "The two passphrases are not the same. Type the new one twice."
        if not errors and self._apply is not None:
            try:
                self._apply(self.current_edit.text(), new)
            except ValidationError as exc:
                errors[exc.field if exc.field in self.fields else "passphrase"] = exc.message
            except SemhError as exc:
                errors["passphrase"] = exc.message
        if errors:
            for edit in (self.new_edit, self.confirm_edit):
                edit.clear()
        return self.keep(new, errors)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        *,
        title: str,
        intro: str,
        apply: ChangePassphrase | None,
        ask_current: bool,
        save_text: str = "Save passphrase",
        cancel_text: str = "Cancel",
    ) -> str | None:
        dialog = cls(
            title=title,
            intro=intro,
            apply=apply,
            ask_current=ask_current,
            save_text=save_text,
            cancel_text=cancel_text,
            parent=parent,
        )
        return dialog.run()


def app_pixmap(size: int) -> QPixmap:
    return theme.icon("app").pixmap(size, size)
