"""The Closure tab and the Due view: dialogs filled with widget methods, stored rows asserted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from semh_desktop.closure import closure, sustainability
from semh_desktop.closure.closure import ClosureDetails
from semh_desktop.closure.sustainability import ActionDetails
from semh_desktop.core.store import Store
from semh_desktop.plans import cases
from semh_desktop.register import audit, staff
from ui.common import document_output
from ui.features.closure.dialogs import (
    ActionDialog,
    ClosingDialog,
    FollowUpDialog,
    QuestionnaireDialog,
    SignpostDialog,
)
from ui.features.closure.models import RecordsModel, action_columns
from ui.features.closure.tab import ClosureTab
from ui.features.due.due_view import COL_KIND, COL_PUPIL, COL_STATUS, DueModel, DuePanel, DueView
from ui.shell.features import PUPIL_TABS
from ui.shell.main_window import MainWindow

from ..closure_fixtures import ready_to_close
from ..test_closure_domain import due_fixture

D = dt.date


def audit_of(store: Store, record_type: str, action: str | None = None) -> list[audit.AuditEntry]:
    return [
        e
        for e in audit.entries(store)
        if e.record_type == record_type and (action is None or e.action == action)
    ]


def patch_exec(
    monkeypatch: pytest.MonkeyPatch,
    dialog_class: type[QDialog],
    *fillers: Callable[[QDialog], None],
) -> list[QDialog]:
    """Each exec() runs the next filler on the real dialog, then presses its Save button."""
    queue = list(fillers)
    seen: list[QDialog] = []

    def fake_exec(dialog: QDialog) -> int:
        seen.append(dialog)
        queue.pop(0)(dialog)
        dialog.ok_button.click()  # type: ignore[attr-defined]
        return dialog.result()

    monkeypatch.setattr(dialog_class, "exec", fake_exec)
    return seen


def choose(combo: QComboBox, data: object) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


@pytest.fixture
def ready(store: Store) -> cases.Case:
    return ready_to_close(store)


@pytest.fixture
def window(store: Store, ready: cases.Case, make_window: Callable[..., MainWindow]) -> MainWindow:
    made = make_window(store)
    assert made.select_pupil(ready.pupil_id)
    return made


def closure_tab(window: MainWindow) -> ClosureTab:
    tab = next(t for t in window.pupil_tabs if isinstance(t, ClosureTab))
    window.tabs.setCurrentWidget(tab)
    return tab


def test_the_tab_is_registered_after_the_psp_tab() -> None:
    titles = [t.title for t in PUPIL_TABS]
    assert "Closure" in titles
    assert titles.index("Closure") > titles.index("PSP")


def test_close_a_case_through_the_closing_dialog(
    window: MainWindow, store: Store, ready: cases.Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = closure_tab(window)
    assert tab.close_button.isVisible() and tab.close_button.isEnabled()

    def first_try(dialog: QDialog) -> None:
        assert isinstance(dialog, ClosingDialog)
        assert not dialog.missing_label.isVisible()
        assert dialog.closed_on_edit.text() == "23/11/2026"
        assert [e.text() for e in dialog.follow_up_edits] == ["14/12/2026", "04/01/2027"]
        choose(dialog.reason_combo, "other")  # with no words and no attendees

    def second_try(dialog: QDialog) -> None:
        assert isinstance(dialog, ClosingDialog)
        dialog.closed_on_edit.setText("20/11/2026")
        assert dialog.follow_up_edits[0].text() == "11/12/2026"  # follows the closing date
        dialog.attendees_edit.setPlainText("Mum, Mr Whitlock (class teacher), worker")
        choose(dialog.reason_combo, "stepped_down")
        dialog.follow_up_edits[1].setText("08/01/2027")

    errors: list[dict[str, str]] = []
    seen = patch_exec(monkeypatch, ClosingDialog, first_try)
    tab.close_button.click()
    dialog = seen[0]
    assert isinstance(dialog, ClosingDialog)
    assert dialog.result() != QDialog.DialogCode.Accepted
    errors.append({f: dialog.message_text(f) for f in dialog.messages if dialog.message_text(f)})
    assert set(errors[0]) == {"attendees", "reason_other"}
    assert "who attended" in errors[0]["attendees"]
    assert cases.get_case(store, ready.id).is_open  # nothing stored

    patch_exec(monkeypatch, ClosingDialog, second_try)
    tab.close_button.click()

    row = next(iter(store.db.query("SELECT * FROM cases WHERE id = ?", [ready.id])))
    assert (row["status"], row["closed_on"], row["closure_reason"]) == (
        "closed",
        "2026-11-20",
        "stepped_down",
    )
    assert row["closing_attendees"] == "Mum, Mr Whitlock (class teacher), worker"
    follow_ups = list(
        store.db.query(
            "SELECT number, scheduled_on, observation_on FROM follow_ups WHERE case_id = ? "
            "ORDER BY number",
            [ready.id],
        )
    )
    assert follow_ups == [
        {"number": 1, "scheduled_on": "2026-12-11", "observation_on": "2026-12-04"},
        {"number": 2, "scheduled_on": "2027-01-08", "observation_on": "2027-01-01"},
    ]
    closed = [e for e in audit.entries(store, ready.id) if e.detail.startswith("closed;")]
    assert len(closed) == 1 and closed[0].staff_id == store.staff_id
    assert len(audit_of(store, "follow_up", "create")) == 2
    assert not tab.close_button.isVisible()
    assert "Closed at the closing meeting on 20/11/2026" in tab.summary_label.text()
    assert tab.follow_up_table.proxy.rowCount() == 2


def test_missing_final_scores_are_listed_and_block_the_dialog(qtbot: QtBot) -> None:
    missing = [
        'Target 2 (learning): "I can finish my reading book each week"',
        'Aim 1 (case aim): "Support the pupil\'s emotional regulation"',
    ]
    dialog = ClosingDialog(missing, today=D(2026, 11, 23), earliest=D(2026, 9, 28))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.missing_label.isVisible()
    assert "I can finish my reading book each week" in dialog.missing_label.text()
    assert "emotional regulation" in dialog.missing_label.text()
    assert not dialog.ok_button.isEnabled()


def test_add_two_actions_and_signposting(
    window: MainWindow, store: Store, ready: cases.Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    closure.close_case(
        store, ready.id, ClosureDetails(D(2026, 11, 23), "Mum, worker", "stepped_down")
    )
    window.refresh_caseload()
    tab = closure_tab(window)
    tab.refresh()
    target_id = next(iter(tab._target_labels))

    def first(dialog: QDialog) -> None:
        assert isinstance(dialog, ActionDialog)
        dialog.action_edit.setPlainText("Morning check-in with a key adult")
        dialog.who_edit.setText("Mr Whitlock")
        dialog.how_often_edit.setText("Every morning")
        dialog.until_edit.setText("12/02/2027")
        choose(dialog.target_combo, target_id)

    def bad_date(dialog: QDialog) -> None:
        assert isinstance(dialog, ActionDialog)
        dialog.action_edit.setPlainText("Lunch club place")
        dialog.who_edit.setText("Learning mentor")
        dialog.how_often_edit.setText("Twice a week")
        dialog.until_edit.setText("31/02/2027")

    seen = patch_exec(monkeypatch, ActionDialog, first, bad_date)
    tab.add_action_button.click()
    tab.add_action_button.click()
    refused = seen[1]
    assert isinstance(refused, ActionDialog)
    assert "is not a date" in refused.message_text("until_date")
    assert refused.result() != QDialog.DialogCode.Accepted

    def second(dialog: QDialog) -> None:
        bad_date(dialog)
        assert isinstance(dialog, ActionDialog)
        dialog.until_edit.clear()

    patch_exec(monkeypatch, ActionDialog, second)
    tab.add_action_button.click()

    def signpost(dialog: QDialog) -> None:
        assert isinstance(dialog, SignpostDialog)
        dialog.service_edit.setText("Seaview Family Hub parenting group")
        dialog.contact_edit.setText("01632 960 418")
        dialog.note_edit.setPlainText("Tuesday evenings")

    patch_exec(monkeypatch, SignpostDialog, signpost)
    tab.add_signpost_button.click()

    actions = list(
        store.db.query(
            "SELECT position, action, who, how_often, until_date, target_id FROM "
            "sustainability_actions WHERE case_id = ? ORDER BY position",
            [ready.id],
        )
    )
    assert actions == [
        {
            "position": 1,
            "action": "Morning check-in with a key adult",
            "who": "Mr Whitlock",
            "how_often": "Every morning",
            "until_date": "2027-02-12",
            "target_id": target_id,
        },
        {
            "position": 2,
            "action": "Lunch club place",
            "who": "Learning mentor",
            "how_often": "Twice a week",
            "until_date": None,
            "target_id": None,
        },
    ]
    signposts = list(store.db.query("SELECT service, contact, note FROM signposting"))
    assert signposts == [
        {
            "service": "Seaview Family Hub parenting group",
            "contact": "01632 960 418",
            "note": "Tuesday evenings",
        }
    ]
    assert len(audit_of(store, "sustainability_action", "create")) == 2
    assert len(audit_of(store, "signposting", "create")) == 1
    assert tab.actions_table.proxy.rowCount() == 2
    assert tab.signpost_table.proxy.rowCount() == 1

    # Edit the second action through the same dialog: the audit names the field only.
    assert tab.actions_table.select_id(sustainability.actions_for_case(store, ready.id)[1].id)

    def edit(dialog: QDialog) -> None:
        assert isinstance(dialog, ActionDialog)
        assert dialog.who_edit.text() == "Learning mentor"
        dialog.who_edit.setText("Ms Okafor")

    patch_exec(monkeypatch, ActionDialog, edit)
    tab.edit_action_button.click()
    assert sustainability.actions_for_case(store, ready.id)[1].details.who == "Ms Okafor"
    assert audit_of(store, "sustainability_action", "change")[-1].detail == "fields: who"

    # Removing hides the action and keeps the row.
    removed = sustainability.actions_for_case(store, ready.id)[0]
    assert tab.actions_table.select_id(removed.id)
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    tab.remove_action_button.click()
    assert [
        a.id for a in sustainability.actions_for_case(store, ready.id)
    ] != [] and removed.id not in [a.id for a in sustainability.actions_for_case(store, ready.id)]
    stored = next(
        iter(
            store.db.query(
                "SELECT removed_at FROM sustainability_actions WHERE id = ?", [removed.id]
            )
        )
    )
    assert stored["removed_at"] is not None
    assert audit_of(store, "sustainability_action", "archive")[-1].record_id == removed.id


def test_complete_a_follow_up_through_the_dialog(
    store: Store, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = ready_to_close(store, final_on=D(2026, 10, 26))
    closure.close_case(
        store, case.id, ClosureDetails(D(2026, 10, 26), "Mum, worker", "stepped_down")
    )
    first = sustainability.add_action(
        store, case.id, ActionDetails("Morning check-in", "Mr Whitlock", "Every morning")
    )
    second = sustainability.add_action(
        store, case.id, ActionDetails("Lunch club place", "Learning mentor", "Twice a week")
    )
    window = make_window(store)
    window.select_pupil(case.pupil_id)
    tab = closure_tab(window)
    assert not tab.record_follow_up_button.isEnabled()  # nothing selected yet
    tab.follow_up_table.select_id(sustainability.follow_ups_for_case(store, case.id)[0].id)
    assert tab.record_follow_up_button.isEnabled()

    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, FollowUpDialog)
        assert dialog.held_on_edit.text() == "16/11/2026"  # the booked date, in the past
        assert dialog.observed_on_edit.text() == "09/11/2026"
        dialog.observed_on_edit.setText("10/11/2026")
        dialog.observation_edit.setPlainText("Settled in maths; asked for help twice.")
        choose(dialog.status_combos[first.id], "yes")
        choose(dialog.status_combos[second.id], "partly")
        dialog.note_edits[second.id].setText("Club full on Thursdays")
        dialog.outcome_edit.setPlainText("Keep going; review the lunch club in spring.")

    patch_exec(monkeypatch, FollowUpDialog, fill)
    tab.record_follow_up_button.click()

    row = next(
        iter(
            store.db.query(
                "SELECT held_on, observed_on, observation_note, outcome, completed_by"
                " FROM follow_ups "
                "WHERE case_id = ? AND number = 1",
                [case.id],
            )
        )
    )
    assert row == {
        "held_on": "2026-11-16",
        "observed_on": "2026-11-10",
        "observation_note": "Settled in maths; asked for help twice.",
        "outcome": "Keep going; review the lunch club in spring.",
        "completed_by": store.staff_id,
    }
    checks = list(
        store.db.query(
            "SELECT action_id, status, note FROM follow_up_action_checks ORDER BY status DESC"
        )
    )
    assert checks == [
        {"action_id": first.id, "status": "yes", "note": ""},
        {"action_id": second.id, "status": "partly", "note": "Club full on Thursdays"},
    ]
    held = audit_of(store, "follow_up", "change")
    assert held[-1].detail.startswith("held; actions checked: 2")
    assert "Settled" not in held[-1].detail
    # A recorded follow-up cannot be recorded again from the tab.
    tab.follow_up_table.select_id(sustainability.follow_ups_for_case(store, case.id)[0].id)
    assert not tab.record_follow_up_button.isEnabled()


def test_parent_questionnaire_entered_later(
    window: MainWindow, store: Store, ready: cases.Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    closure.close_case(
        store, ready.id, ClosureDetails(D(2026, 11, 16), "Mum, worker", "stepped_down")
    )
    tab = closure_tab(window)
    tab.refresh()

    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, QuestionnaireDialog)
        dialog.completed_edit.setText("20/11/2026")
        choose(dialog.answer_combos[0], 5)
        choose(dialog.answer_combos[1], 4)
        choose(dialog.partnership_combo, "improved")

    patch_exec(monkeypatch, QuestionnaireDialog, fill)
    tab.parent_questionnaire_button.click()
    rows = list(
        store.db.query(
            "SELECT q.respondent, q.completed_on, q.partnership, "
            "a.position, a.score FROM questionnaires q JOIN "
            "questionnaire_answers a ON a.questionnaire_id = q.id "
            "ORDER BY a.position"
        )
    )
    assert [(r["respondent"], r["completed_on"], r["partnership"]) for r in rows[:1]] == [
        ("parent", "2026-11-20", "improved")
    ]
    assert [r["score"] for r in rows][:3] == [5, 4, None]
    assert len(audit_of(store, "questionnaire", "create")) == 1
    assert not tab.parent_questionnaire_button.isEnabled()
    assert tab.school_questionnaire_button.isEnabled()


def test_print_and_save_are_audited(
    window: MainWindow,
    store: Store,
    ready: cases.Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closure.close_case(
        store, ready.id, ClosureDetails(D(2026, 11, 23), "Mum, worker", "stepped_down")
    )
    sustainability.add_action(
        store,
        ready.id,
        ActionDetails("Morning check-in", "Mr Whitlock", "Every morning", D(2027, 2, 12)),
    )
    tab = closure_tab(window)
    tab.refresh()
    printed: list[str] = []
    monkeypatch.setattr(
        document_output,
        "print_with_preview",
        lambda _parent, document, _title: printed.append(document.plain_text()) or True,
    )
    monkeypatch.setattr(
        document_output, "ask_pdf_path", lambda _parent, _title, suggested: tmp_path / suggested
    )
    tab.print_actions["print_parent"].trigger()
    tab.print_actions["save_staff"].trigger()
    assert "Morning check-in" in printed[0] and ready.pupil_id not in printed[0]
    assert "UPN" not in printed[0]
    saved = list(tmp_path.glob("Sustainability plan *.pdf"))
    assert len(saved) == 1 and saved[0].stat().st_size > 1000
    pupil_audit = [
        (e.action, e.detail)
        for e in audit.entries(store, ready.pupil_id)
        if e.action in ("print", "export")
    ]
    assert pupil_audit == [
        ("print", f"sustainability plan for family, case {ready.id} (print)"),
        ("export", f"sustainability plan for staff, case {ready.id} (pdf)"),
    ]


def test_a_read_only_profile_cannot_change_anything(
    store: Store, ready: cases.Case, make_window: Callable[..., MainWindow]
) -> None:
    reader = staff.add_staff(store, "Visiting worker", "read_only")
    store.staff_id = reader.id
    window = make_window(store)
    window.select_pupil(ready.pupil_id)
    tab = closure_tab(window)
    assert not tab.close_button.isEnabled()
    assert not tab.add_action_button.isEnabled()
    assert not tab.add_signpost_button.isEnabled()
    assert tab.print_button.isEnabled()


def test_models_pass_the_model_tester(qtmodeltester, store: Store) -> None:  # type: ignore[no-untyped-def]
    due_fixture(store)
    from semh_desktop.reporting import due

    model = DueModel()
    model.set_rows(due.due_items(store))
    qtmodeltester.check(model)
    actions = RecordsModel(action_columns(lambda _t: "—", store.clock.today))
    closed = next(iter(store.db.query("SELECT id FROM cases WHERE status = 'closed'")))["id"]
    actions.set_rows(sustainability.actions_for_case(store, closed))
    qtmodeltester.check(actions)


# The Due view ---------------------------------------------------------------------------------


def test_due_view_lists_the_overdue_review_and_opens_the_pupil(
    store: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    ids = due_fixture(store)
    window = make_window(store)
    assert window.feature(DuePanel).action.text() == "Due (7)"
    window.feature(DuePanel).action.trigger()
    view: DueView = window.feature(DuePanel).view
    assert window.feature(DuePanel).dock.isVisible()
    proxy = view.proxy
    rows = [
        (
            proxy.index(r, COL_KIND).data(),
            proxy.index(r, COL_STATUS).data(),
            proxy.index(r, COL_PUPIL).data(),
        )
        for r in range(proxy.rowCount())
    ]
    assert rows[0] == ("Mid-point review", "Overdue", "Zoë O'Neill")
    assert len(rows) == 7

    # Sorting by pupil puts Ama's three items first.
    view.table.sortByColumn(COL_PUPIL, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, COL_PUPIL).data() for r in range(3)] == ["Ama O'Neill"] * 3
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)

    index = proxy.index(0, COL_PUPIL)
    view.table.scrollTo(index)
    rect = view.table.visualRect(index)
    with qtbot.waitSignal(view.open_pupil, timeout=2000) as signal:
        # Qt's item views act on a double-click only over the row that was pressed.
        QTest.mousePress(
            view.table.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            rect.center(),
        )
        QTest.mouseDClick(
            view.table.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            rect.center(),
        )
    assert signal.args == [ids["open_pupil"]]
    assert window.current_pupil is not None and window.current_pupil.id == ids["open_pupil"]
    assert [e.action for e in audit.entries(store, ids["open_pupil"])].count("open") == 1


def test_due_view_opens_a_pupil_hidden_by_the_search(
    store: Store, make_window: Callable[..., MainWindow]
) -> None:
    ids = due_fixture(store)
    window = make_window(store)
    window.search_edit.setText("no such pupil")
    window.feature(DuePanel).action.trigger()
    window.feature(DuePanel).view.open_pupil.emit(ids["third_pupil"])
    assert window.current_pupil is not None and window.current_pupil.id == ids["third_pupil"]


def test_locking_empties_the_due_list(store: Store, make_window: Callable[..., MainWindow]) -> None:
    due_fixture(store)
    window = make_window(store)
    window.feature(DuePanel).action.trigger()
    assert window.feature(DuePanel).view.model.rowCount() == 7
    window.lock()
    assert window.feature(DuePanel).view.model.rowCount() == 0
    assert not window.feature(DuePanel).dock.isVisible()
    assert window.feature(DuePanel).action.text() == "Due (0)"


def test_closing_from_the_tab_updates_the_due_count(
    window: MainWindow, store: Store, ready: cases.Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing is due for the scored case; closing books follow-up 1 on 02/12/2026 (this
    # window runs to 06/12) with its observation on 25/11/2026: two items.
    assert window.feature(DuePanel).action.text() == "Due (0)"

    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, ClosingDialog)
        dialog.attendees_edit.setPlainText("Mum, worker")
        choose(dialog.reason_combo, "stepped_down")
        dialog.follow_up_edits[0].setText("02/12/2026")

    patch_exec(monkeypatch, ClosingDialog, fill)
    closure_tab(window).close_button.click()
    assert not cases.get_case(store, ready.id).is_open
    assert window.feature(DuePanel).action.text() == "Due (2)"


def test_history_shows_every_case_and_the_re_referral(
    store: Store, make_window: Callable[..., MainWindow]
) -> None:
    from semh_desktop.register import pupils

    from ..closure_fixtures import closed_case, open_case_on
    from ..conftest import sample_details

    pupil = pupils.add_pupil(store, sample_details())
    closed_case(store, pupil.id, D(2025, 9, 1), D(2025, 11, 3), reason="disengaged")
    open_case_on(store, pupil.id, D(2026, 6, 1))  # 210 days after the closure
    window = make_window(store)
    window.select_pupil(pupil.id)
    tab = closure_tab(window)
    assert "Re-referral: the previous case closed 210 days before" in tab.summary_label.text()
    proxy = tab.history_table.proxy
    assert proxy.rowCount() == 2
    texts = [[proxy.index(r, c).data() for c in range(proxy.columnCount())] for r in range(2)]
    assert texts[0][4] == "Disengaged" and texts[0][5] == "No (first case)"
    assert texts[1][2] == "Open" and texts[1][5].startswith("Yes (210 days")
