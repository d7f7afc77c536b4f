"""The Attendance tab, the CSV import dialog and the Reports view: widgets filled, rows asserted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QFileDialog, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from semh_desktop.core.changes import Changes
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import.attendance import read_import
from semh_desktop.plans import cases
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.register import audit, pupils
from ui.common import operations
from ui.features.attendance import import_dialog as attendance_import_dialog
from ui.features.attendance.import_dialog import AttendanceImportDialog
from ui.features.attendance.models import SuspensionsModel
from ui.features.attendance.tab import AttendanceTab
from ui.features.reporting.reports_view import ReportsLauncher, ReportsView, ReportsWindow
from ui.shell.features import PUPIL_TABS
from ui.shell.main_window import MainWindow

from ..conftest import sample_details
from ..impact_fixtures import build_cohort

D = dt.date
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def choose(combo: QComboBox, value: object) -> None:
    combo.setCurrentIndex(combo.findData(value))


@pytest.fixture
def tab(qtbot: QtBot, store: Store) -> AttendanceTab:
    pupil = pupils.add_pupil(store, sample_details())
    cases.open_case(
        store,
        pupil.id,
        CaseDetails(
            referral_date=D(2026, 9, 21),
            referred_by="SENCO",
            reason="Test.",
            plan_type="psp",
            start_date=D(2026, 10, 5),
        ),
    )
    widget = AttendanceTab(store)
    qtbot.addWidget(widget)
    widget.show_pupil(pupil)
    widget.resize(900, 1000)
    widget.show()
    return widget


def stored(store: Store, table: str) -> list[dict[str, object]]:
    return list(store.db.query(f"SELECT * FROM {table} ORDER BY rowid"))


def test_the_tab_is_registered() -> None:
    assert AttendanceTab in PUPIL_TABS


def test_add_a_lunchtime_suspension(tab: AttendanceTab, store: Store, qtbot: QtBot) -> None:
    changed: list[Changes] = []
    operations.broadcast_for(store).changed.connect(changed.append)
    tab.suspension_start.setText("16/11/2026")
    tab.suspension_length.setText("0.5")
    choose(tab.suspension_reason, "verbal_adult")
    tab.suspension_note.setText("Sworn at a lunchtime supervisor.")
    qtbot.mouseClick(tab.add_suspension_button, Qt.MouseButton.LeftButton)
    rows = stored(store, "suspensions")
    assert [(r["start_date"], r["half_days"], r["reason"]) for r in rows] == [
        ("2026-11-16", 1, "verbal_adult")
    ]
    assert tab.suspensions_model.rowCount() == 1
    assert (
        tab.suspensions_model.display(tab.suspensions_model.row_at(0), SuspensionsModel.COL_DAYS)
        == "0.5 (lunchtime)"
    )
    assert tab.suspension_start.text() == ""  # the form is ready for the next one
    assert tab.pupil is not None
    assert changed == [Changes.of("suspension", pupil_ids=[tab.pupil.id])]
    assert [e.action for e in audit.entries(store, str(rows[0]["id"]))] == ["create"]
    # The window around the open case now counts it during the intervention.
    during = next(w for w in tab.windows_model.rows() if w.window.key == "during")
    assert (during.incidents, during.half_days) == (1, 1)


def test_messages_appear_next_to_the_fields(tab: AttendanceTab, store: Store, qtbot: QtBot) -> None:
    tab.suspension_start.setText("21/11/2026")  # a Saturday
    tab.suspension_length.setText("1.25")
    qtbot.mouseClick(tab.add_suspension_button, Qt.MouseButton.LeftButton)
    form = tab.suspension_form
    assert "whole or half school days" in form.message("length").text()
    assert form.message("reason").text() == "Choose the reason for the suspension."
    tab.suspension_length.setText("1")
    choose(tab.suspension_reason, "damage")
    qtbot.mouseClick(tab.add_suspension_button, Qt.MouseButton.LeftButton)
    assert "Saturday" in form.message("start_date").text()
    assert not form.message("length").isVisibleTo(tab)
    assert stored(store, "suspensions") == []
    # An overlap is refused with the dates of the other suspension, beside the date field.
    tab.suspension_start.setText("16/11/2026")
    qtbot.mouseClick(tab.add_suspension_button, Qt.MouseButton.LeftButton)
    tab.suspension_start.setText("16/11/2026")
    tab.suspension_length.setText("2")
    choose(tab.suspension_reason, "damage")
    qtbot.mouseClick(tab.add_suspension_button, Qt.MouseButton.LeftButton)
    assert "overlaps another suspension: 16/11/2026" in form.message("start_date").text()
    assert len(stored(store, "suspensions")) == 1
    assert tab.suspension_start.text() == "16/11/2026"  # what was typed is kept


def test_remove_a_suspension_entered_in_error(
    tab: AttendanceTab, store: Store, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab.suspension_start.setText("16/11/2026")
    tab.suspension_length.setText("1")
    choose(tab.suspension_reason, "theft")
    qtbot.mouseClick(tab.add_suspension_button, Qt.MouseButton.LeftButton)
    tab.suspensions_view.selectRow(0)
    monkeypatch.setattr(
        QInputDialog, "getText", lambda *args, **kwargs: ("Entered on the wrong pupil", True)
    )
    qtbot.mouseClick(tab.remove_suspension_button, Qt.MouseButton.LeftButton)
    row = stored(store, "suspensions")[0]
    assert row["withdrawn_reason"] == "Entered on the wrong pupil" and row["withdrawn_at"]
    assert tab.suspensions_model.rowCount() == 0


def test_exclusion_and_its_decision(tab: AttendanceTab, store: Store, qtbot: QtBot) -> None:
    tab.pages.setCurrentIndex(1)
    tab.exclusion_date.setText("02/11/2026")
    choose(tab.exclusion_reason, "assault_adult")
    choose(tab.exclusion_outcome, "pending")
    qtbot.mouseClick(tab.add_exclusion_button, Qt.MouseButton.LeftButton)
    assert [r["exclusion_date"] for r in stored(store, "permanent_exclusions")] == ["2026-11-02"]
    tab.exclusions_view.selectRow(0)
    choose(tab.exclusion_outcome, "rescinded")
    qtbot.mouseClick(tab.decide_button, Qt.MouseButton.LeftButton)
    assert "Enter the date of the decision" in tab.exclusion_form.message("decided_on").text()
    tab.exclusion_decided.setText("13/11/2026")
    qtbot.mouseClick(tab.decide_button, Qt.MouseButton.LeftButton)
    outcomes = [r["outcome"] for r in stored(store, "exclusion_decisions")]
    assert outcomes == ["pending", "rescinded"]
    assert "Rescinded" in tab.exclusions_model.display(tab.exclusions_model.row_at(0), 2)
    assert tab.chart.timeline is not None
    assert tab.chart.timeline.exclusions == ((D(2026, 11, 2), "rescinded"),)


def test_attendance_from_sessions_and_a_duplicate(
    tab: AttendanceTab, store: Store, qtbot: QtBot
) -> None:
    tab.pages.setCurrentIndex(2)
    tab.attendance_date.setText("20/11/2026")
    tab.sessions_possible.setText("120")
    tab.sessions_attended.setText("107")
    qtbot.mouseClick(tab.add_attendance_button, Qt.MouseButton.LeftButton)
    assert [(r["as_of"], r["percent"]) for r in stored(store, "attendance_snapshots")] == [
        ("2026-11-20", 89.2)
    ]
    tab.attendance_date.setText("20/11/2026")
    tab.attendance_percent.setText("95")
    qtbot.mouseClick(tab.add_attendance_button, Qt.MouseButton.LeftButton)
    assert "already an attendance figure" in tab.attendance_form.message("as_of").text()
    tab.attendance_date.setText("23/11/2026")
    tab.attendance_percent.setText("abc")
    qtbot.mouseClick(tab.add_attendance_button, Qt.MouseButton.LeftButton)
    assert "not a percentage" in tab.attendance_form.message("percent").text()
    assert len(stored(store, "attendance_snapshots")) == 1


def test_the_chart_draws_the_timeline(tab: AttendanceTab, store: Store, qtbot: QtBot) -> None:
    tab.pages.setCurrentIndex(2)
    for day, percent in (("01/10/2026", "86"), ("02/11/2026", "91.5")):
        tab.attendance_date.setText(day)
        tab.attendance_percent.setText(percent)
        qtbot.mouseClick(tab.add_attendance_button, Qt.MouseButton.LeftButton)
    tab.suspension_start.setText("28/09/2026")
    tab.suspension_length.setText("2")
    choose(tab.suspension_reason, "disruption")
    qtbot.mouseClick(tab.add_suspension_button, Qt.MouseButton.LeftButton)
    text = tab.chart.accessibleDescription()
    assert "Attendance 86.0% on 01/10/2026, 91.5% on 02/11/2026" in text
    assert "1 suspension(s), 2 day(s)" in text and "PSP from 05/10/2026 to still open" in text
    image = tab.chart.grab().toImage()
    assert image.width() > 300
    colours = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 7)
        for y in range(0, image.height(), 7)
    }
    assert len(colours) > 4  # something was drawn, not a blank rectangle
    ARTIFACTS.mkdir(exist_ok=True)
    tab.grab().save(str(ARTIFACTS / "attendance_tab.png"))


# CSV import ---------------------------------------------------------------------------------


def _csv(tmp_path: Path, upn: str) -> Path:
    path = tmp_path / "suspensions.csv"
    path.write_text(
        f"UPN,Start date,Days,Reason\n{upn},16/11/2026,1,DB\n"
        f"{upn},21/11/2026,1,DB\nB000000000000,16/11/2026,1,DB\n",
        encoding="utf-8",
    )
    return path


def test_import_dialog_lists_rows_and_line_numbered_problems(
    store: Store, qtbot: QtBot, tmp_path: Path
) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    preview = read_import(store, _csv(tmp_path, pupil.upn).read_bytes(), file_name="s.csv")
    dialog = AttendanceImportDialog(preview)
    qtbot.addWidget(dialog)
    assert dialog.rows_model.rowCount() == 1
    assert [dialog.errors_model.display(e, 0) for e in dialog.errors_model.rows()] == ["3", "4"]
    assert dialog.import_button.text() == "Import 1 valid row"
    assert dialog.cancel_button.isDefault()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert stored(store, "suspensions") == []  # the dialog itself never writes


@pytest.mark.parametrize("accept", [True, False])
def test_import_from_the_window(
    school: Store,
    make_window: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    accept: bool,
) -> None:
    window: MainWindow = make_window(school)  # type: ignore[operator]
    row = pupils.caseload(school)[0]
    before = len(stored(school, "suspensions"))
    seen: list[int] = []

    def fake_ask(cls: type, preview: object, parent: object = None) -> bool:
        seen.append(len(preview.errors))  # type: ignore[attr-defined]
        return accept

    monkeypatch.setattr(AttendanceImportDialog, "ask", classmethod(fake_ask))
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(_csv(tmp_path, row.upn)), "")
    )
    action = next(a for a in window.menu("File").actions() if "suspensions" in a.text())
    action.trigger()
    after = stored(school, "suspensions")
    assert seen == [2]
    if accept:
        assert len(after) == before + 1 and after[-1]["start_date"] == "2026-11-16"
        assert any(e.action == "import" for e in audit.entries(school))
    else:
        assert len(after) == before
        assert attendance_import_dialog.run_attendance_import  # cancelled: nothing written


# Reports view -------------------------------------------------------------------------------


def test_reports_view_shows_and_exports(
    store: Store, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_cohort(store)
    view = ReportsView(store)
    qtbot.addWidget(view)
    view.resize(1000, 800)
    view.show()
    assert view.year_combo.currentData() == "2026/27"
    choose(view.year_combo, "2025/26")
    assert not view.pdf_button.isEnabled()
    with qtbot.waitSignal(view.report_ready, timeout=10_000):
        qtbot.mouseClick(view.show_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.worker is None)
    figures = {(f.section, f.measure, f.group): f.display for f in view.model.rows()}
    assert figures[("Cases", "Cases referred in the period", "All")] == "6"
    assert figures[("Cohort profile", "SEN support (%)", "Cohort")] == "83%"
    assert [label for label, _ in view.targets_chart.bars()][-1] == "All kinds"
    assert "6 cases active" in view.summary.text()
    assert view.pdf_button.isEnabled()
    ARTIFACTS.mkdir(exist_ok=True)
    view.grab().save(str(ARTIFACTS / "reports_view.png"))
    target = tmp_path / "cohort"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(view.exported, timeout=10_000):
        qtbot.mouseClick(view.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.worker is None)
    assert (tmp_path / "cohort.pdf").exists()
    with qtbot.waitSignal(view.exported, timeout=10_000):
        qtbot.mouseClick(view.csv_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.worker is None)
    assert "section,measure,group,value" in (tmp_path / "cohort.csv").read_text("utf-8-sig")
    details = [e.detail for e in audit.entries(store) if e.record_type == "cohort_report"]
    assert details == ["cohort impact report 2025/26 (pdf)", "cohort impact report 2025/26 (csv)"]


def test_reports_view_filters_and_cancel(store: Store, qtbot: QtBot) -> None:
    cohort = build_cohort(store)
    view = ReportsView(store)
    qtbot.addWidget(view)
    choose(view.year_combo, "2025/26")
    choose(view.worker_combo, cohort.worker_id)
    choose(view.plan_combo, "psp")
    filters = view.filters()
    assert (filters.worker_id, filters.worker_name, filters.plan_type) == (
        cohort.worker_id,
        "Ruth Testworker",
        "psp",
    )
    with qtbot.waitSignal(view.report_ready, timeout=10_000):
        view.start_report()
    qtbot.waitUntil(lambda: view.worker is None)
    assert view.report is not None and view.report.counts.cohort == 2  # B and C

    # Cancel: the first progress call blocks until Cancel has been pressed.
    def slow(_store: object, progress: object, cancelled: object) -> object:
        from semh_desktop.reporting.impact_report import ReportCancelled

        while not cancelled():  # type: ignore[operator]
            pass
        raise ReportCancelled("The report was cancelled.")

    view._run("Testing:", slow, lambda outcome: None)
    assert view.cancel_button.isVisibleTo(view)
    view.cancel_work()
    qtbot.waitUntil(lambda: view.worker is None, timeout=5_000)
    assert view.status.text() == "Cancelled."


def test_reports_menu_opens_the_view_and_lock_closes_it(window: MainWindow, qtbot: QtBot) -> None:
    action = next(a for a in window.menu("Reports").actions() if "Cohort impact" in a.text())
    action.trigger()
    reports: ReportsWindow = window.feature(ReportsLauncher).window
    assert reports.isVisible()
    window.lock()
    assert not reports.isVisible()
    assert not action.isEnabled()


def test_errors_are_shown_plainly(tab: AttendanceTab, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "information", lambda parent, title, text, *a: shown.append(text)
    )
    tab.decide_selected()  # nothing selected
    assert shown == ["Select the exclusion in the list first."]
