"""Work off the GUI thread: the one helper every background job goes through.

A job is `job(store, progress, cancelled) -> T` (or `job(progress, cancelled)` when it needs no
database, like building the demo school). It runs on a worker thread, on its OWN connection
(`store.open_again()`, closed when the job ends): a connection belongs to one thread, and a row
the window writes while a worker's transaction is open must not land inside that transaction
(it would vanish when the worker rolls back). Progress reaches the GUI thread as a signal;
Cancel sets a flag the job polls; and whatever happens (a value, a cancellation, an error)
comes back on the GUI thread through one signal, `settled(Outcome)`, once the thread has ended.

A domain `SemhError` is shown as its own message everywhere; anything else is shown as an
unexpected problem naming only the kind of error, and logged without the error's text or any
values (which could hold a pupil's details). Modelled on Anki's `qt/aqt/taskman.py` and
Picard's `picard/util/thread.py`.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store

T = TypeVar("T")
log = logging.getLogger(__name__)


class Progress(Protocol):
    """What a job calls to report how far it is: `progress(done, total)` or with a word on what."""

    def __call__(self, done: int, total: int, what: str = "", /) -> None: ...


CancelCheck = Callable[[], bool]
StoreJob = Callable[[Store, Progress, CancelCheck], T]
PlainJob = Callable[[Progress, CancelCheck], T]


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """How a job ended: its value, or the error it raised, and whether Cancel ended it."""

    value: T | None = None
    error: BaseException | None = None
    cancelled: bool = False  # it raised after Cancel was pressed (the domain's way to stop)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        """The words to show for a failed job ("" when it succeeded)."""
        if self.cancelled:
            return "Cancelled."
        return "" if self.error is None else describe_error(self.error)


def describe_error(error: BaseException) -> str:
    """One plain way to show any error: the domain's own message, else no details at all."""
    if isinstance(error, SemhError):
        return error.message
    # The text of an unexpected error may quote a pupil's details: name only its kind.
    return (
        f"The work stopped because of an unexpected problem ({type(error).__name__}). "
        "Everything already saved is safe; if it happens again, tell your IT support."
    )


def _log_unexpected(error: BaseException) -> None:
    # Where it happened (files, lines, code) but neither the message nor any values.
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("Background job failed with %s\n%s", type(error).__name__, frames)


class _Thread(QThread):
    """The worker thread itself: runs the body, keeps how it ended for the GUI thread to read."""

    progressed = Signal(int, int, str)

    def __init__(
        self, body: PlainJob[object], cancel: threading.Event, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._body = body
        self._cancel = cancel
        self.outcome: Outcome[object] = Outcome()

    def _progress(self, done: int, total: int, what: str = "", /) -> None:
        self.progressed.emit(done, total, what)

    def run(self) -> None:
        try:
            value = self._body(self._progress, self._cancel.is_set)
        except Exception as error:
            cancelled = self._cancel.is_set() and isinstance(error, SemhError)
            if not isinstance(error, SemhError):
                _log_unexpected(error)
            self.outcome = Outcome(error=error, cancelled=cancelled)
        else:
            self.outcome = Outcome(value)


def _on_own_connection(store: Store, job: StoreJob[T]) -> PlainJob[T]:
    def body(progress: Progress, cancelled: CancelCheck) -> T:
        # Opened here, on the worker thread, which then owns the connection.
        own = store.open_again()
        try:
            return job(own, progress, cancelled)
        finally:
            own.close()

    return body


class BackgroundTask(QObject, Generic[T]):
    """One job on a worker thread. Lives on the GUI thread; its signals arrive there.

    `progressed(done, total, what)` while it runs; `settled(Outcome)` once, after the thread
    has ended (so a settled task can be dropped or deleted safely).
    """

    progressed = Signal(int, int, str)
    settled = Signal(object)  # the Outcome

    def __init__(self, body: PlainJob[T], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread = _Thread(body, self._cancel, self)
        self._outcome: Outcome[T] | None = None
        # Both are slots of this GUI-thread object, so they are queued to the GUI thread.
        self._thread.progressed.connect(self._relay_progress)
        self._thread.finished.connect(self._thread_finished)

    @classmethod
    def on_store(
        cls, store: Store, job: StoreJob[T], parent: QObject | None = None
    ) -> BackgroundTask[T]:
        """A job that reads or writes the database, on its own connection to it."""
        return cls(_on_own_connection(store, job), parent)

    @classmethod
    def plain(cls, job: PlainJob[T], parent: QObject | None = None) -> BackgroundTask[T]:
        """A job that needs no open database (reading a file, building a new database)."""
        return cls(job, parent)

    def start(self) -> BackgroundTask[T]:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def wait(self) -> Outcome[T]:
        """Block until the job has ended (closing, locking); how it ended."""
        self._thread.wait()
        return self.outcome()

    def outcome(self) -> Outcome[T]:
        """How the job ended; only meaningful once the thread has finished."""
        return self._outcome or self._thread.outcome  # type: ignore[return-value]

    @Slot(int, int, str)
    def _relay_progress(self, done: int, total: int, what: str) -> None:
        self.progressed.emit(done, total, what)

    @Slot()
    def _thread_finished(self) -> None:
        if self._outcome is not None:
            return
        self._thread.wait()  # `finished` comes just before the thread really ends
        self._outcome = self._thread.outcome  # type: ignore[assignment]
        self.settled.emit(self._outcome)


def run_with_progress(
    parent: QWidget | None,
    title: str,
    label: str,
    task: BackgroundTask[T],
    *,
    cancellable: bool = True,
) -> Outcome[T]:
    """Run `task` behind a window-modal progress dialog; the window keeps painting meanwhile."""
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setAccessibleName(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if cancellable:
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(task.cancel)
    else:
        dialog.setCancelButton(None)
        dialog.setMinimumDuration(0)
        dialog.show()

    def progressed(done: int, total: int, _what: str) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))

    outcomes: list[Outcome[T]] = []
    loop = QEventLoop()
    task.progressed.connect(progressed)
    task.settled.connect(outcomes.append)
    task.settled.connect(loop.quit)
    task.start()
    loop.exec()
    dialog.close()
    dialog.deleteLater()
    return outcomes[0] if outcomes else task.wait()
