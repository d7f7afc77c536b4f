"""Helpers shared by the graduated-response tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from semh_desktop.core.store import Store
from semh_desktop.graduated.templates import ChecklistItem, Phase, Template
from semh_desktop.register import pupils
from semh_desktop.register.pupils import Pupil
from semh_desktop.register.upn import make_upn

from .conftest import sample_details

# The fixed clock's today is 23/11/2026.
DAY = dt.date(2026, 11, 2)
TODAY = dt.date(2026, 11, 23)


def add_pupil(store: Store, serial: int = 0, **changes: Any) -> Pupil:
    """A fictional pupil; a non-zero `serial` gives another valid UPN."""
    details = sample_details(**changes)
    if serial:
        details.upn = make_upn(873, 4127, 2019, 500 + serial)
    return pupils.add_pupil(store, details)


def dump_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove that a refused import changed nothing."""
    names = sorted(store.db.table_names())
    return {
        name: [
            tuple(row)
            for row in store.conn.execute(f"SELECT * FROM [{name}] ORDER BY rowid").fetchall()
        ]
        for name in names
    }


def small_template(name: str = "Small test template", *, items_per_phase: int = 3) -> Template:
    phases = []
    for phase_id, phase_name in (
        ("one", "Phase one"),
        ("two", "Phase two"),
        ("three", "Phase three"),
        ("four", "Phase four"),
    ):
        items = tuple(
            ChecklistItem(
                f"{phase_id}-{n}", f"{phase_name} item {n}", "", evidence_required=(n == 1)
            )
            for n in range(1, items_per_phase + 1)
        )
        phases.append(Phase(phase_id, phase_name, f"Need at {phase_name.lower()}", items))
    return Template(name, tuple(phases), "Test authority")
