"""Settings > Audit trail…, Who has seen this record, the tampering banner, the audited Due list."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from semh_desktop.core.store import Store
from semh_desktop.register import audit, pupils, staff
from tests.conftest import sample_details
from ui.features.audit.banner import ChainBanner
from ui.features.audit.viewer import AuditActions, AuditViewer, EntriesModel, SeenModel
from ui.features.due.due_view import DuePanel
from ui.shell.main_window import MainWindow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def first_pupils(store: Store, count: int) -> list[pupils.CaseloadRow]:
    return pupils.caseload(store)[:count]  # on the SEMH register: the caseload lists them


def open_viewer(window: MainWindow, qtbot: QtBot) -> AuditViewer:
    actions = window.feature(AuditActions)
    assert actions.viewer_action.isEnabled()
    actions.viewer_action.trigger()
    viewer = actions.viewer
    assert viewer is not None
    qtbot.waitExposed(viewer)
    return viewer


def test_the_viewer_filters_by_pupil_and_action(
    school: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window(school)
    one, two = first_pupils(school, 2)
    for pupil_id in (one.pupil_id, two.pupil_id, one.pupil_id):
        assert window.select_pupil(pupil_id)
    viewer = open_viewer(window, qtbot)
    assert viewer.width() <= 1100 and viewer.height() <= 640
    assert len(viewer.shown()) > 10  # the demo school's own history
    viewer.set_filter(viewer.pupil_combo, one.pupil_id)
    viewer.set_filter(viewer.action_combo, "open")
    shown = viewer.shown()
    assert [(r.entry.action, r.entry.pupil_id) for r in shown] == [("open", one.pupil_id)] * 2
    assert {r.pupil_name for r in shown} == {one.name}
    assert {r.staff_name for r in shown} == {"Test SENCO"}
    assert viewer.model.index(0, 2).data() == "Opened"
    assert viewer.count_label.text() == "2 entries match the filters, newest first."
    viewer.set_filter(viewer.action_combo, "print")
    assert viewer.shown() == [] and not viewer.empty_label.isHidden()
    assert "No entries match these filters" in viewer.empty_label.text()
    viewer.clear_filters()
    assert len(viewer.shown()) > 10


def test_the_viewer_dates_filter_and_refuse_nonsense(window: MainWindow, qtbot: QtBot) -> None:
    viewer = open_viewer(window, qtbot)
    qtbot.keyClicks(viewer.from_edit, "24/11/2026")  # the day after the fixed clock's
    viewer.from_edit.editingFinished.emit()
    assert viewer.shown() == []
    viewer.from_edit.setText("23/11/2026")
    viewer.from_edit.editingFinished.emit()
    assert viewer.shown()
    viewer.to_edit.setText("31/13/2026")
    viewer.to_edit.editingFinished.emit()
    assert "is not a date" in viewer.count_label.text()


def test_export_csv_from_the_viewer_is_audited(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    one = first_pupils(window.store, 1)[0]
    window.select_pupil(one.pupil_id)
    viewer = open_viewer(window, qtbot)
    viewer.set_filter(viewer.pupil_combo, one.pupil_id)
    expected = len(viewer.shown())
    out = tmp_path / "trail.csv"
    assert viewer.export_to(out) == expected
    with out.open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == expected and {line["pupil_upn"] for line in lines} == {one.upn}
    assert "open" in {line["action"] for line in lines}
    last = audit.entries(window.store)[-1]
    assert (last.action, last.record_type, last.pupil_id) == ("export", "audit", one.pupil_id)
    assert viewer.shown()[0].entry.action == "export"  # the list shows its own export


def test_check_the_chain_says_whole_then_broken(
    school: Store,
    _demo_school_template: tuple[Store, str],
    make_window: Callable[..., MainWindow],
    qtbot: QtBot,
) -> None:
    # The test school is a copy of the session's template, sealed with the template's key.
    school.audit_key = _demo_school_template[0].audit_key
    window = make_window(school)
    viewer = open_viewer(window, qtbot)
    report = viewer.check_chain()
    assert report is not None and report.ok
    assert viewer.chain_label.text().startswith("The audit trail is whole: ")
    assert audit.entries(school)[-1].action == "verify"
    victim = audit.entries(school)[5]
    school.conn.execute("DROP TRIGGER audit_no_update")
    school.conn.execute("UPDATE audit SET detail = 'x' WHERE id = ?", [victim.id])
    report = viewer.check_chain()
    assert report is not None and report.first_bad_id == victim.id
    assert f"entry {victim.seq} (" in viewer.chain_label.text()
    assert "Tell your data protection officer" in viewer.chain_label.text()
    assert viewer.chain_label.property("role") == "error"


def test_the_viewer_is_for_the_senco_only(school: Store, make_window: Callable[..., MainWindow]):
    pastoral = staff.add_staff(school, "Pat Pastoral", "pastoral")
    school.staff_id = pastoral.id
    window = make_window(school)
    actions = window.feature(AuditActions)
    assert not actions.viewer_action.isEnabled()
    window.select_pupil(first_pupils(school, 1)[0].pupil_id)
    assert not actions.who_action.isEnabled()


def test_who_has_seen_lists_staff_and_counts(
    school: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window(school)
    one = first_pupils(school, 1)[0]
    window.select_pupil(one.pupil_id)
    pupils.open_pupil(school, one.pupil_id)
    actions = window.feature(AuditActions)
    assert actions.who_action.isEnabled()
    actions.who_action.trigger()
    dialog = actions.who
    assert dialog is not None
    qtbot.waitExposed(dialog)
    rows = {(s.staff_name, s.action): s.times for s in dialog.model.rows()}
    assert rows[("Test SENCO", "open")] == 2
    texts = [dialog.model.index(0, c).data() for c in range(4)]
    assert texts[0] == "Test SENCO" and texts[3].startswith("23/11/2026")


def test_the_due_list_is_audited_once_per_view(window: MainWindow, qtbot: QtBot) -> None:
    panel = window.feature(DuePanel)

    def due_views() -> list[audit.AuditEntry]:
        return [e for e in audit.entries(window.store) if e.record_type == "due list"]

    assert due_views() == []  # unlocking counted the list for the toolbar, unseen
    panel.action.setChecked(True)
    qtbot.waitUntil(panel.dock.isVisible)
    views = due_views()
    assert len(views) == 1 and views[0].action == "view"
    count = panel.view.model.rowCount()
    assert views[0].detail == f"{count} due or overdue"
    panel.view.refresh()  # a re-read of the model alone is no new look
    assert len(due_views()) == 1
    panel.action.setChecked(False)
    panel.action.setChecked(True)
    assert len(due_views()) == 2


def test_a_tampered_database_shows_the_red_banner(
    encrypted_store: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    store = encrypted_store
    for number, upn in enumerate(("B801200005001", "A123456789012")):
        pupil = pupils.add_pupil(store, sample_details(upn=upn, legal_surname=f"Pupil{number}"))
        pupils.open_pupil(store, pupil.id)
    victim = next(e for e in audit.entries(store) if e.action == "open")
    store.conn.execute("DROP TRIGGER audit_no_update")
    store.conn.execute("UPDATE audit SET detail = 'nothing' WHERE id = ?", [victim.id])
    window = make_window(store)
    window.resize(1366, 768)
    banner = window.feature(ChainBanner)
    qtbot.waitUntil(lambda: banner.isVisible())
    text = banner.label.text()
    assert text == (
        f"The audit trail has been tampered with: entry {victim.seq} (open, 23/11/2026 10:00) "
        "was changed or replaced. Tell your data protection officer."
    )
    broken = [e for e in audit.entries(store) if e.action == "chain_broken"]
    assert len(broken) == 1 and broken[0].record_id == victim.id
    ARTIFACTS.mkdir(exist_ok=True)
    qtbot.wait(50)
    window.grab().save(str(ARTIFACTS / "audit_banner.png"))
    viewer = open_viewer(window, qtbot)
    viewer.check_chain()
    qtbot.wait(50)  # the wrapped message's new height is laid out on the next pass
    viewer.grab().save(str(ARTIFACTS / "audit_viewer.png"))


def test_an_untouched_database_shows_no_banner(
    encrypted_store: Store, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window(encrypted_store)
    banner = window.feature(ChainBanner)
    qtbot.waitUntil(lambda: banner.report is not None)
    assert banner.report is not None and banner.report.ok and banner.isHidden()
    assert not [e for e in audit.entries(encrypted_store) if e.action == "chain_broken"]


# Builders for tests/gui/test_table_models.py's CASES (one model tester over every model).


def entries_model(store: Store, _tmp: Path) -> EntriesModel:
    viewer = AuditViewer(store)
    model = EntriesModel()
    model.set_rows(viewer.shown())
    viewer.deleteLater()
    return model


def seen_model(store: Store, _tmp: Path) -> SeenModel:
    one = first_pupils(store, 1)[0]
    pupils.open_pupil(store, one.pupil_id)
    second = staff.add_staff(store, "Second Reader", "pastoral")
    acting, store.staff_id = store.staff_id, second.id
    pupils.open_pupil(store, one.pupil_id)
    store.staff_id = acting
    model = SeenModel()
    model.set_rows(audit.who_has_seen(store, one.pupil_id))
    return model


def test_the_audit_models_pass_the_model_tester(
    school: Store, tmp_path: Path, qtmodeltester: ModelTester
) -> None:
    for build in (entries_model, seen_model):
        model = build(school, tmp_path)
        assert model.rowCount() >= 2
        qtmodeltester.check(model)
