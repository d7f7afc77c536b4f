"""The background-work helper: its own connection, progress, cancel and errors on the GUI thread.

The first test is the lost-audit-row defect of issue 12: a "lock" row written on the GUI thread
while a worker's transaction was open became a savepoint inside that transaction (the worker
shared the window's connection) and vanished when the worker rolled back.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlcipher3
from pytestqt.qtbot import QtBot

from semh_desktop.core.errors import StoreError, ValidationError
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.store import Store
from semh_desktop.register import audit
from semh_desktop.register.database import open_database
from ui.common.background import BackgroundTask, CancelCheck, Outcome, Progress, describe_error

PASSPHRASE = Passphrase("correct horse")  # the encrypted_store fixture's


def _details(path: Path) -> list[str]:
    """The audit details as a fresh connection to the file sees them (what is really saved)."""
    again = open_database(path, passphrase=PASSPHRASE)
    try:
        return [entry.detail for entry in audit.entries(again)]
    finally:
        again.close()


def _settled(qtbot: QtBot, task: BackgroundTask[object]) -> Outcome[object]:
    with qtbot.waitSignal(task.settled, timeout=20_000) as signal:
        task.start()
    outcome = signal.args[0]
    assert isinstance(outcome, Outcome)
    return outcome


def test_a_row_written_while_a_job_holds_a_transaction_survives_its_rollback(
    encrypted_store: Store, qtbot: QtBot
) -> None:
    window_store = encrypted_store
    assert window_store.path is not None
    wrote, may_finish = threading.Event(), threading.Event()
    rolled_back_at: list[float] = []

    def job(store: Store, _progress: Progress, _cancelled: CancelCheck) -> None:
        assert store is not window_store and store.staff_id == window_store.staff_id
        try:
            with store.atomic():
                audit.record(store, "export", "test", detail="the job's row")
                wrote.set()
                assert may_finish.wait(10)
                time.sleep(0.3)  # the window's write below is waiting on the lock by now
                raise ValidationError("The job gave up.")
        finally:
            rolled_back_at.append(time.monotonic())

    task = BackgroundTask.on_store(window_store, job)
    with qtbot.waitSignal(task.settled, timeout=20_000) as signal:
        task.start()
        # Had the job been given the window's connection, it could not have written at all
        # (a connection refuses other threads), and this wait would time out.
        qtbot.waitUntil(wrote.is_set, timeout=10_000)
        may_finish.set()
        writing_at = time.monotonic()
        # On the GUI thread, on the window's connection, while the job's transaction is open:
        # SQLite makes this wait for the job's write lock, then commits it on its own.
        audit.record(window_store, "lock", "session", detail="the window's row")
    outcome = signal.args[0]
    assert writing_at < rolled_back_at[0]  # the two really overlapped
    assert not outcome.ok and outcome.message == "The job gave up."
    assert not window_store.conn.in_transaction
    details = _details(window_store.path)
    assert "the window's row" in details
    assert "the job's row" not in details


def test_on_one_connection_the_same_write_joins_the_open_transaction_and_is_lost(
    encrypted_store: Store,
) -> None:
    """Why a job needs its own connection: the defect itself, on one thread and one connection."""
    assert encrypted_store.path is not None
    with pytest.raises(ValidationError), encrypted_store.atomic():
        audit.record(encrypted_store, "export", "test", detail="the job's row")
        audit.record(encrypted_store, "lock", "session", detail="the window's row")
        raise ValidationError("The job gave up.")
    details = _details(encrypted_store.path)
    assert "the window's row" not in details and "the job's row" not in details


def test_the_window_connection_refuses_to_be_used_from_another_thread(
    encrypted_store: Store,
) -> None:
    errors: list[BaseException] = []

    def use() -> None:
        try:
            encrypted_store.conn.execute("SELECT 1")
        except sqlcipher3.ProgrammingError as exc:
            errors.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert len(errors) == 1


def test_the_job_connection_is_closed_when_the_job_ends(store: Store, qtbot: QtBot) -> None:
    seen: list[Store] = []

    def job(own: Store, _progress: Progress, _cancelled: CancelCheck) -> int:
        seen.append(own)
        return int(own.conn.execute("SELECT count(*) FROM staff").fetchone()[0])

    outcome = _settled(qtbot, BackgroundTask.on_store(store, job))
    assert outcome.ok and outcome.value == 1  # the in-memory store's SENCO, seen from the job
    with pytest.raises(sqlcipher3.ProgrammingError):
        seen[0].conn.execute("SELECT 1")


def test_progress_arrives_on_the_gui_thread_in_order(qtbot: QtBot) -> None:
    received: list[tuple[int, int, str, threading.Thread]] = []

    def job(progress: Progress, _cancelled: CancelCheck) -> str:
        progress(1, 3)
        progress(2, 3, "second step")
        progress(3, 3)
        return "done"

    task = BackgroundTask.plain(job)
    task.progressed.connect(
        lambda done, total, what: received.append((done, total, what, threading.current_thread()))
    )
    outcome = _settled(qtbot, task)
    assert outcome.ok and outcome.value == "done" and outcome.message == ""
    assert [r[:3] for r in received] == [(1, 3, ""), (2, 3, "second step"), (3, 3, "")]
    assert {r[3] for r in received} == {threading.main_thread()}


def test_cancel_reaches_the_job_and_comes_back_as_cancelled(qtbot: QtBot) -> None:
    started = threading.Event()

    def job(_progress: Progress, cancelled: CancelCheck) -> None:
        started.set()
        give_up = time.monotonic() + 10
        while not cancelled():
            assert time.monotonic() < give_up, "Cancel never reached the job"
            time.sleep(0.01)
        raise ValidationError("Stopped part way; nothing was changed.")

    task = BackgroundTask.plain(job)
    with qtbot.waitSignal(task.settled, timeout=20_000) as signal:
        task.start()
        qtbot.waitUntil(started.is_set, timeout=10_000)
        assert not task.cancel_requested
        task.cancel()
    outcome = signal.args[0]
    assert outcome.cancelled and not outcome.ok
    assert outcome.message == "Cancelled."


def test_a_domain_error_is_shown_as_it_is(qtbot: QtBot) -> None:
    def job(_progress: Progress, _cancelled: CancelCheck) -> None:
        raise StoreError("The disk is full, so the change was not saved.")

    outcome = _settled(qtbot, BackgroundTask.plain(job))
    assert isinstance(outcome.error, StoreError) and not outcome.cancelled
    assert outcome.message == "The disk is full, so the change was not saved."


def test_an_unexpected_error_is_reported_without_its_text(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Siân O'Neill, born 14/05/2013"

    def job(_progress: Progress, _cancelled: CancelCheck) -> None:
        raise KeyError(secret)

    outcome = _settled(qtbot, BackgroundTask.plain(job))
    assert isinstance(outcome.error, KeyError)
    assert "KeyError" in outcome.message and secret not in outcome.message
    assert outcome.message == describe_error(outcome.error)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "KeyError" in logged and "Siân" not in logged


def test_waiting_for_a_task_gives_its_outcome(qtbot: QtBot) -> None:
    task = BackgroundTask.plain(lambda _progress, _cancelled: 42).start()
    assert task.wait() == Outcome(42)
