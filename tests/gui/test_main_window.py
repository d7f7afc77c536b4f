"""The main window: caseload search, opening and archiving pupils, locking, menus, settings."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from semh_desktop.core.errors import Locked
from semh_desktop.core.store import Store
from semh_desktop.register import audit, pupils, staff
from ui.common import settings
from ui.shell.caseload import COL_NAME, COL_YEAR, PUPIL_ID_ROLE
from ui.shell.main_window import MainWindow

from .sign_in_helpers import sign_in_as


def actions_for(store: Store, record_id: str) -> list[str]:
    return [entry.action for entry in audit.entries(store, record_id)]


def test_window_starts_on_the_register_with_an_empty_pane(window: MainWindow) -> None:
    assert window.model.rowCount() == 10  # the SEMH register of the small demo school
    assert window.detail_stack.currentWidget() is window.empty_page
    assert "Ctrl+N" in window.empty_label.text()
    assert window.count_label.text() == "10 pupils on the SEMH register"
    assert (
        window.statusBar().findChild(type(window.staff_label), "statusStaff").text()
        == "Test SENCO (SENCO)"
    )
    assert window.key_label.text() == "In memory (not saved)"


def test_whole_school_toggle_shows_every_pupil(window: MainWindow) -> None:
    window.whole_school_button.click()
    assert window.whole_school_action.isChecked()
    assert window.model.rowCount() == 30
    window.register_button.click()
    assert window.model.rowCount() == 10


def test_search_narrows_the_caseload(window: MainWindow, qtbot: QtBot) -> None:
    window.whole_school_action.trigger()
    before = window.proxy.rowCount()
    qtbot.keyClicks(window.search_edit, "Y8")
    after = window.proxy.rowCount()
    assert 0 < after < before
    for row in range(after):
        assert window.proxy.index(row, COL_YEAR).data() == "Y8"
    window.search_edit.setText("year 8")
    assert window.proxy.rowCount() == after
    assert window.count_label.text() == f"{after} of {before} pupils shown"

    window.search_edit.clear()
    first = window.model.row_at(0)
    window.search_edit.setText(first.upn.lower())
    assert window.proxy.rowCount() == 1
    assert window.proxy.index(0, COL_NAME).data(PUPIL_ID_ROLE) == first.pupil_id
    window.search_edit.setText("no such pupil anywhere")
    assert window.proxy.rowCount() == 0
    window.search_edit.clear()
    assert window.proxy.rowCount() == before


def test_selecting_a_pupil_opens_it_and_writes_an_open_audit_row(
    window: MainWindow, school: Store
) -> None:
    window.table.selectRow(2)
    pupil_id = window.proxy.index(2, 0).data(PUPIL_ID_ROLE)
    assert actions_for(school, pupil_id).count("open") == 1
    assert window.current_pupil is not None and window.current_pupil.id == pupil_id
    assert window.detail_stack.currentWidget() is window.pupil_page
    assert window.profile_tab.pupil is not None and window.profile_tab.pupil.id == pupil_id
    assert window.profile_tab.value("UPN") == window.current_pupil.upn
    for tab in window.pupil_tabs:
        assert tab.pupil is not None and tab.pupil.id == pupil_id
    # re-reading the caseload keeps the pupil selected without opening it again
    window.refresh_caseload()
    assert actions_for(school, pupil_id).count("open") == 1
    assert window.current_pupil.id == pupil_id


def test_sorting_by_year_uses_raw_values(window: MainWindow) -> None:
    window.whole_school_action.trigger()
    window.table.sortByColumn(COL_YEAR, Qt.SortOrder.DescendingOrder)
    years = [window.proxy.index(r, COL_YEAR).data() for r in range(window.proxy.rowCount())]
    numbers = [int(label[1:]) for label in years]
    assert numbers == sorted(numbers, reverse=True)  # Y11 before Y9: numbers, not text


def test_archive_asks_first_then_archives(
    window: MainWindow, school: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.table.selectRow(0)
    pupil = window.current_pupil
    assert pupil is not None
    asked: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Callable[..., QMessageBox.StandardButton]:
        def question(_parent: object, title: str, text: str, *_args: object) -> object:
            asked.append(text)
            return reply

        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    window.archive_action.trigger()
    assert pupils.get_pupil(school, pupil.id).archived_at is None
    assert "archive" not in actions_for(school, pupil.id)

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    window.profile_tab.archive_button.click()
    assert len(asked) == 2 and pupil.display_name in asked[1]
    assert pupils.get_pupil(school, pupil.id).archived_at is not None
    assert "archive" in actions_for(school, pupil.id)
    assert window.model.row_of(pupil.id) is None  # gone from the caseload
    assert window.current_pupil is None
    assert window.detail_stack.currentWidget() is window.empty_page

    window.show_archived_action.trigger()
    assert window.model.row_of(pupil.id) is not None
    assert window.select_pupil(pupil.id)
    assert window.restore_action.isEnabled() and not window.archive_action.isEnabled()
    window.restore_action.trigger()
    assert pupils.get_pupil(school, pupil.id).archived_at is None


def test_ctrl_l_hides_everything_and_clears_the_tabs(
    window: MainWindow, school: Store, qtbot: QtBot
) -> None:
    window.table.selectRow(1)
    assert window.current_pupil is not None
    window.activateWindow()
    qtbot.keyClick(window.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked
    assert window.stack.currentWidget() is window.unlock_page
    assert not window.detail_pane.isVisible()
    assert not window.caseload_pane.isVisible()
    assert window.current_pupil is None
    assert all(tab.pupil is None for tab in window.pupil_tabs)
    assert window.model.rowCount() == 0  # no pupil rows kept behind the lock screen
    assert window.profile_tab.value("UPN") == ""
    assert not window.new_pupil_action.isEnabled() and not window.edit_action.isEnabled()
    assert window.quit_action.isEnabled()
    assert not school.is_open  # the database is closed: nothing can be read while locked
    with pytest.raises(Locked):
        pupils.caseload(school)

    # sign in as another profile: the caseload comes back, audited under that profile
    pastoral = next(p for p in window.gate.profiles() if p.name == "Daniel Whitlock")
    sign_in_as(window, "Daniel Whitlock", "not the passphrase")
    assert window.is_locked and "does not open" in window.unlock_page.passphrase_message.text()
    sign_in_as(window, "Daniel Whitlock")
    assert not window.is_locked
    assert window.stack.currentWidget() is not window.unlock_page
    assert window.model.rowCount() == 10
    entries = audit.entries(school)
    assert [e.action for e in entries][-3:] == ["lock", "unlock", "view"]
    assert (entries[-2].staff_id, entries[-1].staff_id) == (pastoral.staff_id,) * 2
    assert entries[-1].detail == "signed in: 10 of 10 pupils shown (SEMH register)"
    assert school.staff_id == pastoral.staff_id
    assert window.staff_label.text() == "Daniel Whitlock (Pastoral staff)"
    assert window.current_pupil is None  # someone else: not put back on the SENCO's pupil


def test_idle_timeout_locks_the_window(
    school: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window(school, idle_ms=200)
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: window.is_locked, timeout=5000)
    assert window.stack.currentWidget() is window.unlock_page
    assert window.current_pupil is None
    assert not window.idle.is_active()  # no timer runs while locked
    assert not school.is_open


def test_window_can_start_on_the_sign_in_screen(
    school: Store, make_window: Callable[..., MainWindow]
) -> None:
    school.staff_id = None
    window = make_window(school, demo=True)
    assert window.is_locked and not school.is_open
    assert window.demo_banner.isVisible()
    assert (
        "fictional"
        in window.demo_banner.findChild(type(window.count_label), "demoBannerText").text()
    )
    assert "demo" in window.unlock_page.hint.text() and window.unlock_page.hint.isVisible()
    assert window.model.rowCount() == 0
    sign_in_as(window, "Farah Okonjo")
    assert not window.is_locked and window.model.rowCount() == 10


def test_read_only_profile_cannot_change_pupils(
    school: Store, make_window: Callable[..., MainWindow]
) -> None:
    visitor = staff.find_staff(school, "Visiting outreach worker")
    school.staff_id = visitor.id
    window = make_window(school)
    window.table.selectRow(0)
    assert window.current_pupil is not None
    assert not window.new_pupil_action.isEnabled()
    assert not window.edit_action.isEnabled()
    assert not window.profile_tab.edit_button.isEnabled()
    assert window.lock_action.isEnabled()


def test_features_can_add_menus_and_actions(window: MainWindow) -> None:
    calls: list[str] = []
    reports = window.menu("Widgets for tests")
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("Widgets for tests") == titles.index("&Help") - 1
    assert window.menu("Widgets for tests") is reports
    plain = window.add_action(
        "Widgets for tests", "Cohort report…", lambda: calls.append("cohort"), toolbar=True
    )
    per_pupil = window.add_pupil_action("Pupil", "Print PSP…", lambda pupil: calls.append(pupil.id))
    assert plain in window.toolbar.actions()
    assert plain.isEnabled() and not per_pupil.isEnabled()
    window.table.selectRow(0)
    assert per_pupil.isEnabled()
    per_pupil.trigger()
    plain.trigger()
    assert window.current_pupil is not None
    assert calls == [window.current_pupil.id, "cohort"]
    window.lock()
    assert not plain.isEnabled() and not per_pupil.isEnabled()


def test_idle_minutes_setting_is_stored(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kwargs: (12, True))
    window.idle_action.trigger()
    assert settings.idle_minutes() == 12
    assert window.idle.interval_ms == 10 * 60_000  # the test override wins over the setting


def test_layout_is_remembered(window: MainWindow) -> None:
    window.table.horizontalHeader().setSectionHidden(COL_YEAR, True)
    window.close()
    stored = settings.app_settings()
    assert not stored.value("window/geometry").isEmpty()
    assert not stored.value("window/splitter").isEmpty()
    again = MainWindow(window.store, idle_ms=60_000)
    try:
        assert again.table.horizontalHeader().isSectionHidden(COL_YEAR)
        year_action = again.column_actions[COL_YEAR - 1]
        assert not year_action.isChecked()
    finally:
        again.idle.detach()
        again.deleteLater()


def test_caseload_views_and_settled_searches_are_audited_without_names(
    window: MainWindow, school: Store, qtbot: QtBot
) -> None:
    def views() -> list[str]:
        return [e.detail for e in audit.entries(school) if e.action == "view"]

    before = len(views())
    window.whole_school_action.trigger()
    assert views()[before:] == ["whole school: 30 of 30 pupils shown (whole school)"]
    first = window.model.row_at(0)
    surname = first.surname
    qtbot.keyClicks(window.search_edit, surname[:3])
    qtbot.keyClicks(window.search_edit, surname[3:])
    assert len(views()) == before + 1  # not while typing
    qtbot.waitUntil(lambda: len(views()) == before + 2, timeout=3000)
    shown = window.proxy.rowCount()
    assert views()[-1] == f"search by name or text: {shown} of 30 pupils shown (whole school)"
    qtbot.wait(1200)
    assert len(views()) == before + 2  # once per search, not per second
    window.search_edit.setText("Y8")
    qtbot.waitUntil(lambda: len(views()) == before + 3, timeout=3000)
    assert views()[-1].startswith("search by year: ")
    assert all(surname not in detail for detail in views())
