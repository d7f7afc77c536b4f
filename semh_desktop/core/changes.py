"""What a write changed: which kinds of record, for which pupils.

Every domain write already leaves an audit row (`semh_desktop.register.audit.record`); the
same call notes a `Changes` value in the store's journal. `run(store, work)` runs a write in
one transaction and hands back what it returned together with exactly the changes noted while
it ran, so the window can tell every screen what to re-read without the write functions
returning anything new (Anki's `CollectionOp` and `OpChanges` work the same way).

Kinds are the audit trail's `record_type` names ("pupil", "case", "target", "case_review",
"suspension", "attendance", ...). Bulk writes (imports, a new checklist template) say
`everyone=True` rather than listing every pupil.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from semh_desktop.core.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    """Record kinds and pupils touched by one or more writes; empty means nothing changed."""

    kinds: frozenset[str] = frozenset()
    pupil_ids: frozenset[str] = frozenset()
    everyone: bool = False  # a bulk write: any pupil's records may have changed

    @classmethod
    def of(
        cls, *kinds: str, pupil_ids: Iterable[str | None] = (), everyone: bool = False
    ) -> Changes:
        """`Changes.of("case", pupil_ids=[pupil.id])`; None ids (no pupil) are left out."""
        return cls(frozenset(kinds), frozenset(p for p in pupil_ids if p is not None), everyone)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.kinds | other.kinds,
            self.pupil_ids | other.pupil_ids,
            self.everyone or other.everyone,
        )

    def __bool__(self) -> bool:
        return bool(self.kinds or self.pupil_ids or self.everyone)

    def touches(self, *kinds: str) -> bool:
        """True if any of these record kinds changed."""
        return any(kind in self.kinds for kind in kinds)

    def concerns(self, pupil_id: str) -> bool:
        """True if this pupil's records may have changed."""
        return self.everyone or pupil_id in self.pupil_ids


NOTHING = Changes()


@dataclass(frozen=True)
class Written(Generic[T]):
    """What a write returned, and what it changed."""

    value: T
    changes: Changes


class Journal:
    """The changes of the writes in progress on one store: one frame per `run`, per thread.

    Outside any `run` nothing is collected (the command line and the demo builder write
    without anyone to tell). Frames are per thread so that a write on another thread never
    lands in the window's frame.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def _frames(self) -> list[Changes]:
        frames: list[Changes] | None = getattr(self._local, "frames", None)
        if frames is None:
            frames = []
            self._local.frames = frames
        return frames

    def note(self, changes: Changes) -> None:
        frames = self._frames()
        if frames:
            frames[-1] = frames[-1] | changes

    def begin(self) -> None:
        self._frames().append(NOTHING)

    def end(self, *, keep: bool) -> Changes:
        """Close the innermost frame; a kept frame also counts for the run around it."""
        frames = self._frames()
        made = frames.pop()
        if keep and frames:
            frames[-1] = frames[-1] | made
        return made if keep else NOTHING


def note(store: Store, changes: Changes) -> None:
    """Note changes for the write in progress (audit.record does this for every audit row)."""
    store.journal.note(changes)


def run(store: Store, work: Callable[[], T]) -> Written[T]:
    """Run `work` in one transaction; return its value and the changes noted while it ran.

    Runs nest (the inner one is a savepoint, and its changes count for the outer one too).
    If `work` raises, the transaction is rolled back and its changes are forgotten.
    """
    store.journal.begin()
    kept = False
    try:
        with store.atomic():
            value = work()
        kept = True
    finally:
        made = store.journal.end(keep=kept)
    return Written(value, made)
