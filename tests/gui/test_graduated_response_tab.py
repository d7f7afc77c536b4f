"""The Graduated response tab, its dialogs, the caseload columns and the template editor."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from semh_desktop.core.changes import Changes
from semh_desktop.graduated import apdr
from semh_desktop.graduated import response as gr
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.apdr import ApdrDetails
from semh_desktop.graduated.response import AnswerRequest, PhaseChangeRequest
from semh_desktop.graduated.templates import ChecklistItem, Phase, Template, template_to_json
from semh_desktop.register import audit, staff
from ui.common import operations
from ui.features.graduated.dialogs import ApdrCycleDialog, ChangePhaseDialog, EvidenceDialog
from ui.features.graduated.models import ApdrCycleModel, ItemHistoryModel, PhaseHistoryModel
from ui.features.graduated.tab import GraduatedResponseTab
from ui.features.graduated.template_editor import (
    ChecklistItemsModel,
    PhasesModel,
    TemplateEditorDialog,
)
from ui.shell.caseload import CaseloadModel, load_extra_values
from ui.shell.features import CASELOAD_COLUMNS, PUPIL_TABS

from ..gr_fixtures import DAY, TODAY, add_pupil, dump_tables, small_template


@pytest.fixture
def template(store):
    return gr_templates.save_edited_template(store, small_template())


@pytest.fixture
def pupil(store, template):
    someone = add_pupil(store)
    gr.change_phase(
        store,
        someone.id,
        PhaseChangeRequest("two", DAY, "Universal support tried for a term.", "senco"),
    )
    return someone


@pytest.fixture
def tab(qtbot, store, pupil):
    widget = GraduatedResponseTab(store)
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.show_pupil(pupil)
    return widget


def answers_of(store, pupil):
    return {a.item_id: a for a in gr.current_answers(store, pupil.id).values()}


def gr_audit(store, pupil):
    return [e for e in audit.entries(store, pupil.id) if e.record_type == "graduated_response"]


def test_the_tab_is_registered_with_its_title():
    assert GraduatedResponseTab in PUPIL_TABS
    assert GraduatedResponseTab.title == "Graduated response"


def test_header_shows_current_phase_and_readiness_and_opens_its_section(tab):
    assert tab.phase_label.text() == "Current phase: Phase two"
    assert "decided by SENCO" in tab.since_label.text()
    assert tab.readiness_label.text() == "Readiness: 0 of 3 done, 0 missing evidence"
    assert [s.expanded for s in tab.sections] == [False, True, False, False]
    assert tab.section("two").rows and not tab.section("one").rows  # closed ones not built
    assert "◀ current phase" in tab.section("two").header.text()
    assert tab.reviewed_label.text().startswith("No reviewed cycles yet")


def test_clicking_statuses_fills_the_checklist_and_is_stored_and_audited(tab, store, pupil):
    tab.item_row("two-1").status_buttons["done"].click()
    tab.item_row("two-2").status_buttons["not_applicable"].click()
    tab.item_row("two-3").status_buttons["not_yet"].click()
    stored = answers_of(store, pupil)
    assert {k: (a.status, a.answered_on, a.staff_name) for k, a in stored.items()} == {
        "two-1": ("done", TODAY, "Test SENCO"),
        "two-2": ("not_applicable", TODAY, "Test SENCO"),
        "two-3": ("not_yet", TODAY, "Test SENCO"),
    }
    assert [e.detail.split(":")[0] for e in gr_audit(store, pupil)[1:]] == [
        "checklist item two-1",
        "checklist item two-2",
        "checklist item two-3",
    ]
    # two-1 asks for evidence: done without a note shows as missing.
    assert tab.readiness_label.text() == (
        "Readiness: 1 of 2 done (1 not applicable), 1 missing evidence"
    )
    assert "evidence missing" in tab.item_row("two-1").detail_label.text()
    assert tab.item_row("two-1").status == "done"
    # Opening another phase's section builds it and shows the right state.
    tab.section("one").header.click()
    assert tab.section("one").expanded and len(tab.section("one").rows) == 3
    assert tab.item_row("one-1").status is None


def test_evidence_dialog_records_date_staff_and_note(tab, store, pupil, monkeypatch):
    def fill(dialog: EvidenceDialog) -> int:
        assert dialog.status == "done"
        dialog.date_edit.setText("31/11/2026")  # no such day
        dialog.ok_button.click()
        assert dialog.message("answered_on").kind == "error"
        assert dialog.message("answered_on").text().startswith("'31/11/2026' is not a date")
        assert dialog.result_value is None
        dialog.date_edit.setText("20/11/2026")
        dialog.staff_combo.setCurrentText("Ruth Adeyemi")
        dialog.evidence_edit.setPlainText("Plan signed by parents; copy in SEN folder.")
        dialog.ok_button.click()
        return dialog.result()

    monkeypatch.setattr(EvidenceDialog, "exec", fill)
    tab.item_row("two-1").evidence_button.click()
    answer = answers_of(store, pupil)["two-1"]
    assert (answer.status, answer.answered_on, answer.staff_name, answer.evidence) == (
        "done",
        dt.date(2026, 11, 20),
        "Ruth Adeyemi",
        "Plan signed by parents; copy in SEN folder.",
    )
    assert tab.readiness_label.text() == "Readiness: 1 of 3 done, 0 missing evidence"
    assert "Plan signed by parents" in tab.item_row("two-1").detail_label.text()
    assert gr_audit(store, pupil)[-1].detail == (
        "checklist item two-1: status, answered_on, staff_name, evidence"
    )
    assert "Plan signed" not in gr_audit(store, pupil)[-1].detail
    # The history button shows both answers after a second change.
    tab.item_row("two-1").status_buttons["not_yet"].click()
    assert len(gr.item_history(store, pupil.id, "two-1")) == 2


def test_change_phase_dialog_shows_messages_next_to_fields(qtbot, store, pupil, template):
    dialog = ChangePhaseDialog(
        template.template.phases, "two", TODAY, lambda r: gr.check_phase_change(store, pupil.id, r)
    )
    qtbot.addWidget(dialog)
    dialog.date_edit.setText("")
    dialog.decided_by_combo.setCurrentIndex(0)
    dialog.ok_button.click()
    for field in ("changed_on", "reason", "decided_by"):
        assert dialog.message(field).kind == "error", field
    assert dialog.message("reason").text() == "Say why the phase is changing."
    assert dialog.message("to_phase").kind == ""  # next phase chosen already
    assert dialog.result_value is None
    assert len(gr.phase_history(store, pupil.id)) == 1


def test_change_phase_through_the_tab_stores_history_and_audit(tab, store, pupil, monkeypatch):
    def fill(dialog: ChangePhaseDialog) -> int:
        assert dialog.to_phase_combo.currentData() == "three"
        dialog.date_edit.setText("20/11/2026")
        dialog.reason_edit.setPlainText("Two reviewed cycles; panel advised outreach.")
        dialog.decided_by_combo.setCurrentIndex(
            dialog.decided_by_combo.findData("partnership_panel")
        )
        dialog.detail_edit.setText("November panel")
        dialog.ok_button.click()
        return dialog.result()

    monkeypatch.setattr(ChangePhaseDialog, "exec", fill)
    changed: list[Changes] = []
    operations.broadcast_for(store).changed.connect(changed.append)
    tab.change_phase_button.click()
    history = gr.phase_history(store, pupil.id)
    assert [
        (c.from_phase_id, c.to_phase_id, c.changed_on, c.decided_by, c.decided_by_detail)
        for c in history
    ][-1] == ("two", "three", dt.date(2026, 11, 20), "partnership_panel", "November panel")
    assert history[-1].reason == "Two reviewed cycles; panel advised outreach."
    assert gr_audit(store, pupil)[-1].detail.startswith(f"phase change {history[-1].id}")
    assert changed == [Changes.of("graduated_response", pupil_ids=[pupil.id])]
    assert tab.phase_label.text() == "Current phase: Phase three"
    assert tab.section("three").expanded and not tab.section("two").expanded
    assert tab.history_model.rowCount() == 2


def test_apdr_add_and_edit_through_dialogs(tab, store, pupil, monkeypatch):
    def add(dialog: ApdrCycleDialog) -> int:
        dialog.date_edits["assess"].setText("05/01/2026")
        dialog.notes_edits["assess"].setPlainText("Boxall Profile completed")
        dialog.date_edits["plan"].setText("12/01/2026")
        dialog.date_edits["do"].setText("19/01/2026")
        dialog.date_edits["review"].setText("02/03/2026")
        dialog.outcome_edit.setPlainText("Continue with mentoring")
        dialog.ok_button.click()
        return dialog.result()

    monkeypatch.setattr(ApdrCycleDialog, "exec", add)
    tab.add_cycle_button.click()
    assert tab.reviewed_label.text().startswith("1 reviewed cycle — authorities usually ask")

    def bad_then_good(dialog: ApdrCycleDialog) -> int:
        dialog.date_edits["assess"].setText("01/09/2026")
        dialog.date_edits["plan"].setText("01/08/2026")  # before the assessment
        dialog.ok_button.click()
        assert dialog.message("plan_on").kind == "error"
        dialog.date_edits["plan"].setText("08/09/2026")
        dialog.date_edits["do"].setText("15/09/2026")
        dialog.date_edits["review"].setText("16/11/2026")
        dialog.outcome_edit.setPlainText("Step up")
        dialog.ok_button.click()
        return dialog.result()

    monkeypatch.setattr(ApdrCycleDialog, "exec", bad_then_good)
    tab.add_cycle_button.click()
    assert tab.reviewed_label.text() == (
        "2 reviewed cycles — enough for an EHC needs assessment request"
    )
    assert apdr.reviewed_count(apdr.cycles(store, pupil.id)) == 2

    def edit(dialog: ApdrCycleDialog) -> int:
        assert dialog.outcome_edit.toPlainText() == "Continue with mentoring"
        dialog.outcome_edit.setPlainText("Continue with mentoring; review in spring")
        dialog.ok_button.click()
        return dialog.result()

    monkeypatch.setattr(ApdrCycleDialog, "exec", edit)
    tab.apdr_table.selectRow(0)
    assert tab.edit_cycle_button.isEnabled()
    tab.edit_cycle_button.click()
    first = apdr.cycles(store, pupil.id)[0]
    assert first.details.outcome == "Continue with mentoring; review in spring"
    assert first.revisions == 2
    assert [e.action for e in audit.entries(store) if e.record_type == "apdr_cycle"] == [
        "create",
        "create",
        "change",
    ]


def test_evidence_pack_button_saves_an_audited_pdf(tab, store, pupil, tmp_path, monkeypatch):
    target = tmp_path / "pack"
    monkeypatch.setattr(
        "ui.features.graduated.tab.QFileDialog.getSaveFileName",
        lambda *a, **k: (str(target), "PDF files (*.pdf)"),
    )
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    tab.evidence_pack_button.click()
    assert (tmp_path / "pack.pdf").read_bytes().startswith(b"%PDF")
    assert told and "confidential" in told[0]
    assert [e.detail for e in audit.entries(store, pupil.id) if e.action == "export"] == [
        "graduated response evidence pack (pdf)"
    ]


def test_old_wording_is_shown_beside_answers_given_against_an_earlier_version(
    qtbot, store, pupil, template
):
    gr.record_answer(store, pupil.id, "two-2", AnswerRequest("done", DAY, "A", "On file"))
    phases = list(template.template.phases)
    two = phases[1]
    phases[1] = Phase(
        two.id,
        two.name,
        two.description,
        (two.items[0], ChecklistItem("two-2", "Reworded item", "", False), two.items[2]),
    )
    gr_templates.save_edited_template(store, Template(template.template.name, tuple(phases)))
    widget = GraduatedResponseTab(store)
    qtbot.addWidget(widget)
    widget.show_pupil(pupil)
    detail = widget.item_row("two-2").detail_label.text()
    assert f"template version {template.version}, worded: “Phase two item 2”" in detail


def test_a_read_only_profile_cannot_change_anything(qtbot, store, pupil):
    store.staff_id = staff.add_staff(store, "Visiting worker", "read_only").id
    widget = GraduatedResponseTab(store)
    qtbot.addWidget(widget)
    widget.show_pupil(pupil)
    row = widget.item_row("two-1")
    assert not any(b.isEnabled() for b in row.status_buttons.values())
    assert not row.evidence_button.isEnabled()
    assert not widget.change_phase_button.isEnabled()
    assert not widget.add_cycle_button.isEnabled()
    assert widget.evidence_pack_button.isEnabled()


def test_clear_forgets_the_pupil(tab):
    tab.clear()
    assert tab.pupil is None and tab.history_model.rowCount() == 0
    assert tab.item_row("two-1").status is None


# --- models and caseload columns ------------------------------------------------------------


def test_models_pass_the_model_tester(qtmodeltester, store, pupil):
    gr.record_answer(store, pupil.id, "two-1", AnswerRequest("done", DAY, "A", "Note"))
    apdr.add_cycle(store, pupil.id, ApdrDetails(DAY, DAY, DAY, TODAY, outcome="Continue"))
    history = PhaseHistoryModel()
    history.set_rows(gr.phase_history(store, pupil.id))
    cycles = ApdrCycleModel()
    cycles.set_rows(apdr.cycles(store, pupil.id))
    items = ItemHistoryModel()
    items.set_rows(gr.item_history(store, pupil.id, "two-1"))
    phases = PhasesModel()
    items_model = ChecklistItemsModel()
    items_model.set_rows(list(small_template().phases[0].items), set())
    for model in (history, cycles, items, phases, items_model):
        qtmodeltester.check(model)
    assert cycles.index(0, ApdrCycleModel.COL_STAGE).data() == "Reviewed"
    assert history.index(0, PhaseHistoryModel.COL_TO).data() == "Phase two"


def test_caseload_shows_phase_and_outstanding_columns(store, pupil):
    other = add_pupil(store, serial=3)
    gr.record_answer(store, pupil.id, "two-2", AnswerRequest("done", DAY))
    model = CaseloadModel(CASELOAD_COLUMNS)
    from semh_desktop.register import pupils

    rows = pupils.caseload(store)
    model.set_rows(rows, load_extra_values(store, rows, model.extra_columns))
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    phase_col, outstanding_col = titles.index("Phase"), titles.index("Outstanding")
    shown = {
        model.row_at(r).pupil_id: (
            model.index(r, phase_col).data(),
            model.index(r, outstanding_col).data(),
        )
        for r in range(model.rowCount())
    }
    assert shown == {pupil.id: ("Phase two", "2"), other.id: ("", "")}


# --- template editor -----------------------------------------------------------------------


@pytest.fixture
def editor(qtbot, store, template):
    dialog = TemplateEditorDialog(
        gr_templates.current_template(store),
        save=lambda t: gr_templates.save_edited_template(store, t),
        import_file=lambda p: gr_templates.import_template(store, p),
        export_file=lambda p: gr_templates.export_template(store, p),
    )
    qtbot.addWidget(dialog)
    return dialog


def test_editor_saves_edits_as_a_new_version(editor, store, template):
    editor.phase_list.setCurrentIndex(editor.phases_model.index(1))
    assert editor.phase_name_edit.text() == "Phase two"
    editor.add_item_button.click()
    new_row = editor.items_model.rowCount() - 1
    editor.items_model.setData(
        editor.items_model.index(new_row, ChecklistItemsModel.COL_TEXT),
        "Attendance reviewed with the family",
    )
    editor.items_model.setData(
        editor.items_model.index(new_row, ChecklistItemsModel.COL_EVIDENCE),
        Qt.CheckState.Checked.value,
        Qt.ItemDataRole.CheckStateRole,
    )
    editor.phase_name_edit.setText("Phase two (SEN support)")
    editor.phase_name_edit.textEdited.emit("Phase two (SEN support)")
    editor.save_button.click()
    saved = gr_templates.current_template(store)
    assert saved.version == template.version + 1 and saved.source == "edit"
    two = saved.template.phase("two")
    assert two.name == "Phase two (SEN support)"
    assert two.items[-1] == ChecklistItem("two-4", "Attendance reviewed with the family", "", True)
    assert gr_templates.get_version(store, template.id).template == template.template
    assert not editor.dirty and editor.saved_versions == 1


def test_editor_refuses_an_invalid_template_and_keeps_the_edits(editor, store):
    editor.phase_list.setCurrentIndex(editor.phases_model.index(0))
    editor.phase_name_edit.setText("")
    editor.phase_name_edit.textEdited.emit("")
    before = dump_tables(store)
    editor.save_button.click()
    assert not editor.problems_label.isHidden()
    assert "Phase 1, name: must not be empty" in editor.problems_label.text()
    assert dump_tables(store) == before
    assert editor.dirty and editor.phases_model.phases[0].name == ""
    # Saved ids cannot be renamed (answers point at them); new ones can.
    index = editor.items_model.index(0, ChecklistItemsModel.COL_ID)
    assert not editor.items_model.flags(index) & Qt.ItemFlag.ItemIsEditable


def test_editor_import_and_export(editor, store, tmp_path, monkeypatch):
    theirs = tmp_path / "theirs.json"
    theirs.write_text(template_to_json(small_template("Borough checklist")), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format_version": 1, "name": "Bad", "phases": []}), encoding="utf-8")
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    monkeypatch.setattr(
        "ui.features.graduated.template_editor.QFileDialog.getOpenFileName",
        lambda *a, **k: (str(bad), ""),
    )
    before = dump_tables(store)
    editor.import_button.click()
    assert warnings and "phases: must list at least one phase" in warnings[0]
    assert dump_tables(store) == before
    monkeypatch.setattr(
        "ui.features.graduated.template_editor.QFileDialog.getOpenFileName",
        lambda *a, **k: (str(theirs), ""),
    )
    editor.import_button.click()
    current = gr_templates.current_template(store)
    assert current.template.name == "Borough checklist" and current.source == "import"
    assert editor.name_edit.text() == "Borough checklist"
    out = tmp_path / "ours"
    monkeypatch.setattr(
        "ui.features.graduated.template_editor.QFileDialog.getSaveFileName",
        lambda *a, **k: (str(out), ""),
    )
    editor.export_button.click()
    assert (tmp_path / "ours.json").read_bytes() == theirs.read_bytes()


def test_settings_action_and_tab_in_the_main_window(qtbot, store, pupil):
    from ui.shell.main_window import MainWindow

    window = MainWindow(store, start_locked=False)
    qtbot.addWidget(window)
    texts = [a.text() for a in window.menu("Settings").actions()]
    assert "&Graduated-response template…" in texts
    assert any(isinstance(t, GraduatedResponseTab) for t in window.pupil_tabs)
    headers = [
        window.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(window.model.columnCount())
    ]
    assert "Phase" in headers and "Outstanding" in headers
