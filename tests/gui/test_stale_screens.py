"""No screen shows stale data: a write on one tab is seen on every other, without reopening.

Issue 12's stale screens, tried through the real main window: after creating a PSP the
Closure tab said "No case yet for this pupil"; after closing the case on the Closure tab the
PSP tab still showed it open with Review… enabled and the Attendance tab still said "(open)".
And the other way round: a change to another pupil re-reads none of the open pupil's tabs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from PySide6.QtWidgets import QMessageBox

from semh_desktop.attendance import suspensions
from semh_desktop.attendance.suspensions import SuspensionDetails
from semh_desktop.closure.closure import ClosureDetails
from semh_desktop.core.store import Store
from semh_desktop.plans import cases
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.register import audit, pupils
from ui.common.pupil_tab import PupilTab
from ui.features.attendance.tab import AttendanceTab
from ui.features.closure.dialogs import ClosingDialog
from ui.features.closure.tab import ClosureTab
from ui.features.graduated.tab import GraduatedResponseTab
from ui.features.plans.dialogs import PlanDialog
from ui.features.plans.tab import PspTab
from ui.features.register.profile_tab import ProfileTab
from ui.shell.main_window import MainWindow

from ..closure_fixtures import ready_to_close
from ..conftest import sample_details

Tab = TypeVar("Tab", bound=PupilTab)


def tab_of(window: MainWindow, kind: type[Tab]) -> Tab:
    return next(t for t in window.pupil_tabs if isinstance(t, kind))


def answer(monkeypatch: pytest.MonkeyPatch, dialog: type, value: object) -> None:
    """The dialog's ask() returns `value`, as if it had been filled in and accepted."""
    monkeypatch.setattr(dialog, "ask", staticmethod(lambda *_a, **_k: value))


@pytest.fixture(autouse=True)
def _no_message_boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    shown: list[str] = []
    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda _p, _t, text, *a, **k: shown.append(text))
    yield shown
    assert shown == []  # no write in these tests may fail


def plan_details(store: Store) -> CaseDetails:
    return CaseDetails(
        referral_date=dt.date(2026, 11, 2),
        referral_route="school",
        referred_by="Head of Year 8",
        reason="Finding lessons after lunch hard.",
        consent_date=dt.date(2026, 11, 9),
        consent_by="Mum",
        worker_id=store.staff_id,
        plan_type="psp",
        start_date=dt.date(2026, 11, 16),
        length_weeks=None,
    )


