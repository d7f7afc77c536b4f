"""Shared fixtures: a fixed clock, fresh stores (in memory and encrypted), a memory keyring."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import keyring
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from semh_desktop.core import keyslots
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.keystore import KeyStore, Passphrase
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.register import staff
from semh_desktop.register.database import create_database
from semh_desktop.register.pupils import PupilDetails

from .memory_keyring import MemoryKeyring

TODAY = dt.datetime(2026, 11, 23, 10, 0, 0)


@pytest.fixture(autouse=True)
def _no_real_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MemoryKeyring:
    """Every test gets an empty in-memory keyring unless it asks for the real one."""
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    monkeypatch.setenv("SEMH_DESKTOP_HOME", str(tmp_path / "home"))
    return backend


@pytest.fixture(autouse=True)
def _quick_key_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key slots made by in-process tests use a small Argon2id cost (1 MiB, 1 pass), so
    that creating hundreds of databases stays fast; the real cost is tested on its own
    (tests/test_sign_in.py) and used by every subprocess."""
    monkeypatch.setattr(keyslots, "NEW_SLOT_COST", keyslots.KdfCost(1024, 1, 1))


@pytest.fixture
def memory_keyring(_no_real_keyring: MemoryKeyring) -> MemoryKeyring:
    return _no_real_keyring


@pytest.fixture
def keystore(memory_keyring: MemoryKeyring) -> KeyStore:
    return KeyStore(memory_keyring)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
def store(clock: FixedClock) -> Store:
    """A fresh in-memory store with a SENCO acting (fast domain tests)."""
    memory = open_memory_store(clock)
    senco = staff.add_staff(memory, "Test SENCO", "senco")
    memory.staff_id = senco.id
    return memory


@pytest.fixture
def encrypted_store(tmp_path: Path, clock: FixedClock) -> Store:
    """A fresh SQLCipher file keyed with a passphrase (storage behaviour on a real file)."""
    created = create_database(
        tmp_path / "school.db",
        staff_name="Test SENCO",
        passphrase=Passphrase("correct horse"),
        clock=clock,
    )
    yield created.store
    created.store.close()


def sample_details(**changes: object) -> PupilDetails:
    """A fictional pupil with a valid UPN; override any field."""
    base = PupilDetails(
        upn="B801200005001",
        legal_forename="Siân",
        legal_surname="O'Neill",
        preferred_forename="Zoë",
        date_of_birth=dt.date(2013, 5, 14),
        year_group=8,
        sen_provision="K",
        primary_need="SEMH",
        pupil_premium=True,
    )
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
