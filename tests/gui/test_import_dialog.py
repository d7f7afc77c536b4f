"""The import dialog: file -> mapping (combo boxes) -> preview tabs -> import or nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from semh_desktop.core.changes import Changes
from semh_desktop.core.store import Store
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.csv_pupils import guess_mapping, read_csv, suggested_mapping
from semh_desktop.exchange.mis_import.fields import NOT_IMPORTED
from semh_desktop.exchange.mis_import.pupils import ImportResult
from ui.common import operations
from ui.features.importing.import_dialog import (
    ImportDialog,
    MappingModel,
    PlannedModel,
    ProblemModel,
)
from ui.shell.main_window import MainWindow

from ..import_helpers import BAD_ROWS, CTF, SIMS, audit_rows, pupil_rows


def _open(store: Store, qtbot: QtBot, path: object) -> ImportDialog:
    dialog = ImportDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.file_edit.setText(str(path))
    dialog.next_button.click()
    return dialog


def _wait_page(qtbot: QtBot, dialog: ImportDialog, page: int) -> None:
    qtbot.waitUntil(
        lambda: dialog.pages.currentIndex() == page and dialog.worker is None, timeout=10_000
    )


def _column(model: Any, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_mapping_then_preview_then_import(store: Store, qtbot: QtBot) -> None:
    dialog = _open(store, qtbot, SIMS)
    _wait_page(qtbot, dialog, ImportDialog.PAGE_MAPPING)
    headers = read_csv(SIMS.read_bytes()).headers
    assert dialog.mapping() == guess_mapping(headers)
    assert _column(dialog.mapping_model, MappingModel.COL_FILLED)[:2] == ["6", "6"]
    surname_combo = dialog.field_combos[headers.index("Surname")]
    assert surname_combo.currentData() == "preferred_surname"
    surname_combo.setCurrentIndex(surname_combo.findData(NOT_IMPORTED))  # the person corrects it
    assert dialog.mapping()[headers.index("Surname")] == NOT_IMPORTED

    dialog.next_button.click()  # Preview
    _wait_page(qtbot, dialog, ImportDialog.PAGE_PREVIEW)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "New (6)",
        "Updated (0)",
        "Unchanged (0)",
        "Errors (0)",
        "Warnings (0)",
    ]
    assert dialog.new_model.rowCount() == 6
    assert "P873412713001" in _column(dialog.new_model, PlannedModel.COL_UPN)
    assert dialog.import_button.text() == "&Import 6 valid rows"
    assert "will not be on the SEMH register" in dialog.preview_summary.text()
    assert pupil_rows(store) == {}  # the preview wrote nothing

    heard: list[Changes] = []
    operations.broadcast_for(store).changed.connect(heard.append)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.result_of_import is not None, timeout=10_000)
    assert dialog.result() == QDialog.DialogCode.Accepted
    rows = pupil_rows(store)
    assert len(rows) == 6
    # The job's changes reach the window's screens once, on the GUI thread.
    assert len(heard) == 1 and heard[0].everyone and heard[0].touches("pupil")
    assert heard[0].pupil_ids == {row["id"] for row in rows.values()}
    renee = rows["P873412713001"]
    assert (
        renee["legal_forename"],
        renee["legal_surname"],
        renee["preferred_forename"],
        renee["preferred_surname"],
        renee["year_group"],
        renee["on_semh_register"],
    ) == ("Renée", "Halloran", "Renée", None, 8, 0)
    assert audit_rows(store)[-1]["detail"] == "created 6, updated 0, unchanged 0, errors 0"
    assert suggested_mapping(store, headers).fields == dialog.mapping()  # remembered


def test_errors_are_listed_and_import_nothing_writes_nothing(store: Store, qtbot: QtBot) -> None:
    audit_before = audit_rows(store)
    dialog = _open(store, qtbot, BAD_ROWS)
    _wait_page(qtbot, dialog, ImportDialog.PAGE_MAPPING)
    dialog.register_check.setChecked(True)
    dialog.next_button.click()
    _wait_page(qtbot, dialog, ImportDialog.PAGE_PREVIEW)
    assert dialog.tabs.currentIndex() == 3  # the Errors tab opens first when there are errors
    assert dialog.tabs.tabText(3) == "Errors (6)"
    assert _column(dialog.error_model, ProblemModel.COL_WHERE) == [
        "line 5",
        "line 6",
        "line 7",
        "line 8",
        "line 10",
        "line 11",
    ]
    assert _column(dialog.error_model, ProblemModel.COL_FIELD)[:3] == [
        "UPN",
        "Date of birth",
        "Legal surname",
    ]
    assert "will be put on the SEMH register" in dialog.preview_summary.text()
    dialog.nothing_button.click()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.result_of_import is None
    assert pupil_rows(store) == {}
    assert audit_rows(store) == audit_before
    assert list(store.db.query("SELECT * FROM settings")) == []


def test_a_bad_mapping_is_explained_next_to_the_table(store: Store, qtbot: QtBot) -> None:
    dialog = _open(store, qtbot, SIMS)
    _wait_page(qtbot, dialog, ImportDialog.PAGE_MAPPING)
    adno = dialog.field_combos[0]
    adno.setCurrentIndex(adno.findData("upn"))
    dialog.next_button.click()
    assert dialog.pages.currentIndex() == ImportDialog.PAGE_MAPPING
    assert dialog.mapping_message.isVisible()
    assert "both set to UPN" in dialog.mapping_message.text()


def test_a_ctf_goes_straight_to_the_preview(store: Store, qtbot: QtBot) -> None:
    dialog = _open(store, qtbot, CTF)
    _wait_page(qtbot, dialog, ImportDialog.PAGE_PREVIEW)
    assert dialog.tabs.tabText(0) == "New (3)" and dialog.tabs.tabText(3) == "Errors (1)"
    assert _column(dialog.error_model, ProblemModel.COL_WHERE) == ["pupil 4"]
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.result_of_import is not None, timeout=10_000)
    assert set(pupil_rows(store)) == {"U873204619001", "H873204619002", "X873204619003"}


def test_a_missing_file_is_explained(store: Store, qtbot: QtBot, tmp_path: Any) -> None:
    dialog = _open(store, qtbot, tmp_path / "nowhere.csv")
    qtbot.waitUntil(lambda: dialog.file_message.isVisible(), timeout=10_000)
    assert "cannot be read" in dialog.file_message.text()
    assert dialog.pages.currentIndex() == ImportDialog.PAGE_FILE


def test_cancel_during_the_import_changes_nothing(
    store: Store, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_apply = pupil_import.apply_import
    started = threading.Event()

    def gated_apply(
        target: Store,
        preview: Any,
        *,
        progress: Callable[[int, int], None],
        cancelled: Callable[[], bool],
    ) -> ImportResult:
        def gate(done: int, total: int) -> None:  # after the first pupil is written
            progress(done, total)
            started.set()
            give_up = time.monotonic() + 10
            while not cancelled() and time.monotonic() < give_up:
                time.sleep(0.01)

        return real_apply(target, preview, progress=gate, cancelled=cancelled)

    monkeypatch.setattr(pupil_import, "apply_import", gated_apply)
    slot_threads: list[threading.Thread] = []
    real_slot = ImportDialog._worker_progressed

    def recording_slot(self: ImportDialog, done: int, total: int) -> None:
        slot_threads.append(threading.current_thread())
        real_slot(self, done, total)

    monkeypatch.setattr(ImportDialog, "_worker_progressed", recording_slot)
    audit_before = audit_rows(store)
    dialog = _open(store, qtbot, SIMS)
    _wait_page(qtbot, dialog, ImportDialog.PAGE_MAPPING)
    dialog.next_button.click()
    _wait_page(qtbot, dialog, ImportDialog.PAGE_PREVIEW)
    dialog.import_button.click()
    qtbot.waitUntil(started.is_set, timeout=10_000)
    assert dialog.cancel_button.isVisible() and dialog.progress.isVisible()
    assert not dialog.import_button.isEnabled()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=10_000)
    assert dialog.status.text() == "Cancelled. Nothing was changed."
    assert dialog.result_of_import is None and dialog.isVisible()
    assert dialog.import_button.isEnabled()
    # Progress reached the widgets on the GUI thread, never from the worker thread.
    assert slot_threads and set(slot_threads) == {threading.main_thread()}
    assert pupil_rows(store) == {}
    assert audit_rows(store) == audit_before


def test_file_menu_import_action_in_the_main_window(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = next(
        a for a in window.menu("File").actions() if a.text().replace("&", "") == "Import pupils…"
    )
    assert action.shortcut().toString() == "Ctrl+I" and action.isEnabled()
    before = window.model.rowCount()

    def ask(store: Store, parent: object = None) -> ImportResult:
        # As the dialog does: the import's changes are announced, and the window listens.
        preview = pupil_import.preview_import(
            store, pupil_import.read_import_file(SIMS), on_register=True
        )
        return operations.run_announced(store, lambda: pupil_import.apply_import(store, preview))

    monkeypatch.setattr(ImportDialog, "ask", staticmethod(ask))
    action.trigger()
    assert window.model.rowCount() == before + 6  # the caseload was refreshed
