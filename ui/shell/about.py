"""Help > About: the version, and the licences of the components the app is built from.

The table comes from `semh_desktop.components`; this module adds Qt's own version and shows it
in a scrollable, keyboard-friendly dialog. The main window calls `show_about(self)`.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from semh_desktop.core import components
from ui.common.form_dialog import exec_dialog

DESCRIPTION = (
    "<p>Offline support for pupils with social, emotional and mental health needs: the SEMH "
    "register, the graduated response and pastoral support plans.</p>"
    "<p>Everything is kept in one encrypted file on this computer. Nothing is sent anywhere "
    "unless you export it.</p>"
)


def _table(rows: list[components.ComponentRow]) -> str:
    cells = "".join(
        f"<tr><td>{escape(row.name)}</td><td>{escape(row.version)}</td>"
        f"<td>{escape(row.licence)}</td></tr>"
        for row in rows
    )
    return (
        "<table cellspacing='0' cellpadding='3'>"
        "<tr><th align='left'>Component</th><th align='left'>Version</th>"
        f"<th align='left'>Licence</th></tr>{cells}</table>"
    )


def about_text(intro_html: str = DESCRIPTION) -> str:
    """The About text as rich text: name and version, `intro_html`, then the licences."""
    rows = components.rows({"qt": qVersion()})
    main = [row for row in rows if not row.supporting]
    supporting = [row for row in rows if row.supporting]
    folder = escape(str(components.licences_dir()))
    return (
        f"<h3>{escape(components.version_line())}</h3>{intro_html}"
        "<h4>Built with</h4>"
        f"{_table(main)}"
        "<h4>Supporting libraries</h4>"
        f"{_table(supporting)}"
        "<p>Qt and PySide6 are used under the GNU Lesser General Public Licence v3; their "
        "libraries are separate files in the app folder and can be replaced. The licence texts "
        f"are in the folder <code>{folder}</code>, and each library's own licence file "
        "travels with it.</p>"
    )


class AboutDialog(QDialog):
    """A read-only page of text with one Close button (Esc or Enter closes it)."""

    def __init__(self, intro_html: str = DESCRIPTION, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About SEMH Desktop")
        self.setObjectName("aboutDialog")
        self.text = QTextBrowser()
        self.text.setObjectName("aboutText")
        self.text.setAccessibleName("About SEMH Desktop and its licences")
        self.text.setOpenLinks(False)
        self.text.setHtml(about_text(intro_html))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        close.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setTabOrder(self.text, close)
        self.resize(620, 560)


def show_about(parent: QWidget | None = None, intro_html: str = DESCRIPTION) -> None:
    """Show Help > About modally (the shell's menu action calls this)."""
    exec_dialog(AboutDialog(intro_html, parent))
