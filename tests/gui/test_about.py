"""Help > About: version, Qt's version and the licences, in a dialog closed from the keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, qVersion
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from semh_desktop import __version__
from ui.shell import about


def test_about_text_lists_version_and_licences():
    text = about.about_text()
    assert f"SEMH Desktop {__version__}" in text
    assert f"<td>Qt 6</td><td>{qVersion()}</td><td>GNU LGPL v3</td>" in text
    for licence in (
        "BSD 3-clause",
        "Public domain",
        "Apache License 2.0",
        "zlib licence",
        "GNU LGPL v2.1 or later",
        "Bitstream Vera licence",
        "Python Software Foundation License 2.0",
    ):
        assert licence in text
    assert "build_spec" in text  # the licence texts' folder, in a clone


def test_dialog_shows_the_text_and_closes_with_escape(qtbot):
    dialog = about.AboutDialog("<p>Keys: Ctrl+L lock</p>")
    qtbot.addWidget(dialog)
    dialog.show()
    plain = dialog.text.toPlainText()
    assert "Keys: Ctrl+L lock" in plain
    assert "sqlite-utils" in plain and "keyring" in plain
    assert dialog.windowTitle() == "About SEMH Desktop"
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    assert close.accessibleName() == "Close"
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_show_about_is_modal_and_returns_when_closed(qtbot):
    seen = []

    def close_it():
        active = QApplication.activeModalWidget()
        seen.append(type(active))
        if active is not None:
            active.close()

    QTimer.singleShot(50, close_it)
    about.show_about(None)  # returns only because the timer closed it
    assert seen == [about.AboutDialog]


def test_help_about_in_the_window_lists_the_licences(window, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(
        about.AboutDialog, "exec", lambda self: shown.append(self.text.toPlainText())
    )
    window.about_action.trigger()
    (text,) = shown
    assert __version__ in text
    assert "Ctrl+L lock" in text  # the window's own keys paragraph
    assert "LGPL" in text or "Lesser General Public" in text
    assert "SQLCipher" in text
