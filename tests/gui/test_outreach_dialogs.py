"""Export summary…, Send to outreach (bundle)… and Import bundle…: filled with widget methods."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from semh_desktop.core.changes import Changes
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.exchange import handover, outreach_summary
from semh_desktop.exchange.handover import KdfParams
from semh_desktop.plans import targets
from semh_desktop.register import audit, pupils, staff
from ui.common import operations
from ui.features.outreach import bundle_dialogs
from ui.features.outreach import export_dialog as outreach_export
from ui.features.outreach.bundle_dialogs import ImportBundleDialog, SendBundleDialog
from ui.features.outreach.export_dialog import SummaryExportDialog
from ui.shell.main_window import MainWindow

from ..conftest import TODAY
from ..psp_fixtures import add_targets, make_case

FAST = KdfParams("scrypt", 10, 8, 1)  # tests only
PASSPHRASE = "kettle lighthouse marmalade"


@pytest.fixture
def register(school: Store) -> list[pupils.CaseloadRow]:
    return pupils.caseload(school)


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning"):
        monkeypatch.setattr(
            QMessageBox, name, lambda _parent, _title, text, *a, **k: shown.append(text)
        )
    return shown


def tick(view_model: outreach_export.PupilChoiceModel, pupil_id: str) -> None:
    for row in range(view_model.rowCount()):
        index = view_model.index(row, 0)
        if view_model.data(index, outreach_export.PUPIL_ID_ROLE) == pupil_id:
            assert view_model.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
            return
    raise AssertionError("pupil not listed")


# -- Export summary… --------------------------------------------------------------------------


def test_summary_dialog_defaults_to_pseudonymised_for_several_and_lists_what_leaves(
    qtbot: QtBot, register, tmp_path
):
    first, second = register[0], register[1]
    dialog = SummaryExportDialog(register, {first.pupil_id})
    qtbot.addWidget(dialog)
    assert not dialog.pseudonymise.isChecked()  # one pupil: named
    assert all(box.isChecked() for box in dialog.note_boxes.values())
    assert "UPN" in dialog.leaving_fields()

    tick(dialog.chooser.model, second.pupil_id)  # a cohort: pseudonymised by default
    assert dialog.pseudonymise.isChecked()
    assert not any(box.isChecked() for box in dialog.note_boxes.values())
    leaving = dialog.leaving_fields()
    assert "UPN" not in leaving and "Target wording and who does what" not in leaving
    assert "2 pupils" in dialog.leaving.toPlainText()

    dialog.note_boxes["targets"].setChecked(True)
    assert "Target wording and who does what" in dialog.leaving_fields()
    assert "Target wording and who does what" in dialog.leaving.toPlainText()

    dialog.export_button.click()  # no folder yet
    assert dialog.request is None
    assert dialog.folder_message.text() == "Choose a folder that exists."
    dialog.folder.setText(str(tmp_path))
    dialog.json_button.setChecked(True)
    dialog.contact.setText("  School office   01632 960000 ")
    dialog.export_button.click()
    request = dialog.request
    assert request is not None
    assert set(request.pupil_ids) == {first.pupil_id, second.pupil_id}
    assert request.options.pseudonymise and request.options.notes() == {"targets"}
    assert request.suffix == ".json" and request.folder == tmp_path
    assert request.options.contact_details == "School office 01632 960000"


def test_summary_dialog_refuses_no_pupils(qtbot: QtBot, register, tmp_path):
    dialog = SummaryExportDialog(register, set(), folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.export_button.click()
    assert dialog.request is None
    assert dialog.pupils_message.text() == "Tick at least one pupil."


def test_export_summary_action_writes_the_files_off_the_gui_thread(
    window: MainWindow, school, register, tmp_path, monkeypatch, messages
):
    chosen = tuple(r.pupil_id for r in register[:3])
    options = outreach_summary.default_options(3)
    request = outreach_export.SummaryRequest(
        chosen,
        dataclasses.replace(options, contact_details="Office 01632 960000"),
        ".json",
        tmp_path,
    )
    monkeypatch.setattr(SummaryExportDialog, "ask", classmethod(lambda cls, *a, **k: request))
    before = len(audit.entries(school))
    outreach_export.export_summaries(window)
    written = sorted(tmp_path.glob("*.json"))
    assert len(written) == 3
    document = json.loads(written[0].read_text("utf-8"))
    assert document["pseudonymised"] and document["school_contact"]["details"] == (
        "Office 01632 960000"
    )
    assert messages == [f"Wrote 3 summaries in {tmp_path}."]
    exports = [e for e in audit.entries(school)[before:] if e.action == "export"]
    assert {e.record_id for e in exports} == set(chosen)
    assert outreach_summary.contact_details(school) == "Office 01632 960000"


def test_the_window_has_the_three_actions(window: MainWindow):
    texts = [a.text() for a in window.menu("File").actions()]
    for wanted in ("Export &summary…", "Send to &outreach (bundle)…", "Import &bundle…"):
        assert wanted in texts


# -- Send to outreach (bundle)… ---------------------------------------------------------------


def test_send_dialog_checks_the_passphrase_next_to_its_field_and_previews(
    qtbot: QtBot, school, register, tmp_path
):
    first = register[0]
    dialog = SendBundleDialog(
        register, {first.pupil_id}, lambda ids: handover.export_preview(school, ids)
    )
    qtbot.addWidget(dialog)
    assert first.name in dialog.leaving.toPlainText()
    assert "Staff named in the records" in dialog.leaving.toPlainText()
    dialog.passphrase.setText("short")
    dialog.confirm.setText("short")
    dialog.send_button.click()
    assert dialog.request is None
    assert "at least 10 characters" in dialog.passphrase_message.text()
    dialog.passphrase.setText(PASSPHRASE)
    dialog.confirm.setText(PASSPHRASE + "!")
    dialog.send_button.click()
    assert dialog.confirm_message.text() == "The two passphrases are not the same."
    dialog.confirm.setText(PASSPHRASE)
    dialog.path.setText(str(tmp_path / "handover.zip"))
    dialog.send_button.click()
    assert "must end in .semhbundle" in dialog.path_message.text()
    dialog.path.setText(str(tmp_path / "handover.semhbundle"))
    dialog.send_button.click()
    assert dialog.request == bundle_dialogs.BundleRequest(
        (first.pupil_id,), tmp_path / "handover.semhbundle", PASSPHRASE
    )


def test_send_action_writes_an_encrypted_bundle(
    window: MainWindow, school, register, tmp_path, monkeypatch, messages
):
    path = tmp_path / "out.semhbundle"
    request = bundle_dialogs.BundleRequest(
        (register[0].pupil_id, register[1].pupil_id), path, PASSPHRASE
    )
    monkeypatch.setattr(SendBundleDialog, "ask", classmethod(lambda cls, *a, **k: request))
    monkeypatch.setattr(handover.crypto, "default_kdf", lambda: FAST)
    bundle_dialogs.send_bundle_action(window)
    assert messages and messages[0].startswith("Wrote an encrypted bundle of 2 pupils")
    assert handover.read_bundle(path, PASSPHRASE).pupil_ids == request.pupil_ids
    assert register[0].name.encode() not in path.read_bytes()


# -- Import bundle… ---------------------------------------------------------------------------


def sender_with_case(tmp_path: Path) -> tuple[Store, targets.Target, Path]:
    sender = open_memory_store(FixedClock(TODAY))
    sender.staff_id = staff.add_staff(sender, "Outreach worker", "senco").id
    case = make_case(sender, upn="C801200013999")
    target = add_targets(sender, case)[0]
    path = tmp_path / "from outreach.semhbundle"
    handover.export_bundle(sender, [case.pupil_id], path, PASSPHRASE, kdf=FAST)
    return sender, target, path


def open_in(qtbot: QtBot, dialog: ImportBundleDialog, path: Path, passphrase: str) -> None:
    dialog.path.setText(str(path))
    dialog.passphrase.setText(passphrase)
    dialog.open_button.click()
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=10_000)


def test_import_dialog_wrong_passphrase_then_preview_then_import(qtbot: QtBot, school, tmp_path):
    _sender, _target, path = sender_with_case(tmp_path)
    dialog = ImportBundleDialog(school)
    qtbot.addWidget(dialog)
    count = len(pupils.caseload(school, whole_register=True))

    open_in(qtbot, dialog, path, "not the passphrase")
    assert dialog.pages.currentIndex() == ImportBundleDialog.PAGE_OPEN
    assert dialog.passphrase_message.text().startswith("The passphrase does not open this bundle")
    assert len(pupils.caseload(school, whole_register=True)) == count

    open_in(qtbot, dialog, path, PASSPHRASE)
    assert dialog.pages.currentIndex() == ImportBundleDialog.PAGE_PREVIEW
    assert dialog.pupil_model.rowCount() == 1
    status = dialog.pupil_model.index(0, bundle_dialogs.PupilOutcomeModel.COL_STATUS)
    assert dialog.pupil_model.data(status) == "New pupil"
    assert "1 pupil: 1 new" in dialog.summary.text()
    assert len(pupils.caseload(school, whole_register=True)) == count  # preview wrote nothing

    heard: list[Changes] = []
    operations.broadcast_for(school).changed.connect(heard.append)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert dialog.pages.currentIndex() == ImportBundleDialog.PAGE_RESULT
    assert "were added" in dialog.result_text.toPlainText()
    # A merge may touch any pupil: the screens hear it once, for everyone.
    assert len(heard) == 1 and heard[0].everyone
    assert len(pupils.caseload(school, whole_register=True)) == count + 1
    assert pupils.find_by_upn(school, "C801200013999")


def test_import_dialog_conflict_take_theirs_for_the_selected_row(qtbot: QtBot, school, tmp_path):
    sender, target, path = sender_with_case(tmp_path)
    handover.import_bundle(school, path, PASSPHRASE)
    for store, words in (
        (sender, "Theirs: walk in with a friend"),
        (school, "Mine: meet at the gate"),
    ):
        current = targets.get_target(store, target.id)
        targets.edit_target(
            store, target.id, dataclasses.replace(current.wording, pupil_actions=words)
        )
    second = tmp_path / "second.semhbundle"
    pupil_id = sender.conn.execute("SELECT pupil_id FROM cases").fetchone()[0]
    handover.export_bundle(sender, [pupil_id], second, PASSPHRASE, kdf=FAST)

    dialog = ImportBundleDialog(school)
    qtbot.addWidget(dialog)
    open_in(qtbot, dialog, second, PASSPHRASE)
    model = dialog.conflict_model
    assert model.rowCount() == 1
    mine = model.data(model.index(0, bundle_dialogs.ConflictModel.COL_MINE))
    theirs = model.data(model.index(0, bundle_dialogs.ConflictModel.COL_THEIRS))
    assert "Mine: meet at the gate" in mine and "Theirs: walk in with a friend" in theirs
    assert "1 conflict not chosen yet" in dialog.conflict_message.text()

    dialog.conflict_view.selectRow(0)
    dialog.theirs_button.click()
    assert model.data(model.index(0, bundle_dialogs.ConflictModel.COL_CHOICE)) == "Take theirs"
    assert dialog.conflict_message.text() == "Every conflict has a choice."
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert dialog.report.undecided == []
    assert targets.get_target(school, target.id).wording.pupil_actions.startswith("Theirs:")
