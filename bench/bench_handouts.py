"""PSP documents: time to build the staff PSP document and the child's handout as PDFs.

A full plan (3 targets, 2 case aims, 4 network members, baseline, mid-point, an extra review
and the final review, each with four people scoring independently).

Run: .venv/bin/python bench/bench_handouts.py   (prints figures; not a test)
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.store import open_memory_store
from semh_desktop.documents import psp as handouts
from semh_desktop.plans import cases, scaling, targets
from semh_desktop.plans.scaling import BASELINE, FINAL, MID, ItemScoring, Person, ReviewEntry
from semh_desktop.register import staff
from tests.psp_fixtures import add_aims, add_targets, make_case, wording


def full_plan():  # type: ignore[no-untyped-def]
    store = open_memory_store(FixedClock(dt.datetime(2026, 11, 30, 16, 0)))
    store.staff_id = staff.add_staff(store, "Bench worker", "pastoral").id
    case = make_case(store)
    plan = add_targets(store, case)
    plan.append(
        targets.add_target(
            store, case.id, "learning", wording("I can ask for help when I am stuck")
        )
    )
    aims = add_aims(store, case)
    for role, name in (
        ("Parent/carer", "Mum"),
        ("Class teacher", "Mrs Okafor"),
        ("SENCO", "Ms Okonjo"),
        ("Learning mentor", "Mr Whitlock"),
    ):
        cases.add_network_member(store, case.id, role, name, "Weekly check-in")
    people = [
        Person("pupil", "Zoë"),
        Person("parent_carer", "Mum"),
        Person("class_teacher", "Mrs Okafor"),
        Person("worker", "Mr Whitlock"),
    ]
    points = (
        (BASELINE, dt.date(2026, 10, 5), 3),
        (MID, dt.date(2026, 11, 2), 5),
        (scaling.extra(), dt.date(2026, 11, 16), 6),
        (FINAL, dt.date(2026, 11, 30), 8),
    )
    for point, day, base in points:
        items = [
            ItemScoring(
                t.id,
                agreed=base,
                independent={0: base, 1: base - 1, 2: base + 1, 3: base},
                note="Going well at lunchtimes.",
            )
            for t in plan
        ]
        if point in (BASELINE, FINAL):
            items += [ItemScoring(aim_id=a.id, agreed=base) for a in aims]
        scaling.record_review(store, case.id, ReviewEntry(point, day, people, items))
    return store, case


def main() -> None:
    store, case = full_plan()
    snap = handouts.plan_snapshot(store, case.pupil_id)
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("staff", "child"):
            path = Path(folder) / f"{kind}.pdf"
            start = time.perf_counter()
            handouts.build_pdf(snap, kind, path)
            first = (time.perf_counter() - start) * 1000
            samples = []
            for _ in range(10):
                start = time.perf_counter()
                handouts.write_handout(store, case.pupil_id, kind, path)  # read + write + audit
                samples.append((time.perf_counter() - start) * 1000)
            print(
                f"{handouts.KINDS[kind]}: first {first:.0f} ms (fonts loaded), then median "
                f"{statistics.median(samples):.0f} ms, max {max(samples):.0f} ms "
                f"({path.stat().st_size // 1024} KB)"
            )
        start = time.perf_counter()
        for kind in ("staff", "child"):
            handouts.psp_document(store, case.pupil_id, kind)
        print(f"blocks for both (read + build): {(time.perf_counter() - start) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