def test_a_new_psp_shows_on_the_closure_tab_at_once(
    store: Store, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    window = make_window(store)
    assert window.select_pupil(pupil.id)
    closure_tab = tab_of(window, ClosureTab)
    assert not closure_tab.empty_label.isHidden()  # "No case yet for this pupil"

    psp = tab_of(window, PspTab)
    window.tabs.setCurrentWidget(psp)
    answer(monkeypatch, PlanDialog, plan_details(store))
    psp.create_button.click()

    [case] = cases.cases_for_pupil(store, pupil.id)
    assert case.is_open
    assert [e.action for e in audit.entries(store, case.id)] == ["create"]
    assert psp.case is not None and psp.case.id == case.id
    # Without choosing another pupil, the Closure tab knows the case.
    window.tabs.setCurrentWidget(closure_tab)
    assert closure_tab.empty_label.isHidden()
    assert closure_tab.case is not None and closure_tab.case.id == case.id
    assert closure_tab.summary_label.text().startswith(f"{case.label}. Not closed yet")
    assert not closure_tab.summary_label.isHidden()
    attendance_tab = tab_of(window, AttendanceTab)
    assert attendance_tab.windows_heading.text() == f"Windows around support: {case.label}"


def test_closing_on_the_closure_tab_shows_on_the_psp_and_attendance_tabs(
    store: Store, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    ready = ready_to_close(store)
    window = make_window(store)
    assert window.select_pupil(ready.pupil_id)
    psp = tab_of(window, PspTab)
    attendance_tab = tab_of(window, AttendanceTab)
    assert psp.review_button.isEnabled()
    assert "(open)" in attendance_tab.windows_heading.text()

    closure_tab = tab_of(window, ClosureTab)
    window.tabs.setCurrentWidget(closure_tab)
    answer(
        monkeypatch,
        ClosingDialog,
        ClosureDetails(
            closed_on=dt.date(2026, 11, 23), attendees="Mum, worker", reason="stepped_down"
        ),
    )
    closure_tab.close_button.click()

    closed = cases.get_case(store, ready.id)
    assert not closed.is_open
    assert [e.action for e in audit.entries(store, ready.id)][-1] == "change"
    # Without choosing another pupil: the PSP tab shows the case closed, Review… disabled.
    window.tabs.setCurrentWidget(psp)
    assert psp.case is not None and psp.case.id == ready.id and not psp.case.is_open
    assert psp.summary_label.text().endswith(" · closed")
    assert not psp.review_button.isEnabled()
    assert not psp.add_target_button.isEnabled()
    # ... and the Attendance tab no longer says "(open)".
    window.tabs.setCurrentWidget(attendance_tab)
    assert "(open)" not in attendance_tab.windows_heading.text()
    assert attendance_tab.windows_heading.text() == f"Windows around support: {closed.label}"


def count_refreshes(monkeypatch: pytest.MonkeyPatch, window: MainWindow) -> dict[str, int]:
    """Count each tab's re-reads (refresh) from now on."""
    counts: dict[str, int] = {tab.title: 0 for tab in window.pupil_tabs}
    for tab in window.pupil_tabs:

        def counted(*args: Any, _tab: PupilTab = tab, _real: Any = tab.refresh) -> Any:
            counts[_tab.title] += 1
            return _real(*args)

        monkeypatch.setattr(tab, "refresh", counted)
    return counts


def test_a_change_to_another_pupil_re_reads_none_of_the_open_pupils_tabs(
    store: Store, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.common import operations

    shown = ready_to_close(store)
    other = pupils.add_pupil(store, sample_details(upn="A123456789012", legal_surname="Other"))
    window = make_window(store)
    assert window.select_pupil(shown.pupil_id)
    counts = count_refreshes(monkeypatch, window)
    resets: list[int] = []
    window.model.modelReset.connect(lambda: resets.append(1))

    details = SuspensionDetails(dt.date(2026, 11, 16), 2, "disruption")
    written = operations.run_write(
        window, store, lambda: suspensions.record_suspension(store, other.id, details)
    )

    assert written is not None
    assert [s.id for s in suspensions.suspensions_for_pupil(store, other.id)] == [written.id]
    assert suspensions.suspensions_for_pupil(store, shown.pupil_id) == []
    assert counts == {tab.title: 0 for tab in window.pupil_tabs}
    assert resets == []  # no caseload column shows suspensions: the list is not re-read
    assert window.current_pupil is not None and window.current_pupil.id == shown.pupil_id

    # The same write for the open pupil re-reads the Attendance tab, and only that tab.
    attendance_tab = tab_of(window, AttendanceTab)
    window.tabs.setCurrentWidget(attendance_tab)
    attendance_tab.suspension_start.setText("17/11/2026")
    attendance_tab.suspension_length.setText("1")
    reason = attendance_tab.suspension_reason
    reason.setCurrentIndex(reason.findData("disruption"))
    attendance_tab.add_suspension_button.click()
    assert len(suspensions.suspensions_for_pupil(store, shown.pupil_id)) == 1
    assert attendance_tab.suspensions_model.rowCount() == 1
    assert counts == {
        ProfileTab.title: 0,
        GraduatedResponseTab.title: 0,
        PspTab.title: 0,
        ClosureTab.title: 0,
        AttendanceTab.title: 1,
    }
    assert resets == []

    # Renaming the other pupil re-reads the caseload (its name is listed), not the tabs.
    renamed = sample_details(upn="A123456789012", legal_surname="Renamed")
    operations.run_write(window, store, lambda: pupils.update_pupil(store, other.id, renamed))
    assert resets == [1]
    names = [row.name for row in window.model.rows()]
    assert any("Renamed" in name for name in names)
    assert counts[ProfileTab.title] == 0 and counts[PspTab.title] == 0
