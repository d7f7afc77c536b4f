"""Meeting mode on a shared screen: nothing sensitive shown, nobody else reachable, and back.

The checks read what a person could see: the text of every visible widget (labels, fields,
buttons, combo items, table and list cells, tab titles) on every pupil tab and in the export
pickers, with meeting mode on; then everything is back, in the same fonts, once it is off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from semh_desktop.core.store import Store
from semh_desktop.register import pupils, staff
from semh_desktop.register.pupils import Pupil, replace_details
from ui.common import sensitive, theme
from ui.features.graduated.tab import GraduatedResponseTab
from ui.features.outreach.bundle_dialogs import SendBundleDialog
from ui.features.outreach.export_dialog import SummaryExportDialog
from ui.features.register.pupil_dialog import PupilDialog
from ui.shell import meeting_mode
from ui.shell.main_window import MainWindow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ETHNICITY = "WIRT"
# What must never be on a shared screen: the pupil's safeguarding status, risk, flags and
# ethnicity.
VALUES = (
    r"Child in need|Child protection|[Ll]ooked after|At risk of permanent exclusion|"
    r"\bPEX\b|Young carer|Pupil Premium|\bEAL\b|\bCIN\b|\bCP\b|\bCLA\b|" + ETHNICITY
)
SENSITIVE = re.compile(VALUES)
# On the pupil's tabs, not even the headings that announce them (a dialog's list of which
# fields an export carries may name them).
ON_TABS = re.compile(VALUES + r"|Social care|Ethnicity|Vulnerab")


# -- reading the screen ---------------------------------------------------------------------


def _model_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return

    def walk(parent: QModelIndex) -> Iterator[str]:
        for row in range(model.rowCount(parent)):
            for column in range(model.columnCount(parent)):
                index = model.index(row, column, parent)
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    value = index.data(role)
                    if value is not None:
                        yield str(value)
            first = model.index(row, 0, parent)
            if model.hasChildren(first):
                yield from walk(first)

    yield from walk(QModelIndex())
    for orientation, count in (
        (Qt.Orientation.Horizontal, model.columnCount()),
        (Qt.Orientation.Vertical, 0),
    ):
        for section in range(count):
            yield str(model.headerData(section, orientation))


def visible_texts(root: QWidget) -> list[str]:
    """Every text a person could read in `root` as it is shown now."""
    found: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel):
            found.append(widget.text())
        elif isinstance(widget, QLineEdit):
            found += [widget.text(), widget.placeholderText()]
        elif isinstance(widget, QAbstractButton):
            found.append(widget.text())
        elif isinstance(widget, QComboBox):
            found += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QTextEdit | QPlainTextEdit):
            found.append(widget.toPlainText())
        elif isinstance(widget, QTabWidget):
            found += [widget.tabText(i) for i in range(widget.count())]
        if isinstance(widget, QAbstractItemView):
            found += list(_model_texts(widget))
        tip = widget.toolTip()
        if tip:
            found.append(tip)
    return [text for text in found if text]


def leaks(texts: list[str], words: re.Pattern[str] = ON_TABS) -> list[str]:
    return [text for text in texts if words.search(text)]


def pupil_tab_texts(window: MainWindow, qtbot: QtBot) -> dict[str, list[str]]:
    """Visit every pupil tab (checklists opened) and read it."""
    seen: dict[str, list[str]] = {}
    for position in range(window.tabs.count()):
        window.tabs.setCurrentIndex(position)
        tab = window.tabs.widget(position)
        if isinstance(tab, GraduatedResponseTab):
            for section in tab.sections:
                section.set_expanded(True)
        qtbot.wait(10)
        seen[window.tabs.tabText(position)] = visible_texts(window)
    return seen


def fonts(root: QWidget) -> dict[tuple[str, str, str], str]:
    """Each label's and button's font, keyed by what it is (rebuilt widgets key the same)."""
    return {
        (type(w).__name__, w.objectName(), w.text()): w.font().toString()
        for w in root.findChildren(QLabel) + root.findChildren(QToolButton)  # type: ignore[operator]
        if w.text()
    }


# -- fixtures ---------------------------------------------------------------------------------


def _register_pupil_with_case(store: Store) -> str:
    row = next(
        iter(
            store.db.query(
                "SELECT c.pupil_id FROM cases c JOIN pupils p ON p.id = c.pupil_id "
                "WHERE c.status = 'open' AND p.on_semh_register = 1 AND p.archived_at IS NULL "
                "ORDER BY c.start_date LIMIT 1"
            )
        )
    )
    return str(row["pupil_id"])


@pytest.fixture
def discussed(school: Store) -> Pupil:
    """A register pupil with an open PSP, every sensitive field set."""
    pupil = pupils.get_pupil(school, _register_pupil_with_case(school))
    details = replace_details(
        pupil.details,
        social_care="CIN",
        at_risk_pex=True,
        young_carer=True,
        pupil_premium=True,
        eal=True,
        ethnicity=ETHNICITY,
    )
    return pupils.update_pupil(school, pupil.id, details)


@pytest.fixture
def other(school: Store, discussed: Pupil) -> pupils.CaseloadRow:
    return next(r for r in pupils.caseload(school) if r.pupil_id != discussed.id)


@pytest.fixture
def meeting(window: MainWindow, discussed: Pupil) -> MainWindow:
    assert window.select_pupil(discussed.id)
    meeting_mode.set_meeting_mode(window, True)
    return window


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    """The app's real look for screenshots, put back afterwards for the other tests."""
    style, sheet, palette, font = (
        qapp.style().name(),
        qapp.styleSheet(),
        qapp.palette(),
        qapp.font(),
    )
    theme.apply(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    qapp.setStyle(style)


@pytest.fixture
def opened_dialogs(monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> list[list[str]]:
    """Each export picker opened is shown, read (visible texts) and cancelled."""
    read: list[list[str]] = []

    def show_and_read(dialog: QDialog) -> int:
        dialog.show()
        qtbot.waitExposed(dialog)
        # Less the list of which fields an export carries: the same words for every pupil
        # ("Vulnerability factors (Pupil Premium, ...)"), none of them this pupil's values.
        fields = dialog.leaving.toPlainText()  # type: ignore[attr-defined]
        texts = [text for text in visible_texts(dialog) if text != fields]
        chooser = dialog.chooser  # type: ignore[attr-defined]
        texts += [f"rows={chooser.proxy.rowCount()}"]
        read.append(texts)
        dialog.reject()
        return 0

    for kind in (SummaryExportDialog, SendBundleDialog):
        monkeypatch.setattr(kind, "exec", show_and_read)
    return read


@pytest.fixture
def information(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "information", lambda _parent, _title, text, *a, **k: said.append(text)
    )
    return said


def action(window: MainWindow, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text() == text)


# -- nothing sensitive ------------------------------------------------------------------------


def test_the_pupil_really_has_every_sensitive_field_shown_normally(
    window: MainWindow, discussed: Pupil, qtbot: QtBot
) -> None:
    """The control: without meeting mode the same reading finds them (so the next can fail)."""
    assert window.select_pupil(discussed.id)
    seen = pupil_tab_texts(window, qtbot)
    found = " | ".join(leaks(seen["Profile"]))
    for word in ("Child in need", "At risk of permanent exclusion", ETHNICITY, "Young carer"):
        assert word in found
    assert "CIN" in window.chips.chips()


def test_no_tab_shows_anything_sensitive_in_meeting_mode(
    meeting: MainWindow, discussed: Pupil, qtbot: QtBot
) -> None:
    seen = pupil_tab_texts(meeting, qtbot)
    assert len(seen) == len(meeting.pupil_tabs) >= 5
    for title, texts in seen.items():
        assert leaks(texts) == [], title
    profile = seen["Profile"]
    assert discussed.display_name in " ".join(profile)  # the pupil is still there
    assert any(discussed.upn in text for text in profile)


def test_a_profile_re_read_in_meeting_mode_stays_hidden(
    meeting: MainWindow, discussed: Pupil, school: Store, qtbot: QtBot
) -> None:
    """A change while the meeting goes on rebuilds the profile: its new rows are hidden too."""
    pupils.update_pupil(school, discussed.id, replace_details(discussed.details, social_care="CLA"))
    meeting.profile_tab.show_pupil(pupils.get_pupil(school, discussed.id))
    meeting.tabs.setCurrentWidget(meeting.profile_tab)
    qtbot.wait(10)
    assert leaks(visible_texts(meeting)) == []


def test_the_edit_dialog_in_meeting_mode_hides_the_sensitive_fields(
    meeting: MainWindow, discussed: Pupil, qtbot: QtBot
) -> None:
    dialog = PupilDialog(lambda d: pupils.validate(meeting.store, d), discussed.details)
    dialog.setParent(meeting, dialog.windowFlags())
    sensitive.set_hidden_for_meeting(dialog, True)  # marked before it had a parent
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert leaks(visible_texts(dialog)) == []
    # Still saved unchanged: the hidden fields keep their values.
    assert dialog.details.social_care == "CIN" and dialog.details.ethnicity == ETHNICITY
    dialog.reject()

    opened = PupilDialog(
        lambda d: pupils.validate(meeting.store, d), discussed.details, parent=meeting
    )
    qtbot.addWidget(opened)
    opened.show()
    assert leaks(visible_texts(opened)) == []
    assert opened.legal_surname_edit.isVisible()
    opened.reject()


def test_export_pickers_offer_only_the_pupil_being_discussed(
    meeting: MainWindow,
    discussed: Pupil,
    other: pupils.CaseloadRow,
    opened_dialogs: list[list[str]],
) -> None:
    action(meeting, "Export &summary…").trigger()
    action(meeting, "Send to &outreach (bundle)…").trigger()
    assert len(opened_dialogs) == 2
    for texts in opened_dialogs:
        assert "rows=1" in texts
        joined = " | ".join(texts)
        assert discussed.display_name in joined
        assert other.name not in joined and other.upn not in joined
        assert leaks(texts, SENSITIVE) == []


def test_export_pickers_list_the_school_outside_meeting_mode(
    window: MainWindow, other: pupils.CaseloadRow, opened_dialogs: list[list[str]]
) -> None:
    action(window, "Export &summary…").trigger()
    joined = " | ".join(opened_dialogs[0])
    assert other.name in joined
    assert "rows=30" in opened_dialogs[0]


def test_export_in_meeting_mode_without_a_pupil_is_refused(
    window: MainWindow, opened_dialogs: list[list[str]], information: list[str]
) -> None:
    meeting_mode.set_meeting_mode(window, True)
    action(window, "Export &summary…").trigger()
    action(window, "Send to &outreach (bundle)…").trigger()
    assert opened_dialogs == []
    assert len(information) == 2 and all("Meeting mode is on" in t for t in information)


def test_a_read_only_profile_gets_no_export_actions(school: Store, make_window: object) -> None:
    reader = staff.add_staff(school, "Read Only", "read_only")
    school.staff_id = reader.id
    window = make_window(school)  # type: ignore[operator]
    assert not action(window, "Export &summary…").isEnabled()
    assert not action(window, "Send to &outreach (bundle)…").isEnabled()


def test_export_actions_are_enabled_for_the_senco(window: MainWindow) -> None:
    assert action(window, "Export &summary…").isEnabled()
    assert action(window, "Send to &outreach (bundle)…").isEnabled()


# -- nobody else reachable --------------------------------------------------------------------


def test_search_and_ctrl_f_cannot_reach_another_pupil(
    meeting: MainWindow, discussed: Pupil, other: pupils.CaseloadRow, qtbot: QtBot
) -> None:
    meeting.activateWindow()
    qtbot.keySequence(meeting, QKeySequence(QKeySequence.StandardKey.Find))  # Ctrl+F
    focused = QApplication.focusWidget()
    assert focused is not meeting.search_edit
    qtbot.keyClicks(focused or meeting, other.name)
    qtbot.keyClicks(meeting.search_edit, other.name)  # a disabled box takes no keys
    qtbot.keyClicks(meeting.table, other.name[:3])  # nor does the caseload's type-to-find
    action(meeting, "&Find in caseload").trigger()
    assert not meeting.search_edit.hasFocus()
    # Something that sets the search (a pupil added meanwhile clears it) does not widen it.
    meeting.search_edit.setText(other.name)
    assert meeting.current_pupil is not None and meeting.current_pupil.id == discussed.id
    assert meeting.proxy.rowCount() == 1
    assert meeting.proxy.pupil_id_at(meeting.proxy.index(0, 0)) == discussed.id
    assert not meeting.select_pupil(other.pupil_id)
    assert meeting.current_pupil.id == discussed.id
    assert other.name not in " ".join(visible_texts(meeting))


def test_scope_change_in_meeting_mode_still_lists_only_the_pupil(
    meeting: MainWindow, discussed: Pupil
) -> None:
    meeting.whole_school_action.trigger()  # Ctrl+2
    assert meeting.proxy.rowCount() == 1
    assert meeting.current_pupil is not None and meeting.current_pupil.id == discussed.id


# -- and back ---------------------------------------------------------------------------------


def test_leaving_restores_everything_in_the_original_fonts(
    window: MainWindow, discussed: Pupil, other: pupils.CaseloadRow, qtbot: QtBot
) -> None:
    assert window.select_pupil(discussed.id)
    window.search_edit.setText("")
    pupil_tab_texts(window, qtbot)
    before = fonts(window.detail_pane)
    headings = [w for w in window.findChildren(QToolButton) if w.objectName().startswith("phase_")]
    assert headings, "the checklist headings"
    heading_fonts = {w.objectName(): w.font().toString() for w in headings}
    shortcut = action(window, "&Find in caseload").shortcut()

    meeting_mode.set_meeting_mode(window, True)
    assert window.pupil_name.font().pointSizeF() > QLabel().font().pointSizeF()
    for tab in window.pupil_tabs:  # a change during the meeting re-reads every tab
        tab.refresh()
    pupil_tab_texts(window, qtbot)
    assert any(w.font().toString() != heading_fonts[w.objectName()] for w in headings)
    meeting_mode.set_meeting_mode(window, False)
    seen = pupil_tab_texts(window, qtbot)

    assert {w.objectName(): w.font().toString() for w in headings} == heading_fonts
    after = fonts(window.detail_pane)
    common = before.keys() & after.keys()
    assert len(common) > 0.8 * len(before)
    assert {k: after[k] for k in common} == {k: before[k] for k in common}
    profile = " | ".join(seen["Profile"])
    assert "Child in need" in profile and ETHNICITY in profile
    assert window.profile_tab.value("Social care") == "Child in need"
    assert window.chips.isVisible() and "CIN" in window.chips.chips()
    assert window.caseload_pane.isVisible()
    assert window.search_edit.isEnabled() and window.table.isEnabled()
    assert action(window, "&Find in caseload").shortcut() == shortcut
    assert window.proxy.rowCount() == window.model.rowCount()
    assert not sensitive.meeting_mode_on(window.profile_tab)
    qtbot.keyClicks(window.search_edit, other.name)
    assert window.proxy.rowCount() == 1
    assert window.proxy.pupil_id_at(window.proxy.index(0, 0)) == other.pupil_id


def test_locking_leaves_meeting_mode(meeting: MainWindow) -> None:
    meeting.lock()
    assert not meeting_mode.is_meeting_mode(meeting)
    assert not meeting.meeting_mode_action.isChecked()
    assert meeting.search_edit.isEnabled()


# -- what it looks like -------------------------------------------------------------------------


@pytest.mark.usefixtures("themed")
def test_screenshots_of_meeting_mode(meeting: MainWindow, qtbot: QtBot) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    meeting.resize(1366, 768)
    for name, title in (("profile", "Profile"), ("psp", "PSP")):
        position = next(
            i for i in range(meeting.tabs.count()) if meeting.tabs.tabText(i).startswith(title)
        )
        meeting.tabs.setCurrentIndex(position)
        qtbot.wait(150)
        assert leaks(visible_texts(meeting)) == []
        image = meeting.grab()
        assert image.width() == 1366
        assert image.save(str(ARTIFACTS / f"meeting-{name}.png"))
