"""Fixtures for the window tests: a small fictional school and an open main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from semh_desktop.core.store import Store
from semh_desktop.demo import school as demo
from ui.shell.main_window import MainWindow


@pytest.fixture
def school(store: Store) -> Store:
    """The in-memory store with 30 fictional pupils, 10 of them on the SEMH register."""
    demo.build_demo(store, pupil_count=30, register_count=10)
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
