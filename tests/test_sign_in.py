"""Signing in: key slots, throttling, the recovery key, converting older files, locking."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
import sqlcipher3

from semh_desktop.core import keyslots
from semh_desktop.core.errors import (
    Locked,
    NotAllowed,
    SignInRefused,
    StoreError,
    ValidationError,
    WrongKey,
)
from semh_desktop.core.keystore import KeyStore, Passphrase, new_raw_key, parse_recovery_key
from semh_desktop.core.store import create_store, open_store
from semh_desktop.register import audit, pupils, sign_in, staff
from semh_desktop.register.database import create_database, open_database

from .conftest import file_hash, sample_details

SENCO_PW = "senco passphrase"
PASTORAL_PW = "pastoral passphrase"


@pytest.fixture
def school(tmp_path, clock):
    """A database with a SENCO and a pastoral profile, each with their own passphrase."""
    path = tmp_path / "school.db"
    created = create_database(
        path, staff_name="Sam Senco", passphrase=Passphrase(SENCO_PW), clock=clock
    )
    store = created.store
    pastoral = staff.add_staff(store, "Pat Pastoral", "pastoral", PASTORAL_PW, must_change=False)
    pupils.add_pupil(store, sample_details())
    store.close()
    return path, created.first_staff, pastoral, created.recovery_key


def failed_rows(store) -> list[audit.AuditEntry]:
    return [e for e in audit.entries(store) if e.action == "sign_in_failed"]


def test_each_profile_opens_only_with_its_own_passphrase(school, clock):
    path, senco, pastoral, _key = school
    with pytest.raises(SignInRefused, match="does not open Pat Pastoral’s profile"):
        sign_in.sign_in(path, pastoral.id, SENCO_PW, clock=clock)
    with pytest.raises(SignInRefused, match="does not open Sam Senco’s profile"):
        sign_in.sign_in(path, senco.id, PASTORAL_PW, clock=clock)
    signed = sign_in.sign_in(path, pastoral.id, PASTORAL_PW, clock=clock)
    assert signed.staff.id == pastoral.id and signed.store.staff_id == pastoral.id
    assert signed.draft_key is not None and not signed.must_change
    # The two failures are audited, each naming the profile that was tried.
    assert [e.record_id for e in failed_rows(signed.store)] == [pastoral.id, senco.id]
    signed.store.close()


def test_the_command_line_picks_the_profile_the_passphrase_opens(school, clock):
    path, senco, pastoral, _key = school
    store = open_database(path, passphrase=Passphrase(PASTORAL_PW), clock=clock)
    assert store.staff_id == pastoral.id
    store.close()
    store = open_database(path, passphrase=Passphrase(SENCO_PW), clock=clock)
    assert store.staff_id == senco.id
    store.close()
    with pytest.raises(SignInRefused):
        open_database(path, passphrase=Passphrase(SENCO_PW), staff_name="Pat Pastoral")


def test_no_path_opens_the_database_without_a_slot_secret_or_the_recovery_key(
    school, clock, keystore
):
    path, _senco, _pastoral, key = school
    with pytest.raises(StoreError, match="Give your passphrase"):
        open_database(path, clock=clock, keystore=keystore)
    # Even a keyring that holds the raw key does not open it on its own any more.
    keystore.save(path, parse_recovery_key(key))
    with pytest.raises(StoreError, match="Give your passphrase"):
        open_database(path, clock=clock, keystore=keystore)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM pupils").fetchall()
    store = open_database(path, recovery=parse_recovery_key(key), clock=clock)
    assert store.opened_by == "recovery"
    assert pupils.find_by_upn(store, "B801200005001").details.legal_forename == "Siân"
    store.close()


def test_wrong_passphrases_are_throttled_with_growing_delays_and_audited(school, clock):
    path, senco, _pastoral, _key = school
    before = file_hash(path)
    delays = []
    for _ in range(5):
        with pytest.raises(SignInRefused) as refused:
            sign_in.sign_in(path, senco.id, "not the passphrase", clock=clock)
        delays.append(refused.value.retry_after)
        clock.advance(seconds=refused.value.retry_after)
    assert delays == [0, 0, 5, 10, 20]
    assert file_hash(path) == before, "failed sign-ins never touch the database"
    # While a delay runs even the right passphrase waits.
    with pytest.raises(SignInRefused, match=r"Try again in \d+ seconds") as waiting:
        clock.advance(seconds=-20)
        sign_in.sign_in(path, senco.id, SENCO_PW, clock=clock)
    assert waiting.value.retry_after == 20
    clock.advance(seconds=20)
    signed = sign_in.sign_in(path, senco.id, SENCO_PW, clock=clock)
    assert len(failed_rows(signed.store)) == 5
    signed.store.close()
    assert not keyslots.load(path).throttle, "a good sign-in clears the throttle"
    assert not keyslots.load(path).failures, "audited failures leave the slot file"


def test_the_throttle_survives_a_restart(school, clock):
    path, senco, _pastoral, _key = school
    for _ in range(4):
        with pytest.raises(SignInRefused) as refused:
            sign_in.sign_in(path, senco.id, "not the passphrase", clock=clock)
        clock.advance(seconds=refused.value.retry_after)
    clock.advance(seconds=-5)
    on_disk = json.loads(keyslots.slot_path(path).read_text())
    assert on_disk["throttle"][senco.id]["count"] == 4
    with pytest.raises(SignInRefused, match="Too many wrong passphrases for Sam Senco"):
        sign_in.sign_in(path, senco.id, SENCO_PW, clock=clock)


def test_a_slot_moved_onto_another_profile_does_not_open(school, clock):
    path, senco, pastoral, _key = school
    data = json.loads(keyslots.slot_path(path).read_text())
    by_id = {s["staff_id"]: s for s in data["slots"]}
    by_id[senco.id]["wrapped"] = by_id[pastoral.id]["wrapped"]
    by_id[senco.id]["salt"] = by_id[pastoral.id]["salt"]
    by_id[senco.id]["nonce"] = by_id[pastoral.id]["nonce"]
    keyslots.slot_path(path).write_text(json.dumps(data))
    with pytest.raises(SignInRefused):
        sign_in.sign_in(path, senco.id, PASTORAL_PW, clock=clock)


def test_a_hostile_or_damaged_slot_file_is_refused_quickly(school, clock):
    path, senco, _pastoral, _key = school
    data = json.loads(keyslots.slot_path(path).read_text())
    data["slots"][0]["kdf"]["memory_kib"] = 1024 * 1024 * 4  # 4 GiB
    keyslots.slot_path(path).write_text(json.dumps(data))
    started = time.perf_counter()
    with pytest.raises(StoreError, match="key-slot file beside the database is damaged"):
        sign_in.profiles(path)
    assert time.perf_counter() - started < 1
    keyslots.slot_path(path).write_bytes(b"\xff\xfe{not json")
    with pytest.raises(StoreError, match="damaged"):
        sign_in.sign_in(path, senco.id, SENCO_PW, clock=clock)


def test_the_real_cost_is_memory_hard_and_opens(tmp_path):
    cost = keyslots.DEFAULT_COST
    assert cost.memory_kib >= 64 * 1024 and cost.iterations >= 3  # RFC 9106, second option
    key = new_raw_key()
    slot = keyslots.make_slot(
        key,
        "a real passphrase",
        staff_id="s1",
        name="A",
        role="senco",
        must_change=False,
        created_at="2026-12-03T10:00:00",
        cost=cost,
    )
    assert keyslots.open_slot(slot, "a real passphrase").key == key
    with pytest.raises(keyslots.WrongPassphrase):
        keyslots.open_slot(slot, "a real passphrasf")


def test_one_time_passphrases_must_be_changed_and_then_the_old_one_stops(school, clock):
    path, senco, _pastoral, _key = school
    store = open_database(path, passphrase=Passphrase(SENCO_PW), clock=clock)
    reader = staff.add_staff(store, "Rae Reader", "read_only", "given at the desk")
    store.close()
    first = sign_in.sign_in(path, reader.id, "given at the desk", clock=clock)
    assert first.must_change
    with pytest.raises(ValidationError, match="different"):
        sign_in.change_own_passphrase(first.store, "given at the desk", "given at the desk")
    with pytest.raises(ValidationError, match="current passphrase is not right"):
        sign_in.change_own_passphrase(first.store, "a wrong guess!", "my very own words")
    with pytest.raises(ValidationError, match="at least 8"):
        sign_in.change_own_passphrase(first.store, "given at the desk", "short")
    sign_in.change_own_passphrase(first.store, "given at the desk", "my very own words")
    first.store.close()
    with pytest.raises(SignInRefused):
        sign_in.sign_in(path, reader.id, "given at the desk", clock=clock)
    again = sign_in.sign_in(path, reader.id, "my very own words", clock=clock)
    assert not again.must_change
    # A read-only profile manages nobody, and the refusal is audited.
    with pytest.raises(NotAllowed, match="Read-only"):
        staff.reset_passphrase(again.store, senco.id, "new one time")
    assert any(e.action == "refused" for e in audit.entries(again.store))
    again.store.close()


def test_reset_and_disable(school, clock):
    path, senco, pastoral, _key = school
    store = open_database(path, passphrase=Passphrase(SENCO_PW), clock=clock)
    staff.reset_passphrase(store, pastoral.id, "forgot it, here")
    with pytest.raises(ValidationError, match="own profile"):
        staff.disable_staff(store, senco.id)
    staff.disable_staff(store, pastoral.id)
    store.close()
    assert [p.name for p in sign_in.profiles(path)] == ["Sam Senco"]
    with pytest.raises(SignInRefused, match="no passphrase yet or has been disabled"):
        sign_in.sign_in(path, pastoral.id, "forgot it, here", clock=clock)
    with pytest.raises(SignInRefused):
        open_database(path, passphrase=Passphrase(PASTORAL_PW), clock=clock)


def test_a_lost_slot_file_is_recovered_with_the_recovery_key(school, clock):
    path, senco, _pastoral, key = school
    keyslots.slot_path(path).unlink()
    with pytest.raises(StoreError, match="recovery key"):
        open_database(path, passphrase=Passphrase(SENCO_PW), clock=clock)
    signed = sign_in.sign_in_with_recovery_key(path, parse_recovery_key(key), clock=clock)
    assert signed.must_change and signed.staff.id == senco.id
    sign_in.change_own_passphrase(signed.store, "", "back in business")
    signed.store.close()
    sign_in.sign_in(path, senco.id, "back in business", clock=clock).store.close()


def test_lock_closes_the_connection_and_unlock_reopens_the_same_store(school, clock):
    path, senco, pastoral, _key = school
    signed = sign_in.sign_in(path, senco.id, SENCO_PW, clock=clock)
    store = signed.store
    assert signed.draft_key is not None
    draft = store.draft_recipient.seal(b"half-typed review note")
    sign_in.lock(store)
    assert not store.is_open
    with pytest.raises(Locked):
        pupils.caseload(store)
    assert store.draft_recipient is None
    with pytest.raises(SignInRefused):
        sign_in.unlock(store, senco.id, PASTORAL_PW)
    other = sign_in.unlock(store, pastoral.id, PASTORAL_PW)
    assert other.store is store and store.staff_id == pastoral.id
    with pytest.raises(StoreError, match="someone else"):
        other.draft_key.open(draft)
    sign_in.lock(store)
    back = sign_in.unlock(store, senco.id, SENCO_PW)
    assert back.draft_key.open(draft) == b"half-typed review note"
    assert len(pupils.caseload(store, whole_register=True)) == 1
    actions = [e.action for e in audit.entries(store)]
    assert actions.count("lock") == 2 and actions.count("unlock") >= 3
    store.close()


def _legacy_passphrase_file(path: Path, clock) -> None:
    store = create_store(path, Passphrase("the old shared one"), clock=clock)
    staff.add_staff(store, "Old Senco", "senco")
    store.staff_id = staff.list_staff(store)[0].id
    pupils.add_pupil(store, sample_details())
    store.close()


def test_an_older_passphrase_mode_file_converts_on_first_open(tmp_path, clock, keystore):
    path = tmp_path / "old.db"
    _legacy_passphrase_file(path, clock)
    assert sign_in.needs_conversion(path)
    (person,) = sign_in.legacy_staff(path, Passphrase("the old shared one"))
    converted = sign_in.convert(
        path, Passphrase("the old shared one"), person.id, "my own new words", keystore=keystore
    )
    converted.signed_in.store.close()
    assert not sign_in.needs_conversion(path)
    with pytest.raises(WrongKey):
        open_store(path, Passphrase("the old shared one"))
    signed = sign_in.sign_in(path, person.id, "my own new words", clock=clock)
    assert pupils.find_by_upn(signed.store, "B801200005001").details.legal_surname == "O'Neill"
    assert any(e.record_type == "database_key" for e in audit.entries(signed.store))
    signed.store.close()
    raw = parse_recovery_key(converted.recovery_key)
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = {raw.pragma_value()}")
    assert conn.execute("SELECT count(*) FROM pupils").fetchone()[0] == 1
    conn.close()


def test_an_older_keyring_mode_file_converts_and_the_keyring_no_longer_opens_it(
    tmp_path, clock, memory_keyring
):
    keystore = KeyStore(memory_keyring)
    path = tmp_path / "old.db"
    old_key = new_raw_key()
    store = create_store(path, old_key, clock=clock)
    staff.add_staff(store, "Old Senco", "senco")
    store.close()
    keystore.save(path, old_key)
    # The command line converts on the way: the passphrase given becomes the person's own.
    opened = open_database(path, passphrase=Passphrase("chosen at first open"), keystore=keystore)
    assert opened.converted_recovery_key
    opened.close()
    assert not memory_keyring.entries, "the old key is gone from the keyring"
    with pytest.raises(WrongKey):
        open_store(path, old_key)
    open_database(path, passphrase=Passphrase("chosen at first open")).close()


def test_a_conversion_cut_short_after_the_rekey_still_signs_in(tmp_path, clock):
    path = tmp_path / "old.db"
    _legacy_passphrase_file(path, clock)
    (person,) = sign_in.legacy_staff(path, Passphrase("the old shared one"))
    converted = sign_in.convert(path, Passphrase("the old shared one"), person.id, "my own words")
    converted.signed_in.store.close()
    # As if the process died between the rekey and putting the new slots in place.
    keyslots.slot_path(path).replace(keyslots.pending_path(path))
    assert not sign_in.needs_conversion(path)
    sign_in.sign_in(path, person.id, "my own words", clock=clock).store.close()
    assert keyslots.slot_path(path).exists() and not keyslots.pending_path(path).exists()


def test_drafts_sealed_after_a_passphrase_change_open_with_the_new_one(school, clock):
    path, senco, _pastoral, _key = school
    signed = sign_in.sign_in(path, senco.id, SENCO_PW, clock=clock)
    sign_in.change_own_passphrase(signed.store, SENCO_PW, "a brand new passphrase")
    draft = signed.store.draft_recipient.seal(b"typed after the change")
    sign_in.lock(signed.store)
    back = sign_in.unlock(signed.store, senco.id, "a brand new passphrase")
    assert back.draft_key.open(draft) == b"typed after the change"
    signed.store.close()
