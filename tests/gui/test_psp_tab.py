"""The PSP tab, its dialogs, the Review dialog (independent scaling), printing, meeting mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from semh_desktop.plans import case_aims, cases, scaling, targets
from semh_desktop.plans.scaling import BASELINE
from semh_desktop.register import audit
from ui.features.plans.dialogs import AimDialog, NetworkPersonDialog, PlanDialog, TargetDialog
from ui.features.plans.models import COL_SPREAD, COL_TEXT, PlanProgressModel, PlanRow
from ui.features.plans.progress_chart import ProgressChart
from ui.features.plans.review_dialog import ReviewDialog
from ui.features.plans.tab import PspTab
from ui.shell import meeting_mode
from ui.shell.features import PUPIL_TABS

from ..psp_fixtures import add_aims, add_targets, make_case


def accepted(dialog: QDialog) -> QDialog.DialogCode:
    return (
        QDialog.DialogCode.Accepted
        if dialog.result() == QDialog.DialogCode.Accepted
        else QDialog.DialogCode.Rejected
    )


@pytest.fixture
def case(store):
    return make_case(store)


@pytest.fixture
def tab(qtbot, store, case):
    widget = PspTab(store)
    qtbot.addWidget(widget)
    widget.resize(1000, 900)
    widget.show()
    from semh_desktop.register import pupils

    widget.show_pupil(pupils.get_pupil(store, case.pupil_id))
    return widget


@pytest.fixture(autouse=True)
def _no_message_boxes(monkeypatch):
    shown: list[str] = []
    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, lambda _parent, _title, text, *a, **k: shown.append(text)
        )
    return shown


def test_the_tab_is_registered():
    assert PspTab in PUPIL_TABS
    assert PspTab.title == "PSP"


# --- the Review dialog: three people scoring independently ---------------------------------


def test_review_dialog_three_people_score_independently(qtbot, monkeypatch, store, case, tab):
    first, second = add_targets(store, case)
    aim = add_aims(store, case)[0]
    tab.refresh()
    seen: dict[str, object] = {}

    def walk(dialog: ReviewDialog) -> QDialog.DialogCode:
        assert dialog.point == BASELINE  # nothing scored yet: the baseline comes first
        dialog.date_edit.setText("05/10/2026")
        for row in list(dialog.person_rows):
            dialog.remove_person(row)
        for role, name in (
            ("pupil", "Zoë"),
            ("parent_carer", "Ms Ellwood"),
            ("class_teacher", "Mrs Okafor"),
        ):
            row = dialog.add_person()
            row.role_combo.setCurrentIndex(row.role_combo.findData(role))
            row.name_edit.setText(name)
        dialog.notes_edit.setPlainText("Contracting meeting in the library.")
        dialog.next_button.click()
        # Target 1: each person's own score, then the agreed score.
        page = dialog.current_page
        assert page is not None and page.item.target_id == first.id
        assert len(page.own_spins) == 3
        for spin, value in zip(page.own_spins, (6, 4, 2), strict=True):
            spin.setValue(value)
        seen["spread"] = page.spread_label.text()
        seen["spread_role"] = page.spread_label.property("role")
        dialog.next_button.click()  # no agreed score yet: refused, message by the field
        assert dialog.current_page is page
        seen["agreed_message"] = page.agreed_message.text()
        assert not page.agreed_message.isHidden()
        page.agreed_spin.setValue(4)
        page.note_edit.setPlainText("Zoë scored higher; agreed 4 after talking.")
        dialog.next_button.click()
        # Target 2: close scores, no disagreement.
        page = dialog.current_page
        assert page is not None and page.item.target_id == second.id
        for spin, value in zip(page.own_spins, (5, 6, 5), strict=True):
            spin.setValue(value)
        seen["second_spread"] = page.spread_label.text()
        page.agreed_spin.setValue(5)
        dialog.next_button.click()
        # The case aim: only two people score it; the third leaves it "Not given".
        page = dialog.current_page
        assert page is not None and page.item.aim_id == aim.id
        page.own_spins[1].setValue(3)
        page.own_spins[2].setValue(2)
        page.agreed_spin.setValue(3)
        dialog.next_button.click()  # Aim 2
        page = dialog.current_page
        assert page is not None
        page.agreed_spin.setValue(2)
        assert dialog.next_button.text() == "&Save review"
        dialog.next_button.click()
        return accepted(dialog)

    monkeypatch.setattr(ReviewDialog, "exec", walk)
    tab.review_button.click()

    assert "Disagreement" in str(seen["spread"]) and "2 to 6" in str(seen["spread"])
    assert seen["spread_role"] == "warning"
    assert "agreed score" in str(seen["agreed_message"])
    assert "Disagreement" not in str(seen["second_spread"])
    reviews = scaling.reviews_for_case(store, case.id)
    assert len(reviews) == 1
    review = reviews[0]
    assert review.point == BASELINE and review.held_on == dt.date(2026, 10, 5)
    assert [(p.role, p.name) for p in review.people] == [
        ("pupil", "Zoë"),
        ("parent_carer", "Ms Ellwood"),
        ("class_teacher", "Mrs Okafor"),
    ]
    # The stored agreed score, the individual scores and the disagreement flag.
    assert scaling.agreed_score(store, review.id, target_id=first.id) == 4
    own = scaling.independent_scores(store, review.id, target_id=first.id)
    assert [(s.person.role, s.person.name, s.score) for s in own] == [
        ("pupil", "Zoë", 6),
        ("parent_carer", "Ms Ellwood", 4),
        ("class_teacher", "Mrs Okafor", 2),
    ]
    spread = scaling.item_spread(store, review.id, target_id=first.id)
    assert spread is not None and spread.disagreement and spread.range == 4
    second_spread = scaling.item_spread(store, review.id, target_id=second.id)
    assert second_spread is not None and not second_spread.disagreement
    aim_own = scaling.independent_scores(store, review.id, aim_id=aim.id)
    assert [s.score for s in aim_own] == [3, 2]
    rows = list(store.db.query("SELECT score, note FROM scores ORDER BY seq"))
    assert [r["score"] for r in rows] == [4, 5, 3, 2]
    assert rows[0]["note"] == "Zoë scored higher; agreed 4 after talking."
    assert review.notes == "Contracting meeting in the library."
    assert len(list(store.db.query("SELECT id FROM independent_scores"))) == 8
    detail = audit.entries(store, review.id)[-1].detail
    assert detail == "agreed scores: 4; independent scores: 8; people present: 3"
    # The tab shows the new scores and the disagreement in words.
    texts = {
        tab.model.row_at(r).item_id: tab.model.index(r, COL_SPREAD).data()
        for r in range(tab.model.rowCount())
    }
    assert texts[first.id] == "6, 4, 2: disagree by 4"
    assert texts[second.id] == "5, 6, 5"
    assert tab.chart.items()[0].baseline == 4


def test_mid_point_review_adjusts_actions_and_skips_aims(qtbot, monkeypatch, store, case, tab):
    first, _second = add_targets(store, case)
    aim = add_aims(store, case)[0]
    for target, score in ((first, 3), (_second, 4)):
        scaling.record_score(
            store, case.id, BASELINE, score, target_id=target.id, held_on=dt.date(2026, 10, 5)
        )
    scaling.record_score(store, case.id, BASELINE, 2, aim_id=aim.id, held_on=dt.date(2026, 10, 5))
    tab.refresh()

    def walk(dialog: ReviewDialog) -> QDialog.DialogCode:
        assert dialog.point.point == "mid"
        dialog.date_edit.setText("02/11/2026")
        dialog.next_button.click()
        keys = [p.item.key for p in dialog.item_pages]
        assert keys == [first.id, _second.id]  # aims are scored at baseline and final
        page = dialog.current_page
        assert page is not None
        page.agreed_spin.setValue(6)
        page.action_edits["school_actions"].setPlainText("Meet me at the gate on Mondays.")
        dialog.next_button.click()
        page = dialog.current_page
        assert page is not None
        page.agreed_spin.setValue(5)
        dialog.next_button.click()
        return accepted(dialog)

    monkeypatch.setattr(ReviewDialog, "exec", walk)
    tab.review_button.click()
    history = targets.target_history(store, first.id)
    assert [v.wording.school_actions for v in history] == [
        "Check in with me at the start of each day.",
        "Meet me at the gate on Mondays.",
    ]
    assert len(targets.target_history(store, _second.id)) == 1
    mid = next(r for r in scaling.reviews_for_case(store, case.id) if r.point.point == "mid")
    assert scaling.agreed_score(store, mid.id, target_id=first.id) == 6


def test_review_dialog_date_checks(qtbot, store, case, tab):
    add_targets(store, case)
    tab.refresh()
    dialog = ReviewDialog(
        tab.review_items(),
        point=BASELINE,
        today=dt.date(2026, 11, 23),
        earliest=dt.date(2026, 9, 21),
    )
    qtbot.addWidget(dialog)
    dialog.date_edit.setText("24/11/2026")
    dialog.next_button.click()
    assert dialog.pages.currentIndex() == 0
    assert "future" in dialog.date_message.text()
    dialog.date_edit.setText("01/09/2026")
    dialog.next_button.click()
    assert "before 21/09/2026" in dialog.date_message.text()
    dialog.date_edit.setText("not a date")
    dialog.next_button.click()
    assert "dd/mm/yyyy" in dialog.date_message.text()
    # Mid-point chosen before any baseline: nothing can be scored yet.
    dialog.date_edit.setText("05/10/2026")
    dialog.point_combo.setCurrentIndex(dialog.point_combo.findData("mid"))
    dialog.next_button.click()
    assert dialog.pages.currentIndex() == 0
    assert "baseline first" in dialog.point_message.text()


# --- creating the plan, targets, aims and the network ---------------------------------------


def test_create_plan_through_the_dialog(qtbot, monkeypatch, store):
    from semh_desktop.register import pupils

    from ..conftest import sample_details

    pupil = pupils.add_pupil(store, sample_details())
    widget = PspTab(store)
    qtbot.addWidget(widget)
    widget.show_pupil(pupil)
    assert widget.empty_label.isVisibleTo(widget)
    assert widget.create_button.isEnabled()
    messages: dict[str, str] = {}

    def fill(dialog: PlanDialog) -> QDialog.DialogCode:
        dialog.referral_date_edit.setText("21/09/2026")
        dialog.reason_edit.setPlainText("Angry outbursts at lunchtime.")
        dialog.start_date_edit.setText("05/10/2026")
        dialog.ok_button.click()  # "referred by" missing: stays open, message by the field
        messages["referred_by"] = dialog.messages["referred_by"].text()
        assert dialog.result() != QDialog.DialogCode.Accepted
        dialog.referred_by_edit.setText("Head of Year 8")
        dialog.consent_date_edit.setText("28/09/2026")
        dialog.consent_by_edit.setText("Dad")
        dialog.plan_type_combo.setCurrentIndex(dialog.plan_type_combo.findData("psp"))
        dialog.weeks_spin.setValue(12)
        messages["preview"] = dialog.review_label.text()
        dialog.worker_combo.setCurrentIndex(1)
        dialog.ok_button.click()
        return accepted(dialog)

    monkeypatch.setattr(PlanDialog, "exec", fill)
    widget.create_button.click()
    assert messages["referred_by"] == "Enter who referred the pupil (a name or a role)."
    # 12 weeks from 05/10/2026: mid after 6 weeks (16/11), final after 12 (28/12).
    assert messages["preview"] == "Mid-point review 16/11/2026 · final review 28/12/2026"
    row = next(iter(store.db.query("SELECT * FROM cases")))
    assert (
        row["referral_date"],
        row["referred_by"],
        row["consent_by"],
        row["length_weeks"],
        row["plan_type"],
        row["worker_id"],
    ) == ("2026-09-21", "Head of Year 8", "Dad", 12, "psp", store.staff_id)
    assert [e.action for e in audit.entries(store, row["id"])] == ["create"]
    assert widget.case is not None and widget.table.isVisibleTo(widget)
    assert not widget.create_button.isVisibleTo(widget)


def test_add_targets_until_full_then_refused(qtbot, monkeypatch, store, case, tab):
    def fill(dialog: TargetDialog) -> QDialog.DialogCode:
        dialog.ok_button.click()  # empty target: message under the field
        assert "own words" in dialog.messages["target_text"].text()
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("learning"))
        dialog.edits["target_text"].setPlainText("I can ask for help in maths")
        dialog.edits["pupil_actions"].setPlainText("Put my hand up or use my help card.")
        dialog.edits["rewards"].setText("Choosing the class game")
        dialog.ok_button.click()
        return accepted(dialog)

    monkeypatch.setattr(TargetDialog, "exec", fill)
    for _ in range(3):
        assert tab.add_target_button.isEnabled()
        tab.add_target_button.click()
    stored = targets.targets_for_case(store, case.id)
    assert [(t.kind, t.text, t.wording.rewards) for t in stored] == [
        ("learning", "I can ask for help in maths", "Choosing the class game")
    ] * 3
    assert not tab.add_target_button.isEnabled()  # a fourth is not offered
    assert "at most 3 targets" in tab.add_target_button.toolTip()


def test_edit_selected_target_keeps_history(qtbot, monkeypatch, store, case, tab):
    first = add_targets(store, case)[0]
    scaling.record_score(store, case.id, BASELINE, 3, target_id=first.id)
    tab.refresh()
    tab.table.selectRow(0)
    assert tab.edit_item_button.isEnabled()

    def fill(dialog: TargetDialog) -> QDialog.DialogCode:
        assert not dialog.kind_combo.isEnabled()  # scored: the kind is fixed
        dialog.edits["target_text"].setPlainText("I can stay in class, using my calm card")
        dialog.ok_button.click()
        return accepted(dialog)

    monkeypatch.setattr(TargetDialog, "exec", fill)
    tab.edit_item_button.click()
    history = targets.target_history(store, first.id)
    assert [v.wording.target_text for v in history] == [
        "I can stay in class for the whole lesson",
        "I can stay in class, using my calm card",
    ]
    assert "using my calm card" in tab.proxy.index(0, COL_TEXT).data()


def test_add_aim_and_network_person(qtbot, monkeypatch, store, case, tab):
    def fill_aim(dialog: AimDialog) -> QDialog.DialogCode:
        dialog.aim_combo.setCurrentIndex(1)  # a suggested aim
        dialog.ok_button.click()
        return accepted(dialog)

    def fill_person(dialog: NetworkPersonDialog) -> QDialog.DialogCode:
        dialog.role_combo.setCurrentText("Class teacher")
        dialog.name_edit.setText("Mrs Okafor")
        dialog.ok_button.click()
        return accepted(dialog)

    monkeypatch.setattr(AimDialog, "exec", fill_aim)
    monkeypatch.setattr(NetworkPersonDialog, "exec", fill_person)
    tab.add_aim_button.click()
    tab.person_button.click()
    assert [a.suggested for a in case_aims.aims_for_case(store, case.id)] == ["relationships"]
    assert [m.label for m in cases.network(store, case.id)] == ["Mrs Okafor (Class teacher)"]
    assert "Mrs Okafor" in tab.network_label.text()


def test_read_only_staff_cannot_change_the_plan(qtbot, store, case):
    from semh_desktop.register import pupils, staff

    reader = staff.add_staff(store, "Visiting worker", "read_only")
    store.staff_id = reader.id
    widget = PspTab(store)
    qtbot.addWidget(widget)
    widget.show_pupil(pupils.get_pupil(store, case.pupil_id))
    assert not widget.review_button.isEnabled()
    assert not widget.add_target_button.isEnabled()
    assert widget.print_button.isEnabled()


# --- printing and saving ---------------------------------------------------------------------


def test_print_goes_through_the_preview_and_is_audited(
    qtbot, monkeypatch, tmp_path, store, case, tab
):
    add_targets(store, case)
    tab.refresh()
    printed = tmp_path / "printed.pdf"

    def print_it(dialog: QPrintPreviewDialog) -> QDialog.DialogCode:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        dialog.paintRequested.emit(printer)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintPreviewDialog, "exec", print_it)
    assert tab.print_document("child")
    # Qt's PDF writer separates words with tabs.
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(printed).pages).split())
    assert "My targets" in text and "I can stay in class for the whole lesson" in text
    prints = [e for e in audit.entries(store, case.pupil_id) if e.action == "print"]
    assert len(prints) == 1 and prints[0].detail.startswith("child-friendly handout")


def test_cancelled_print_is_not_audited(qtbot, monkeypatch, store, case, tab):
    monkeypatch.setattr(QPrintPreviewDialog, "exec", lambda _d: QDialog.DialogCode.Rejected)
    assert not tab.print_document("staff")
    assert [e for e in audit.entries(store, case.pupil_id) if e.action == "print"] == []


def test_save_as_pdf_writes_and_audits(qtbot, monkeypatch, tmp_path, store, case, tab):
    add_targets(store, case)
    tab.refresh()
    target = tmp_path / "plan"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), "PDF files (*.pdf)")
    )
    assert tab.save_pdf("staff")
    written = Path(f"{target}.pdf")
    text = "".join(page.extract_text() for page in PdfReader(written).pages)
    assert "I can finish my reading book each week" in text
    exports = [e for e in audit.entries(store, case.pupil_id) if e.action == "export"]
    assert len(exports) == 1 and exports[0].detail.endswith("(pdf)")
    assert "Saved the PSP document" in tab.output_label.text()


# --- the model and the chart -----------------------------------------------------------------


def test_progress_model_passes_the_model_tester(qtmodeltester, store, case):
    from semh_desktop.plans import progress

    first = add_targets(store, case)[0]
    scaling.record_score(store, case.id, BASELINE, 3, target_id=first.id)
    model = PlanProgressModel()
    model.set_rows([PlanRow(p) for p in progress.case_progress(store, case.id)])
    qtmodeltester.check(model)
    assert model.index(0, COL_TEXT).data().startswith("Target 1 (behaviour)")


def test_chart_describes_its_bars(qtbot, store, case):
    from semh_desktop.plans import progress

    first = add_targets(store, case)[0]
    scaling.record_score(store, case.id, BASELINE, 3, target_id=first.id)
    chart = ProgressChart()
    qtbot.addWidget(chart)
    chart.set_items(progress.case_progress(store, case.id))
    assert chart.accessibleDescription() == "Target 1: baseline 3; Target 2: not scored"
    image = chart.grab()
    assert not image.isNull()


# --- meeting mode ----------------------------------------------------------------------------


def test_meeting_mode_hides_the_caseload_and_enlarges_text(school, make_window):
    window = make_window(school)
    assert window.caseload_pane.isVisible()
    window.meeting_mode_action.trigger()
    assert meeting_mode.is_meeting_mode(window)
    assert not window.caseload_pane.isVisible()
    assert not window.chips.isVisible()
    assert "font-size: 14pt" in window.detail_pane.styleSheet()
    window.lock()
    assert not meeting_mode.is_meeting_mode(window)
    assert not window.meeting_mode_action.isChecked()
    assert window.detail_pane.styleSheet() == ""


def test_meeting_mode_shortcut(school, make_window):
    window = make_window(school)
    assert window.meeting_mode_action.shortcut().toString() == "Ctrl+M"
    first = next(
        iter(
            school.db.query(
                "SELECT id FROM pupils WHERE on_semh_register = 1 AND archived_at IS NULL LIMIT 1"
            )
        )
    )
    assert window.select_pupil(first["id"])
    meeting_mode.set_meeting_mode(window, True)
    assert window.meeting_mode_action.isChecked()
    assert not window.chips.isVisibleTo(window)
    meeting_mode.set_meeting_mode(window, False)
    assert window.caseload_pane.isVisible()
    assert window.current_pupil is not None
    assert window.chips.isVisibleTo(window)


def test_psp_tab_shows_demo_plans_in_the_window(school, make_window):
    window = make_window(school)
    with_case = next(
        iter(
            school.db.query(
                "SELECT pupil_id FROM cases WHERE status = 'open' ORDER BY start_date LIMIT 1"
            )
        )
    )
    assert window.select_pupil(with_case["pupil_id"])
    tab = next(t for t in window.pupil_tabs if isinstance(t, PspTab))
    assert tab.case is not None and tab.model.rowCount() >= 3
    assert tab.chart.has_scores()
