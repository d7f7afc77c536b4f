"""Signing in on the window's sign-in page the way a person does (choose, type, click)."""

from __future__ import annotations

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
