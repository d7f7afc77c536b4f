"""Adding and editing pupils through the dialog, as a person would: fill, click, check the store."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from semh_desktop.core.errors import NotFound
from semh_desktop.core.store import Store
from semh_desktop.register import audit, pupils
from ui.features.register.pupil_dialog import PupilDialog
from ui.shell.main_window import MainWindow

VALID_UPN = "B801200005001"


def fill_dialog(dialog: PupilDialog, *, upn: str = VALID_UPN) -> None:
    dialog.legal_forename_edit.setText("Siân")
    dialog.legal_surname_edit.setText("O'Neill")
    dialog.preferred_forename_edit.setText("Zoë")
    dialog.dob_edit.setText("14/05/2013")
    dialog.upn_edit.setText(upn)
    dialog.year_combo.setCurrentIndex(dialog.year_combo.findData(8))
    dialog.reg_group_edit.setText("8H")
    dialog.sex_combo.setCurrentIndex(dialog.sex_combo.findData("F"))
    dialog.sen_combo.setCurrentIndex(dialog.sen_combo.findData("K"))
    dialog.need_combo.setCurrentIndex(dialog.need_combo.findData("SEMH"))
    dialog.social_care_combo.setCurrentIndex(dialog.social_care_combo.findData("CIN"))
    dialog.pupil_premium_check.setChecked(True)
    dialog.young_carer_check.setChecked(True)
    dialog.eal_check.setChecked(False)
    dialog.at_risk_pex_check.setChecked(True)
    dialog.ethnicity_edit.setText("WBRI")
    dialog.register_check.setChecked(True)


def while_dialog_open(work: Callable[[PupilDialog], None], failures: list[BaseException]) -> None:
    """Run `work` on the modal pupil dialog once its exec() loop is running."""

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, PupilDialog), dialog
            work(dialog)
        except BaseException as exc:
            failures.append(exc)
            if isinstance(dialog, PupilDialog):
                dialog.reject()

    QTimer.singleShot(0, run)


def test_add_pupil_through_dialog_stores_row_and_audit(window: MainWindow, school: Store) -> None:
    failures: list[BaseException] = []

    def fill_and_save(dialog: PupilDialog) -> None:
        fill_dialog(dialog)
        dialog.ok_button.click()

    while_dialog_open(fill_and_save, failures)
    window.new_pupil_action.trigger()
    assert not failures, failures

    stored = pupils.find_by_upn(school, VALID_UPN)
    d = stored.details
    assert (d.legal_forename, d.legal_surname, d.preferred_forename) == ("Siân", "O'Neill", "Zoë")
    assert d.date_of_birth is not None and d.date_of_birth.isoformat() == "2013-05-14"
    assert (d.year_group, d.reg_group, d.sex, d.sen_provision, d.primary_need) == (
        8,
        "8H",
        "F",
        "K",
        "SEMH",
    )
    assert (d.social_care, d.pupil_premium, d.young_carer, d.eal, d.at_risk_pex) == (
        "CIN",
        True,
        True,
        False,
        True,
    )
    assert d.ethnicity == "WBRI" and d.on_semh_register
    actions = [(e.action, e.record_type) for e in audit.entries(school, stored.id)]
    assert ("create", "pupil") in actions
    assert ("open", "pupil") in actions  # the new pupil is selected and shown
    assert window.current_pupil is not None and window.current_pupil.id == stored.id
    assert window.pupil_name.text() == "Zoë O'Neill"


def test_invalid_upn_is_shown_next_to_the_field_and_nothing_is_stored(
    window: MainWindow, school: Store
) -> None:
    failures: list[BaseException] = []
    seen: dict[str, object] = {}
    before = len(audit.entries(school))

    def try_bad_upn(dialog: PupilDialog) -> None:
        fill_dialog(dialog, upn="A801200005001")
        dialog.ok_button.click()
        seen["visible"] = dialog.isVisible()
        seen["upn_message"] = dialog.message("upn").text()
        seen["upn_shown"] = dialog.message("upn").isVisibleTo(dialog)
        seen["kind"] = dialog.message("upn").kind
        seen["name_shown"] = dialog.message("legal_forename").isVisibleTo(dialog)
        dialog.cancel_button.click()

    while_dialog_open(try_bad_upn, failures)
    window.new_pupil_action.trigger()
    assert not failures, failures

    assert seen["visible"] is True  # the dialog stayed open
    assert "check letter" in str(seen["upn_message"])
    assert seen["upn_shown"] is True and seen["kind"] == "error"
    assert seen["name_shown"] is False  # only the broken field has a message
    with pytest.raises(NotFound):
        pupils.find_by_upn(school, "A801200005001")
    assert len(audit.entries(school)) == before


def test_dialog_errors_sit_next_to_each_field(qtbot: QtBot, store: Store) -> None:
    dialog = PupilDialog(lambda d: pupils.validate(store, d))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.dob_edit.setText("31/02/2013")
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.result_value is None
    assert "first name" in dialog.message("legal_forename").text()
    assert "surname" in dialog.message("legal_surname").text()
    assert "not a date" in dialog.message("date_of_birth").text()
    assert "UPN" in dialog.message("upn").text()
    assert dialog.upn_edit.property("invalid") == "true"


def test_unknown_la_code_is_an_amber_warning_then_saves_on_second_press(
    qtbot: QtBot, store: Store
) -> None:
    dialog = PupilDialog(lambda d: pupils.validate(store, d))
    qtbot.addWidget(dialog)
    dialog.show()
    fill_dialog(dialog, upn="n999123426001")
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.message("upn").kind == "warning"
    assert "not one we know" in dialog.message("upn").text()
    dialog.ok_button.click()
    assert dialog.result() == PupilDialog.DialogCode.Accepted
    accepted = dialog.result_value
    assert accepted is not None and accepted.upn == "N999123426001"  # normalised


def test_edit_pupil_round_trips_names_and_audits_the_change(
    window: MainWindow, school: Store
) -> None:
    from tests.conftest import sample_details

    pupil = pupils.add_pupil(school, sample_details(legal_forename="Zoë", legal_surname="D'Souza"))
    window.refresh_caseload()
    assert window.select_pupil(pupil.id)
    failures: list[BaseException] = []
    shown: dict[str, str] = {}

    def change_reg_group(dialog: PupilDialog) -> None:
        shown["forename"] = dialog.legal_forename_edit.text()
        shown["surname"] = dialog.legal_surname_edit.text()
        shown["dob"] = dialog.dob_edit.text()
        dialog.reg_group_edit.setText("8L")
        dialog.ok_button.click()

    while_dialog_open(change_reg_group, failures)
    window.edit_action.trigger()
    assert not failures, failures
    assert shown == {"forename": "Zoë", "surname": "D'Souza", "dob": "14/05/2013"}
    updated = pupils.get_pupil(school, pupil.id)
    assert updated.details.reg_group == "8L"
    assert updated.details.legal_surname == "D'Souza"
    changes = [e for e in audit.entries(school, pupil.id) if e.action == "change"]
    assert [e.detail for e in changes] == ["fields: reg_group"]
    assert window.profile_tab.value("Year group") == "Y8 (8L)"
