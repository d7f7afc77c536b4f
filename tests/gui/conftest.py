"""Fixtures for the window tests: a small fictional school and an open main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.demo import school as demo
from semh_desktop.register import staff
from tests.conftest import TODAY
from ui.shell.main_window import MainWindow


@pytest.fixture(scope="session")
def _demo_school_template() -> Iterator[tuple[Store, str]]:
    """The demo school, built once per test session (building it takes about half a second)."""
    template = open_memory_store(FixedClock(TODAY))
    senco = staff.add_staff(template, "Test SENCO", "senco")
    template.staff_id = senco.id
    demo.build_demo(template, pupil_count=30, register_count=10)
    yield template, senco.id
    template.close()


@pytest.fixture
def school(store: Store, _demo_school_template: tuple[Store, str]) -> Store:
    """The in-memory store with 30 fictional pupils, 10 of them on the SEMH register.

    A copy of the session's demo school (SQLite's backup API), so each test starts from the
    same school and may change it freely.
    """
    template, senco_id = _demo_school_template
    template.conn.backup(store.conn)
    store.staff_id = senco_id
    return store


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    made: list[MainWindow] = []

    def make(store: Store, **options: object) -> MainWindow:
        options.setdefault("idle_ms", 10 * 60_000)
        window = MainWindow(store, **options)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.idle.detach()


@pytest.fixture
def window(school: Store, make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window(school)
