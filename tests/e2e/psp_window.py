"""Run by test_psp_chart_xvfb.py in a subprocess on an Xvfb display (QT_QPA_PLATFORM=xcb).

Builds an in-memory school with one pupil whose PSP has baseline, mid-point and final scores,
opens the main window on the PSP tab, and saves a screenshot of the whole X screen plus the
chart's position on it (chart.json) to the folder given on the command line.

    python -m tests.e2e.psp_window OUT_DIR
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QScrollArea

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.plans import case_aims, cases, scaling, targets
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.scaling import BASELINE, FINAL, MID, ItemScoring, Person, ReviewEntry
from semh_desktop.plans.targets import TargetWording
from semh_desktop.register import pupils, staff
from semh_desktop.register.pupils import Pupil
from tests.conftest import sample_details
from ui.common import theme
from ui.features.plans.tab import PspTab
from ui.shell.main_window import MainWindow


def build_store() -> tuple[Store, Pupil]:
    store = open_memory_store(FixedClock(dt.datetime(2026, 11, 30, 16, 0)))
    worker = staff.add_staff(store, "Daniel Whitlock", "pastoral")
    store.staff_id = worker.id
    pupil = pupils.add_pupil(store, sample_details())
    case = cases.open_case(
        store,
        pupil.id,
        CaseDetails(
            referral_date=dt.date(2026, 9, 21),
            referred_by="Head of Year 8",
            reason="Struggling to settle after break times.",
            consent_date=dt.date(2026, 9, 28),
            consent_by="Mum",
            worker_id=worker.id,
            plan_type="psp",
            start_date=dt.date(2026, 10, 5),
        ),
    )
    words = [
        ("behaviour_wellbeing", "I can stay in class for the whole lesson"),
        ("behaviour_wellbeing", "I can tell an adult when I start to feel cross"),
        ("learning", "I can finish my reading book each week"),
    ]
    plan = [
        targets.add_target(store, case.id, kind, TargetWording(text, "Check in daily."))
        for kind, text in words
    ]
    aim = case_aims.add_aim(store, case.id, "emotional_regulation")
    people = [Person("pupil", "Zoë"), Person("parent_carer"), Person("class_teacher")]
    for point, day, agreed in (
        (BASELINE, dt.date(2026, 10, 5), (2, 3, 4)),
        (MID, dt.date(2026, 11, 2), (5, 4, 6)),
        (FINAL, dt.date(2026, 11, 30), (8, 7, 7)),
    ):
        items = [
            ItemScoring(
                t.id,
                agreed=score,
                independent={0: min(10, score + 3), 1: score, 2: max(1, score - 1)},
            )
            for t, score in zip(plan, agreed, strict=True)
        ]
        if point != MID:
            items.append(ItemScoring(aim_id=aim.id, agreed=3 if point == BASELINE else 8))
        scaling.record_review(store, case.id, ReviewEntry(point, day, people, items))
    return store, pupil


def main(out: Path) -> int:
    app = QApplication(sys.argv[:1])
    theme.apply(app)
    store, pupil = build_store()
    window = MainWindow(store, start_locked=False, idle_ms=60 * 60_000)
    window.resize(1400, 900)
    window.move(0, 0)
    window.show()
    window.select_pupil(pupil.id)
    tab = next(t for t in window.pupil_tabs if isinstance(t, PspTab))
    window.tabs.setCurrentWidget(tab)
    out.mkdir(parents=True, exist_ok=True)

    def shoot() -> None:
        scroll = tab.findChild(QScrollArea)
        if scroll is not None:
            scroll.ensureWidgetVisible(tab.chart)
        app.processEvents()
        screen = window.screen().grabWindow(0)
        screen.save(str(out / "psp_tab_xvfb.png"))
        tab.chart.grab().save(str(out / "psp_chart_widget.png"))
        corner = tab.chart.mapToGlobal(QPoint(0, 0))
        (out / "chart.json").write_text(
            json.dumps(
                {
                    "x": corner.x(),
                    "y": corner.y(),
                    "width": tab.chart.width(),
                    "height": tab.chart.height(),
                    "visible": tab.chart.isVisible(),
                    "description": tab.chart.accessibleDescription(),
                }
            ),
            encoding="utf-8",
        )
        window.idle.detach()
        app.quit()

    QTimer.singleShot(1500, shoot)  # let the window manager-less X server map and paint it
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
