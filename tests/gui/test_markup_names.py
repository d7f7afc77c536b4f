"""Names are shown as typed: a pupil called `<img src=...>` is never rendered as markup.

The pupil's every name field holds markup; the test opens them in the demo window, visits
every tab and the export pickers, and checks each visible label that holds markup shows it
literally (plain text, or escaped rich text whose rendering still reads `<...>`).
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from semh_desktop.core.store import Store
from semh_desktop.register import pupils
from semh_desktop.register.pupils import Pupil, PupilDetails
from semh_desktop.register.upn import make_upn
from ui.common.widgets import plain_label, plain_tip
from ui.features.graduated.tab import GraduatedResponseTab
from ui.features.outreach.bundle_dialogs import SendBundleDialog
from ui.features.outreach.export_dialog import SummaryExportDialog
from ui.shell.main_window import MainWindow

FORENAME = "<font size=60 color=red>Big</font>"
SURNAME = "<img src=/etc/hostname>"
PREFERRED = "<b>Bold</b>"
PREFERRED_SURNAME = "&amp;"
PARTS = (FORENAME, SURNAME, PREFERRED, PREFERRED_SURNAME)


def rendered(text: str, text_format: Qt.TextFormat) -> str:
    """What a person reads: the text itself if shown plain, else the markup's rendering."""
    rich = text_format == Qt.TextFormat.RichText or (
        text_format == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    )
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def markup_shown_as_markup(root: QWidget) -> list[str]:
    """Visible labels and tooltips whose markup (`<...>`, `&amp;`) would not be read literally."""
    wrong: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel):
            text = widget.text()
            shown = rendered(text, widget.textFormat())
            for part in PARTS:
                if part in text and part not in shown:
                    wrong.append(f"{widget.objectName() or type(widget).__name__}: {text!r}")
        tip = widget.toolTip()
        for part in PARTS:
            if part in tip and part not in rendered(tip, Qt.TextFormat.AutoText):
                wrong.append(f"tooltip of {type(widget).__name__}: {tip!r}")
    return wrong


def names_shown(root: QWidget) -> str:
    return " | ".join(
        rendered(w.text(), w.textFormat())
        for w in root.findChildren(QLabel)
        if w.isVisible() and w.text()
    )


@pytest.fixture
def marked_up(school: Store) -> Pupil:
    return pupils.add_pupil(
        school,
        PupilDetails(
            upn=make_upn(801, 4000, 26, 7),
            legal_forename=FORENAME,
            legal_surname=SURNAME,
            preferred_forename=PREFERRED,
            preferred_surname=PREFERRED_SURNAME,
            date_of_birth=dt.date(2013, 3, 1),
            year_group=8,
            on_semh_register=True,
        ),
    )


@pytest.fixture
def opened(window: MainWindow, marked_up: Pupil) -> MainWindow:
    window.refresh_caseload()
    assert window.select_pupil(marked_up.id)
    return window


def test_the_name_is_read_as_typed_on_every_tab(opened: MainWindow, qtbot: QtBot) -> None:
    display = f"{PREFERRED} {PREFERRED_SURNAME}"
    assert opened.pupil_name.text() == display
    assert opened.profile_tab.value("Legal name") == f"{FORENAME} {SURNAME}"
    for position in range(opened.tabs.count()):
        opened.tabs.setCurrentIndex(position)
        tab = opened.tabs.widget(position)
        if isinstance(tab, GraduatedResponseTab):
            for section in tab.sections:
                section.set_expanded(True)
        qtbot.wait(10)
        assert markup_shown_as_markup(opened) == [], opened.tabs.tabText(position)
    opened.tabs.setCurrentIndex(0)
    shown = names_shown(opened)
    assert display in shown  # the header, literally
    assert f"{FORENAME} {SURNAME}" in shown  # the profile's legal name, literally


def test_the_control_a_plain_qlabel_would_render_the_name(qtbot: QtBot) -> None:
    """Without the rule, Qt reads these names as markup (so the checks above can fail)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.AutoText)
    label.setProperty("richText", True)  # as a label laid out with markup on purpose
    qtbot.addWidget(label)
    label.setText(f"{PREFERRED} {SURNAME}")
    label.show()
    assert markup_shown_as_markup(label) != []
    plain = plain_label(f"{PREFERRED} {SURNAME}")
    qtbot.addWidget(plain)
    plain.show()
    assert markup_shown_as_markup(plain) == []
    assert rendered(plain_tip(SURNAME), Qt.TextFormat.AutoText) == SURNAME


def test_a_new_label_anywhere_in_the_window_is_plain(opened: MainWindow, qtbot: QtBot) -> None:
    """The guard: a label someone adds later, in any screen, is plain once shown."""
    label = QLabel(f"Notes for {SURNAME}", opened.profile_tab)
    label.show()
    qtbot.wait(10)
    assert label.textFormat() == Qt.TextFormat.PlainText


def test_the_export_pickers_show_the_name_as_typed(
    opened: MainWindow, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> None:
    problems: list[list[str]] = []
    names: list[str] = []

    def show_and_check(dialog: QDialog) -> int:
        dialog.show()
        qtbot.waitExposed(dialog)
        problems.append(markup_shown_as_markup(dialog))
        model = dialog.chooser.proxy  # type: ignore[attr-defined]
        names.extend(str(model.index(r, 0).data()) for r in range(model.rowCount()))
        dialog.reject()
        return 0

    for kind in (SummaryExportDialog, SendBundleDialog):
        monkeypatch.setattr(kind, "exec", show_and_check)
    for text in ("Export &summary…", "Send to &outreach (bundle)…"):
        next(a for a in opened.findChildren(QAction) if a.text() == text).trigger()
    assert problems == [[], []]
    assert names.count(f"{PREFERRED} {PREFERRED_SURNAME}") == 2


def test_a_message_box_naming_the_pupil_shows_the_name_as_typed(
    opened: MainWindow, qtbot: QtBot
) -> None:
    seen: list[tuple[Qt.TextFormat, str]] = []

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append((box.textFormat(), box.text()))
            box.reject()

    QTimer.singleShot(200, look)
    opened.archive_current()  # "Archive <b>Bold</b> &amp;?"
    assert seen and seen[0][0] == Qt.TextFormat.PlainText
    assert PREFERRED in seen[0][1]
