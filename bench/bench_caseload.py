"""Caseload table figures: filling the model and sorting, a filter keystroke, clearing the filter.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_caseload.py [--sizes 2000 20000]
     [--module path/to/caseload.py]   (another copy of ui/shell/caseload.py, to compare)

Prints each figure beside its floor (the same rows sorted, or searched, in plain Python on a
precomputed key) and the ratio. Not a test: the suite keeps no timing assertions.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
import types
import unicodedata
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semh_desktop.core.store import open_memory_store
from semh_desktop.demo import school as demo
from semh_desktop.register import pupils, staff
from semh_desktop.register.upn import make_upn


def build_rows(count: int) -> list[pupils.CaseloadRow]:
    store = open_memory_store()
    store.staff_id = staff.add_staff(store, "Bench SENCO", "senco").id
    rng = random.Random(2025)
    today = store.clock.today()
    with store.atomic():
        for index in range(count):
            year_group = 7 + index % 5
            details = demo._pupil(rng, index % 1000, year_group, today, index % 7 == 0)
            # demo UPNs hold a three-digit serial; vary the establishment past 1,000 pupils
            details.upn = make_upn(demo.LA_CODE, 4000 + index // 1000, 2020, index % 1000)
            if index % 50 == 0:
                details.legal_forename = rng.choice(["Siân", "Zoë", "Chloé", "Ryszard"])
            pupils.add_pupil(store, details)
    rows = pupils.caseload(store, whole_register=True)
    store.close()
    return rows


def best(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return min(samples) * 1000


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def line(name: str, value: float, floor_name: str, floor: float) -> None:
    ratio = value / floor if floor else float("inf")
    print(f"  {name}: {value:.1f} ms (floor {floor_name}: {floor:.2f} ms, ratio {ratio:.0f})")


def load_module(path: str | None) -> types.ModuleType:
    if path is None:
        from ui.shell import caseload

        return caseload
    spec = importlib.util.spec_from_file_location("bench_caseload_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(module: types.ModuleType, count: int, repeat: int) -> None:
    rows = build_rows(count)
    model = module.CaseloadModel()
    proxy = module.CaseloadFilterProxy()
    proxy.setSourceModel(model)
    print(f"{count} pupils ({module.__file__}):")

    def refresh() -> None:
        model.set_rows(rows)
        proxy.sort(module.COL_NAME, Qt.SortOrder.AscendingOrder)

    keys = [(fold(row.surname), fold(row.name)) for row in rows]
    line(
        "set_rows + sort by name",
        best(refresh, repeat),
        "sorted() on a precomputed key",
        best(lambda: sorted(range(count), key=keys.__getitem__), repeat),
    )
    year_keys = [(row.year_group, fold(row.surname)) for row in rows]

    def resort() -> None:
        proxy.sort(module.COL_YEAR, Qt.SortOrder.DescendingOrder)
        proxy.sort(module.COL_YEAR, Qt.SortOrder.AscendingOrder)

    line(
        "re-sort by year, twice",
        best(resort, repeat),
        "sorted() twice",
        best(
            lambda: [sorted(range(count), key=year_keys.__getitem__, reverse=r) for r in (1, 0)],
            repeat,
        ),
    )
    folded = [fold(row.search_text) for row in rows]
    proxy.set_search("")
    keystrokes = ["s", "si", "sia", "sian"]

    def type_and_clear() -> float:
        samples = []
        for text in keystrokes:
            start = time.perf_counter()
            proxy.set_search(text)
            samples.append(time.perf_counter() - start)
        return max(samples) * 1000

    worst = min(type_and_clear() for _ in range(2))
    found = proxy.rowCount()
    line(
        f"filter keystroke, worst of {keystrokes} ({found} found)",
        worst,
        "substring test over every row",
        best(lambda: [text for text in folded if "sia" in text], repeat),
    )

    def clear() -> None:
        proxy.set_search("sian")
        start = time.perf_counter()
        proxy.set_search("")
        samples.append(time.perf_counter() - start)

    samples: list[float] = []
    for _ in range(repeat):
        clear()
    line(
        "clearing the search",
        min(samples) * 1000,
        "sorted() on a precomputed key",
        best(lambda: sorted(range(count), key=year_keys.__getitem__), repeat),
    )
    assert proxy.rowCount() == count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--module", help="a copy of ui/shell/caseload.py to measure instead")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    _app = QApplication.instance() or QApplication([])
    module = load_module(options.module)
    for count in options.sizes:
        run(module, count, options.repeat)


if __name__ == "__main__":
    main()
