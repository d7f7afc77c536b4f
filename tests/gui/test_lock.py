"""Locking hides every window and dialog, keeps what was typed for the same person only, and
closes the database; signing in again puts the same person back where they were.

The windows here run on in-memory stores behind tests/gui/conftest.py's MemoryGate (locking
suspends the store there too: any read while locked raises). tests/gui/test_sign_in.py does
the same on real encrypted files with key slots.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtPrintSupport import QPrintPreviewDialog
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from semh_desktop.core.errors import Locked
from semh_desktop.core.store import Store
from semh_desktop.plans import scaling
from semh_desktop.plans.scaling import BASELINE
from semh_desktop.register import audit, pupils, staff
from ui.common import drafts
from ui.features.plans.review_dialog import ReviewDialog
from ui.features.plans.tab import PspTab
from ui.features.register.pupil_dialog import PupilDialog
from ui.shell.main_window import MainWindow

from ..psp_fixtures import add_targets, make_case
from .sign_in_helpers import modal, sign_in_as, when

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def visible_windows(window: MainWindow) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]


def assert_nothing_shows(window: MainWindow, store: Store) -> None:
    assert window.is_locked and window.stack.currentWidget() is window.unlock_page
    assert visible_windows(window) == []
    assert window.model.rowCount() == 0 and window.proxy.rowCount() == 0
    assert all(tab.pupil is None for tab in window.pupil_tabs)
    assert window.pupil_name.text() == ""
    assert not store.is_open
    with pytest.raises(Locked):
        pupils.caseload(store)


def test_ctrl_l_in_edit_pupil_hides_it_and_gives_the_typing_back_to_the_same_person(
    window: MainWindow, school: Store, qtbot: QtBot
) -> None:
    window.table.selectRow(2)
    pupil = window.current_pupil
    assert pupil is not None
    window.tabs.setCurrentIndex(1)
    seen: dict[str, object] = {}

    def type_then_press_ctrl_l() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PupilDialog)
        dialog.preferred_forename_edit.setFocus()
        dialog.preferred_forename_edit.selectAll()
        qtbot.keyClicks(dialog.preferred_forename_edit, "Kit")
        dialog.reg_group_edit.setText("8KT")
        # The key goes to the dialog: a window shortcut would be blocked by the modal dialog.
        qtbot.keyClick(
            dialog.preferred_forename_edit, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
        )
        seen["hidden"] = not dialog.isVisible()
        seen["emptied"] = dialog.preferred_forename_edit.text()
        assert_nothing_shows(window, school)
        sign_in_as(window, "Test SENCO")

    def back_again() -> None:
        dialog = modal(PupilDialog)()
        assert isinstance(dialog, PupilDialog)
        seen["forename"] = dialog.preferred_forename_edit.text()
        seen["reg"] = dialog.reg_group_edit.text()
        seen["where"] = (
            window.current_pupil.id if window.current_pupil else None,
            window.tabs.currentIndex(),
        )
        dialog.ok_button.click()

    QTimer.singleShot(0, type_then_press_ctrl_l)
    QTimer.singleShot(
        0, lambda: when(lambda: not window.is_locked and modal(PupilDialog)(), back_again)
    )
    window.edit_action.trigger()
    assert seen["hidden"] is True and seen["emptied"] == ""
    assert seen["forename"] == "Kit" and seen["reg"] == "8KT"
    assert seen["where"] == (pupil.id, 1)  # the same pupil and tab
    stored = pupils.get_pupil(school, pupil.id).details
    assert (stored.preferred_forename, stored.reg_group) == ("Kit", "8KT")
    assert [e.action for e in audit.entries(school, pupil.id)][-1] == "change"


def test_another_person_signing_in_does_not_get_the_dialog(
    window: MainWindow, school: Store, qtbot: QtBot
) -> None:
    before = len(pupils.caseload(school, whole_register=True))
    seen: dict[str, object] = {}

    def type_then_lock() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PupilDialog)
        dialog.legal_forename_edit.setText("Half-typed")
        window.lock()  # what the idle timer does
        sign_in_as(window, "Daniel Whitlock")
        seen["after"] = [type(w).__name__ for w in visible_windows(window)]

    QTimer.singleShot(0, type_then_lock)
    window.new_pupil_action.trigger()  # returns: the dialog ended as if cancelled
    assert (
        not window.is_locked and school.staff_id == staff.find_staff(school, "Daniel Whitlock").id
    )
    assert QApplication.activeModalWidget() is None
    assert len(pupils.caseload(school, whole_register=True)) == before
    assert drafts.running_dialogs() == []
    assert window.current_pupil is None


def test_ctrl_l_hides_the_print_preview(window: MainWindow, school: Store, qtbot: QtBot) -> None:
    case = make_case(school)
    add_targets(school, case)
    window.whole_school_action.trigger()
    assert window.select_pupil(case.pupil_id)
    psp = next(tab for tab in window.pupil_tabs if isinstance(tab, PspTab))
    window.tabs.setCurrentWidget(psp)
    qtbot.waitUntil(lambda: psp.case is not None)
    seen: dict[str, object] = {}

    def in_preview() -> None:
        preview = QApplication.activeModalWidget()
        seen["preview"] = isinstance(preview, QPrintPreviewDialog) and preview.isVisible()
        assert preview is not None
        qtbot.keyClick(preview, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        seen["hidden"] = not preview.isVisible()
        assert_nothing_shows(window, school)
        sign_in_as(window, "Daniel Whitlock")  # someone else: the preview does not come back

    QTimer.singleShot(0, lambda: when(modal(QPrintPreviewDialog), in_preview))
    printed = psp.print_document("staff")
    assert seen == {"preview": True, "hidden": True}
    assert printed is False  # nothing was printed, and nothing is recorded as printed
    assert "print" not in [e.action for e in audit.entries(school, case.pupil_id)]
    assert QApplication.activeModalWidget() is None


def test_a_message_box_and_a_floating_dock_hide_too(window: MainWindow, school: Store) -> None:
    from ui.features.due.due_view import DuePanel

    panel = window.feature(DuePanel)
    panel.action.trigger()
    panel.dock.setFloating(True)
    assert panel.dock.isVisible()
    answers: list[object] = []

    def lock_during_question() -> None:
        box = QApplication.activeModalWidget()
        answers.append(isinstance(box, QMessageBox))
        window.lock()

    QTimer.singleShot(0, lock_during_question)
    answer = QMessageBox.question(window, "Archive pupil", "Archive this pupil?")
    assert answers == [True]
    assert answer != QMessageBox.StandardButton.Yes  # a question ends unanswered
    assert not panel.dock.isVisible()
    assert_nothing_shows(window, school)


def _baseline_case(store: Store) -> tuple[str, list[str]]:
    case = make_case(store)
    first, second = add_targets(store, case)
    for target, score in ((first, 3), (second, 4)):
        scaling.record_score(
            store, case.id, BASELINE, score, target_id=target.id, held_on=dt.date(2026, 10, 5)
        )
    return case.id, [first.id, second.id]


def test_idle_lock_during_a_mid_point_review_keeps_it_for_the_same_person(
    school: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    case_id, (first, second) = _baseline_case(school)
    case_pupil = next(
        p.pupil_id for p in pupils.caseload(school, whole_register=True) if p.upn == "B801200005001"
    )
    window = make_window(school, idle_ms=300)
    window.whole_school_action.trigger()
    assert window.select_pupil(case_pupil)
    psp = next(tab for tab in window.pupil_tabs if isinstance(tab, PspTab))
    window.tabs.setCurrentWidget(psp)
    qtbot.waitUntil(lambda: psp.case is not None)
    psp_index = window.tabs.currentIndex()
    seen: dict[str, object] = {}

    def fill_then_wait() -> None:
        dialog = modal(ReviewDialog)()
        assert isinstance(dialog, ReviewDialog) and dialog.point.point == "mid"
        dialog.date_edit.setText("02/11/2026")
        dialog.add_person("parent_carer", "Ms Ellwood")
        dialog.add_person("pupil")
        dialog.notes_edit.setPlainText("Mum joined by phone.")
        seen["people"] = [(p.role, p.name) for p in dialog.people]
        dialog.next_button.click()
        page = dialog.current_page
        assert page is not None and page.item.key == first
        page.own_spins[0].setValue(6)
        page.own_spins[1].setValue(2)  # a gap of 4: flagged as a disagreement
        page.agreed_spin.setValue(5)
        page.note_edit.setPlainText("Much calmer at lunch; still leaves maths early.")
        seen["spread"] = page.spread_label.text()
        # Nothing typed now: the idle lock comes after 300 ms.
        when(lambda: window.is_locked, locked)

    def locked() -> None:
        dialog = next(d for d in drafts.running_dialogs() if isinstance(d, ReviewDialog))
        seen["hidden"] = not dialog.isVisible()
        seen["cleared"] = dialog.current_page.note_edit.toPlainText()  # type: ignore[union-attr]
        assert_nothing_shows(window, school)
        window.grab().save(str(ARTIFACTS / "lock-during-review.png"))
        sign_in_as(window, "Test SENCO", "wrong passphrase")
        seen["refused"] = window.unlock_page.passphrase_message.text()
        sign_in_as(window, "Test SENCO")
        when(lambda: modal(ReviewDialog)(), back)

    def back() -> None:
        dialog = modal(ReviewDialog)()
        assert isinstance(dialog, ReviewDialog)
        page = dialog.current_page
        assert page is not None
        seen["back"] = {
            "step": dialog.step_label.text(),
            "people": [(p.role, p.name) for p in dialog.people],
            "own": [s.value() for s in page.own_spins],
            "agreed": page.agreed_spin.value(),
            "note": page.note_edit.toPlainText(),
            "meeting": dialog.notes_edit.toPlainText(),
            "spread": page.spread_label.text(),
            "where": (
                window.current_pupil.id if window.current_pupil else None,
                window.tabs.currentIndex(),
            ),
        }
        dialog.grab().save(str(ARTIFACTS / "review-back-after-sign-in.png"))
        dialog.next_button.click()  # on to the second target
        second_page = dialog.current_page
        assert second_page is not None and second_page.item.key == second
        second_page.agreed_spin.setValue(4)
        dialog.next_button.click()  # Save review

    ARTIFACTS.mkdir(exist_ok=True)
    QTimer.singleShot(0, lambda: when(modal(ReviewDialog), fill_then_wait))
    psp.review_button.click()

    assert seen["hidden"] is True and seen["cleared"] == ""
    assert "does not open" in str(seen["refused"])
    assert seen["back"] == {
        "step": "Step 2 of 3: Target 1",
        "people": seen["people"],
        "own": [6, 2] + [0] * (len(seen["people"]) - 2),  # 0: "Not given"
        "agreed": 5,
        "note": "Much calmer at lunch; still leaves maths early.",
        "meeting": "Mum joined by phone.",
        "spread": seen["spread"],
        "where": (case_pupil, psp_index),
    }
    assert "Disagreement" in str(seen["spread"])
    mid = next(r for r in scaling.reviews_for_case(school, case_id) if r.point.point == "mid")
    assert mid.notes == "Mum joined by phone."
    assert [(p.role, p.name) for p in mid.people] == seen["people"]
    assert seen["people"][-2:] == [("parent_carer", "Ms Ellwood"), ("pupil", "")]
    assert scaling.agreed_score(school, mid.id, target_id=first) == 5
    assert scaling.agreed_score(school, mid.id, target_id=second) == 4
    assert [s.score for s in scaling.independent_scores(school, mid.id, target_id=first)] == [6, 2]
    note = school.conn.execute(
        "SELECT note FROM scores WHERE review_id = ? AND target_id = ?", [mid.id, first]
    ).fetchone()[0]
    assert note == "Much calmer at lunch; still leaves maths early."


def test_the_review_draft_is_not_given_to_another_person(
    school: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    case_id, _targets = _baseline_case(school)
    window = make_window(school)
    window.whole_school_action.trigger()
    case_pupil = next(
        p.pupil_id for p in pupils.caseload(school, whole_register=True) if p.upn == "B801200005001"
    )
    assert window.select_pupil(case_pupil)
    psp = next(tab for tab in window.pupil_tabs if isinstance(tab, PspTab))
    window.tabs.setCurrentWidget(psp)
    qtbot.waitUntil(lambda: psp.case is not None)
    seen: dict[str, object] = {}

    def fill_then_lock() -> None:
        dialog = modal(ReviewDialog)()
        assert isinstance(dialog, ReviewDialog)
        dialog.notes_edit.setPlainText("Private notes of the meeting.")
        window.lock()
        sign_in_as(window, "Daniel Whitlock")
        seen["pupil"] = window.current_pupil
        seen["shown"] = visible_windows(window)

    QTimer.singleShot(0, lambda: when(modal(ReviewDialog), fill_then_lock))
    psp.review_button.click()
    assert seen == {"pupil": None, "shown": []}
    assert [r.point.point for r in scaling.reviews_for_case(school, case_id)] == ["baseline"]
    assert drafts.running_dialogs() == []
