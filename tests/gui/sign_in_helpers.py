"""Signing in on the window's sign-in page the way a person does (choose, type, click)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from ui.common import drafts
from ui.shell.main_window import MainWindow


def choose_profile(window: MainWindow, name: str) -> None:
    page = window.unlock_page
    for position in range(page.staff_combo.count()):
        if page.staff_combo.itemText(position).startswith(f"{name} ("):
            page.staff_combo.setCurrentIndex(position)
            return
    raise AssertionError(f"no profile called {name} on the sign-in page")


def sign_in_as(window: MainWindow, name: str, passphrase: str = "demo") -> None:
    choose_profile(window, name)
    page = window.unlock_page
    page.passphrase_edit.setText(passphrase)
    page.unlock_button.click()


def when(condition: Callable[[], object], then: Callable[[], None], tries: int = 300) -> None:
    """Run `then` once `condition` holds (checked every 10 ms from the running event loop).

    If it never does, every dialog is ended so that the test fails instead of waiting for ever.
    """
    if condition():
        then()
    elif tries > 0:
        QTimer.singleShot(10, lambda: when(condition, then, tries - 1))
    else:
        drafts.unlock_all(None)
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog):
                widget.reject()
        raise AssertionError("the window never got there")


def modal(kind: type[QDialog]) -> Callable[[], QDialog | None]:
    """The visible modal dialog of this kind, if that is what is showing."""

    def find() -> QDialog | None:
        dialog = QApplication.activeModalWidget()
        return dialog if isinstance(dialog, kind) and dialog.isVisible() else None

    return find
