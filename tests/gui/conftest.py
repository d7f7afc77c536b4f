"""Fixtures for the window tests: a small fictional school and an open main window.

Most window tests run on an in-memory store (fast); `MemoryGate` stands in for the key slots
beside a real file, so locking closes the store (any read while locked raises `Locked`) and
signing in reopens it. Every profile's passphrase is the demo's ("demo") unless a test sets
another. tests/gui/test_sign_in.py and test_lock.py use real encrypted files and the real gate.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from pytestqt.qtbot import QtBot

from semh_desktop.core import keyslots, locations
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.errors import SignInRefused
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.sealed import DraftKey
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.demo import school as demo
from semh_desktop.register import audit, staff
from semh_desktop.register.database import create_database
from semh_desktop.register.sign_in import Profile, SignedIn
from tests.conftest import TODAY
from ui.shell.main_window import MainWindow

DEMO = locations.DEMO_PASSPHRASE


class MemoryGate:
    """The window's sign-in gate for an in-memory store (tests only).

    Locking audits 'lock' and suspends the store (a second connection keeps the shared-cache
    database alive meanwhile); signing in checks the passphrase set for the profile (default
    "demo"), reopens the same Store object and gives a draft key derived from the profile and
    passphrase, as the real key slots do.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.passphrases: dict[str, str] = {}
        self.must_change: set[str] = set()
        self._profiles: list[Profile] = []
        self._keeper: Any = None
        self._connect: Any = None
        self.locks = 0

    @staticmethod
    def draft_key(staff_id: str, passphrase: str) -> DraftKey:
        return DraftKey.from_secret(hashlib.sha256(f"{staff_id}\0{passphrase}".encode()).digest())

    def profiles(self) -> list[Profile]:
        if self.store.is_open:
            self._profiles = [
                Profile(p.id, p.name, p.role, p.id in self.must_change)
                for p in staff.list_staff(self.store)
            ]
        return list(self._profiles)

    def sign_in(self, staff_id: str, passphrase: str) -> SignedIn:
        profile = next((p for p in self.profiles() if p.staff_id == staff_id), None)
        if profile is None or passphrase != self.passphrases.get(staff_id, DEMO):
            name = profile.name if profile else "that"
            raise SignInRefused(
                f"That passphrase does not open {name}’s profile. Check Caps Lock and try again."
            )
        self._reopen()
        person = staff.get_staff(self.store, staff_id)
        staff.act_as(self.store, person)
        key = self.draft_key(staff_id, passphrase)
        self.store.draft_recipient = key.recipient
        return SignedIn(self.store, person, staff_id in self.must_change, key)

    def sign_in_with_recovery_key(self, key_text: str, staff_id: str | None) -> SignedIn:
        raise SignInRefused("An in-memory database has no recovery key.")

    def lock(self) -> None:
        if not self.store.is_open:
            return
        self.profiles()
        self.locks += 1
        if self.store.staff_id:
            with self.store.atomic():
                audit.record(self.store, "lock", "staff", self.store.staff_id)
        self._connect = self.store._connect_again
        self._keeper = self._connect()
        self.store.suspend()

    def _reopen(self) -> None:
        if self.store.is_open or self._connect is None:
            return
        self.store.db = sqlite_utils.Database(self._connect())
        self.store._connect_again = self._connect
        self._keeper.close()
        self._keeper = None

    def change_own_passphrase(self, current: str, new: str) -> None:
        staff_id = self.store.staff_id or ""
        if current and current != self.passphrases.get(staff_id, DEMO):
            from semh_desktop.core.errors import ValidationError

            raise ValidationError("Your current passphrase is not right.", field="current")
        self.passphrases[staff_id] = new
        self.must_change.discard(staff_id)
        self.store.draft_recipient = self.draft_key(staff_id, new).recipient


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
        if store.path is None:
            gate = options.setdefault("gate", MemoryGate(store))
            if store.staff_id and store.draft_recipient is None and isinstance(gate, MemoryGate):
                store.draft_recipient = gate.draft_key(store.staff_id, DEMO).recipient
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


# -- real encrypted files with key slots -----------------------------------------------------


@pytest.fixture(scope="session")
def _slot_school_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A small demo school in a real encrypted file with a key slot per profile ("demo"),
    built once per session with the quick test cost of Argon2id."""
    folder = tmp_path_factory.mktemp("slot-school")
    path = folder / "school.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyslots, "NEW_SLOT_COST", keyslots.KdfCost(1024, 1, 1))
        created = create_database(
            path,
            staff_name=demo.STAFF[0][0],
            passphrase=Passphrase(DEMO),
            clock=FixedClock(TODAY),
            demo=True,
        )
        try:
            demo.build_demo(created.store, pupil_count=30, register_count=10, passphrase=DEMO)
        finally:
            created.store.close()
    return path, created.recovery_key


@pytest.fixture
def slot_school(_slot_school_template: tuple[Path, str], tmp_path: Path) -> Path:
    """A copy of the encrypted demo school and its key-slot file, for one test."""
    source, _key = _slot_school_template
    target = tmp_path / "school.db"
    shutil.copy(source, target)
    shutil.copy(keyslots.slot_path(source), keyslots.slot_path(target))
    return target


@pytest.fixture
def slot_school_recovery_key(_slot_school_template: tuple[Path, str]) -> str:
    return _slot_school_template[1]
