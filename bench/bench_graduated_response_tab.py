"""How quickly the Graduated response tab shows a pupil with a long record.

A pupil with a template of 4 phases x 12 items (every item answered, a third of them twice),
4 phase changes and 10 APDR cycles, on an encrypted database file. Prints the median of
several runs for:
  - a new tab: construct it and show the pupil (what the window does on first opening),
  - an existing tab showing the pupil again (what it does when another pupil is opened),
  - the worst case: every phase section open (all 48 item rows filled),
  - the domain read alone (graduated_response.load), and the evidence pack PDF.
Layout and painting are included (processEvents on a shown widget, offscreen).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_graduated_response_tab.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.store import Store
from semh_desktop.documents import evidence_pack
from semh_desktop.graduated import apdr
from semh_desktop.graduated import response as gr
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.apdr import ApdrDetails
from semh_desktop.graduated.response import AnswerRequest, PhaseChangeRequest
from semh_desktop.graduated.templates import ChecklistItem, Phase, Template
from semh_desktop.register import pupils
from semh_desktop.register.database import create_database
from semh_desktop.register.pupils import PupilDetails

RUNS = 15
TODAY = dt.datetime(2026, 11, 23, 10, 0)


def long_template() -> Template:
    names = ("Universal", "Targeted / SEN support", "Targeted plus / external advice", "Specialist")
    phases = []
    for n, name in enumerate(names):
        items = tuple(
            ChecklistItem(
                f"p{n}-{m}",
                f"{name}: checklist item number {m} with a realistic length of "
                "wording that wraps onto a second line in the tab",
                "Some guidance.",
                m % 3 == 0,
            )
            for m in range(12)
        )
        phases.append(Phase(f"p{n}", name, f"Description of need at {name.lower()}.", items))
    return Template("Benchmark template", tuple(phases))


def fill(store: Store) -> str:
    template = gr_templates.save_edited_template(store, long_template()).template
    pupil = pupils.add_pupil(
        store,
        PupilDetails(
            upn="B801200005001",
            legal_forename="Bench",
            legal_surname="Pupil",
            date_of_birth=dt.date(2013, 5, 14),
            year_group=8,
            sen_provision="K",
            primary_need="SEMH",
        ),
    )
    start = dt.date(2024, 9, 2)
    for n, phase in enumerate(template.phases):
        gr.change_phase(
            store,
            pupil.id,
            PhaseChangeRequest(
                phase.id,
                start + dt.timedelta(days=120 * n),
                "Reviewed at the SEN meeting.",
                "partnership_panel" if n else "senco",
            ),
        )
        for m, item in enumerate(phase.items):
            day = start + dt.timedelta(days=120 * n + m)
            if m % 3 == 0:
                gr.record_answer(
                    store, pupil.id, item.id, AnswerRequest("not_yet", day, "Ruth Adeyemi")
                )
            gr.record_answer(
                store,
                pupil.id,
                item.id,
                AnswerRequest(
                    "done" if m % 5 else "not_applicable",
                    day + dt.timedelta(days=2),
                    "Farah Okonjo",
                    "Evidence note kept in the SEN folder." if m % 4 else "",
                ),
            )
    day = start
    for _ in range(10):
        apdr.add_cycle(
            store,
            pupil.id,
            ApdrDetails(
                day,
                day + dt.timedelta(days=7),
                day + dt.timedelta(days=14),
                day + dt.timedelta(days=60),
                "Assessment notes",
                "Plan notes",
                "Do notes",
                "Review notes",
                "Continue",
            ),
        )
        day += dt.timedelta(days=70)
    return pupil.id


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> None:
    app = QApplication.instance() or QApplication([])
    from ui.common import theme
    from ui.features.graduated.tab import GraduatedResponseTab

    theme.apply(app)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as folder:
        created = create_database(
            Path(folder) / "bench.db",
            staff_name="Bench SENCO",
            passphrase=Passphrase("bench passphrase"),
            clock=FixedClock(TODAY),
        )
        store = created.store
        pupil_id = fill(store)
        pupil = pupils.get_pupil(store, pupil_id)
        record = gr.load(store, pupil_id)
        print(
            f"Pupil: {len(record.template.template.phases)} phases x "
            f"{len(record.template.template.phases[0].items)} items, "
            f"{len(record.answers)} items answered, {len(record.history)} phase changes, "
            f"{len(record.cycles)} APDR cycles ({record.reviewed_cycles} reviewed)"
        )

        def new_tab() -> GraduatedResponseTab:
            tab = GraduatedResponseTab(store)
            tab.resize(1000, 800)
            tab.show()
            tab.show_pupil(pupil)
            app.processEvents()
            return tab

        tabs: list[GraduatedResponseTab] = []
        cold = median_ms(lambda: tabs.append(new_tab()))
        for tab in tabs:
            tab.close()
            tab.deleteLater()
        app.processEvents()

        tab = new_tab()

        def again() -> None:
            tab.show_pupil(pupil)
            app.processEvents()

        warm = median_ms(again)
        for section in tab.sections:
            section.set_expanded(True)
        app.processEvents()

        def all_open() -> None:
            tab._expanded_for = pupil_id  # keep every section open, as a person might
            tab.show_pupil(pupil)
            app.processEvents()

        everything = median_ms(all_open)
        domain = median_ms(lambda: gr.load(store, pupil_id))
        pack = median_ms(lambda: evidence_pack.build_evidence_pack(store, pupil), runs=5)
        pdf_path = Path(folder) / "pack.pdf"
        written = median_ms(
            lambda: evidence_pack.write_evidence_pack(store, pupil_id, pdf_path), runs=5
        )
        store.close()

    print(f"New tab, construct + show_pupil + paint:      {cold:7.1f} ms (median of {RUNS})")
    print(f"Existing tab, show_pupil + paint:             {warm:7.1f} ms (median of {RUNS})")
    print(f"Existing tab, all 4 sections open (48 rows):  {everything:7.1f} ms (median of {RUNS})")
    print(f"Domain read alone (graduated_response.load):  {domain:7.1f} ms (median of {RUNS})")
    print(
        f"Evidence pack story / written PDF:            {pack:7.1f} / {written:.1f} ms "
        "(median of 5)"
    )


if __name__ == "__main__":
    main()
