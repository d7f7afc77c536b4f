"""Signing in: each member of staff opens the database with their own passphrase.

A passphrase opens that person's key slot (semh_desktop.core.keyslots), which gives the
database key; the recovery key opens the file directly. Nothing else does: the OS keyring
no longer holds a key that opens the file on its own.

Wrong passphrases are throttled per profile with increasing delays that survive restarts
(kept in the slot file), and every failure is written into the audit trail at the next
successful sign-in (a failed sign-in cannot write to a database it could not open).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from semh_desktop.core import keyslots
from semh_desktop.core.clock import Clock, SystemClock
from semh_desktop.core.errors import NotFound, SignInRefused, StoreError, ValidationError
from semh_desktop.core.keystore import DatabaseKey, KeyStore, RawKey, new_raw_key, recovery_key
from semh_desktop.core.sealed import DraftKey
from semh_desktop.core.store import Store, check_file_shape, open_store
from semh_desktop.register import audit, staff
from semh_desktop.register.staff import Staff

MIN_PASSPHRASE = 8
FREE_TRIES = 3  # wrong passphrases before any delay (everyone mistypes)
MAX_DELAY = 300.0
ANY_PROFILE = "*"  # the throttle of sign-ins that did not name a profile (command line)


@dataclass(frozen=True)
class Profile:
    """A profile that can sign in, as listed before the database is open."""

    staff_id: str
    name: str
    role: str
    must_change: bool

    @property
    def role_label(self) -> str:
        return staff.ROLES.get(self.role, self.role)


@dataclass
class SignedIn:
    store: Store
    staff: Staff
    must_change: bool  # a one-time passphrase: the person must choose their own now
    draft_key: DraftKey | None  # opens this person's sealed drafts; None after the recovery key


@dataclass
class Converted:
    signed_in: SignedIn
    recovery_key: str  # shown once


def check_new_passphrase(text: str) -> None:
    if len(text.strip()) < MIN_PASSPHRASE:
        raise ValidationError(
            f"Choose a passphrase of at least {MIN_PASSPHRASE} characters: a few words that "
            "mean something to you are easier to remember than a short password.",
            field="passphrase",
        )
    if len(text) > 1024:
        raise ValidationError("That passphrase is too long (at most 1,024 characters).")


def profiles(path: Path) -> list[Profile]:
    """Who can sign in to this database (SENCOs first, then by creation); [] without slots."""
    slots = keyslots.load(Path(path))
    if slots is None:
        return []
    return [Profile(s.staff_id, s.name, s.role, s.must_change) for s in slots.ordered()]


def needs_conversion(path: Path) -> bool:
    """An older database: it exists but has no key slots yet (keyring or passphrase mode)."""
    path = Path(path)
    return (
        path.exists() and keyslots.load(path) is None and not keyslots.pending_path(path).exists()
    )


# -- throttling --------------------------------------------------------------------------------


def delay_after(failures: int) -> float:
    """Seconds to wait after this many wrong passphrases in a row (0, 0, 0, 5, 10, 20...)."""
    if failures < FREE_TRIES:
        return 0.0
    return float(min(MAX_DELAY, 5.0 * 2.0 ** (failures - FREE_TRIES)))


def _wait_left(slots: keyslots.SlotFile, who: str, now: dt.datetime) -> float:
    entry = slots.throttle.get(who)
    if not entry:
        return 0.0
    try:
        until = dt.datetime.fromisoformat(entry["until"])
    except ValueError:
        return 0.0
    return max(0.0, float((until - now).total_seconds()))


def _refuse_if_throttled(slots: keyslots.SlotFile, who: str, name: str, now: dt.datetime) -> None:
    left = _wait_left(slots, who, now)
    if left > 0:
        seconds = math.ceil(left)
        raise SignInRefused(
            f"Too many wrong passphrases for {name}. Try again in {seconds} "
            f"second{'s' if seconds != 1 else ''}.",
            retry_after=float(seconds),
        )


def _note_failure(path: Path, who: str, staff_id: str | None, now: dt.datetime) -> float:
    delay = 0.0

    def change(slots: keyslots.SlotFile) -> None:
        nonlocal delay
        count = int(slots.throttle.get(who, {}).get("count", 0)) + 1
        delay = delay_after(count)
        until = now + dt.timedelta(seconds=delay)
        slots.throttle[who] = {"count": count, "until": until.isoformat(timespec="seconds")}
        slots.failures.append({"staff_id": staff_id, "at": now.isoformat(timespec="seconds")})

    # The throttle must hold even if the slot file cannot be written (a read-only folder):
    # then the failure is simply not remembered, and the refusal still stands.
    with contextlib.suppress(StoreError):
        keyslots.update(path, change)
    return delay


def _wrong(name: str, delay: float) -> SignInRefused:
    text = f"That passphrase does not open {name}’s profile. Check Caps Lock and try again."
    if delay > 0:
        text += f" Too many tries: wait {math.ceil(delay)} seconds first."
    return SignInRefused(text, retry_after=delay)


# -- opening -----------------------------------------------------------------------------------


def _slots_or_refuse(path: Path) -> keyslots.SlotFile:
    check_file_shape(path)
    slots = keyslots.load(path)
    if slots is None and keyslots.pending_path(path).exists():
        # A conversion was cut short: its new slots wait beside the file (see `convert`).
        slots = keyslots.load(path, path=keyslots.pending_path(path))
    if slots is None:
        raise StoreError(
            f"{path.name} has no key-slot file ({keyslots.slot_path(path).name}) beside it. "
            "Open it with its recovery key; a SENCO can then set everyone's passphrases again."
        )
    return slots


def _finish(store: Store, slots: keyslots.SlotFile, slot_staff: str, *, clear: list[str]) -> Staff:
    """After the key opened the file: the profile must still be current; audit what waited."""
    try:
        person = staff.get_staff(store, slot_staff)
    except NotFound:
        person = None
    if person is None or not staff.is_active(store, person.id):
        store.close()
        raise SignInRefused(
            "This staff profile has been disabled. Ask your SENCO if you still need access."
        )
    waiting = list(slots.failures)
    if waiting or any(who in slots.throttle for who in clear):

        def change(current: keyslots.SlotFile) -> None:
            current.failures = [f for f in current.failures if f not in waiting]
            for who in clear:
                current.throttle.pop(who, None)

        with contextlib.suppress(StoreError):
            keyslots.update(store.path or Path(), change)
    store.staff_id = person.id
    with store.atomic():
        for failure in waiting:
            audit.record(
                store,
                "sign_in_failed",
                "staff",
                failure.get("staff_id"),
                f"wrong passphrase at {failure['at']}",
            )
    staff.act_as(store, person)
    return person


def sign_in(path: Path, staff_id: str, passphrase: str, *, clock: Clock | None = None) -> SignedIn:
    """Open the database as this profile with their passphrase (throttled, audited)."""
    path = Path(path)
    clock = clock or SystemClock()
    slots = _slots_or_refuse(path)
    slot = slots.slot_for(staff_id)
    if slot is None:
        raise SignInRefused(
            "That profile cannot sign in: it has no passphrase yet or has been disabled. "
            "Ask your SENCO."
        )
    now = clock.now()
    _refuse_if_throttled(slots, staff_id, slot.name, now)
    try:
        opened = keyslots.open_slot(slot, passphrase)
    except keyslots.WrongPassphrase:
        raise _wrong(slot.name, _note_failure(path, staff_id, staff_id, now)) from None
    pending = keyslots.pending_path(path)
    try:
        store = open_store(path, opened.key, clock=clock, key_mode="slots")
    except StoreError:
        if pending.exists() and not keyslots.slot_path(path).exists():
            # The conversion stopped before the rekey: the old key still opens the file.
            pending.unlink()
            raise StoreError(
                "Setting up personal passphrases for this database was interrupted. "
                "Open it as before and set your passphrase again."
            ) from None
        raise
    if pending.exists() and not keyslots.slot_path(path).exists():
        pending.replace(keyslots.slot_path(path))
    person = _finish(store, slots, staff_id, clear=[staff_id, ANY_PROFILE])
    draft_key = DraftKey.from_secret(opened.draft_secret)
    store.draft_recipient = draft_key.recipient
    return SignedIn(store, person, slot.must_change, draft_key)


def sign_in_any(
    path: Path, passphrase: str, *, staff_name: str | None = None, clock: Clock | None = None
) -> SignedIn:
    """The command line's sign-in: the named profile, or the first whose slot this opens."""
    path = Path(path)
    clock = clock or SystemClock()
    slots = _slots_or_refuse(path)
    if staff_name is not None:
        wanted = " ".join(staff_name.split()).casefold()
        slot = next((s for s in slots.slots if s.name.casefold() == wanted), None)
        if slot is None:
            raise NotFound(f"There is no staff profile called '{staff_name}' that can sign in.")
        return sign_in(path, slot.staff_id, passphrase, clock=clock)
    now = clock.now()
    _refuse_if_throttled(slots, ANY_PROFILE, "this database", now)
    for slot in slots.ordered():
        if _wait_left(slots, slot.staff_id, now) > 0:
            continue
        try:
            keyslots.open_slot(slot, passphrase)
        except keyslots.WrongPassphrase:
            continue
        return sign_in(path, slot.staff_id, passphrase, clock=clock)
    delay = _note_failure(path, ANY_PROFILE, None, now)
    message = "That passphrase does not open any staff profile of this database."
    if delay > 0:
        message += f" Too many tries: wait {math.ceil(delay)} seconds first."
    raise SignInRefused(message, retry_after=delay)


def sign_in_with_recovery_key(
    path: Path, key: RawKey, staff_id: str | None = None, *, clock: Clock | None = None
) -> SignedIn:
    """Open with the recovery key, acting as the given profile (default: the first SENCO).

    A lost slot file is no obstacle (the key opens the file itself); the person is asked to
    set a passphrase, which writes a new slot.
    """
    path = Path(path)
    check_file_shape(path)
    store = open_store(path, key, clock=clock or SystemClock(), key_mode="slots")
    store.opened_by = "recovery"
    slots = keyslots.load(path) or keyslots.SlotFile()
    try:
        if staff_id is None:
            current = staff.list_staff(store)
            if not current:
                raise NotFound("This database has no staff profiles.")
            staff_id = next((p for p in current if p.role == "senco"), current[0]).id
        person = _finish(store, slots, staff_id, clear=[])
    except BaseException:
        store.close()
        raise
    return SignedIn(store, person, must_change=slots.slot_for(person.id) is None, draft_key=None)


def unlock(store: Store, staff_id: str, passphrase: str) -> SignedIn:
    """Sign in again on a locked (suspended) store, reopening the same Store object."""
    if store.path is None:
        raise StoreError("An in-memory database cannot be locked.")
    signed = sign_in(store.path, staff_id, passphrase, clock=store.clock)
    store.take_over(signed.store)
    return SignedIn(store, signed.staff, signed.must_change, signed.draft_key)


def unlock_with_recovery_key(store: Store, key: RawKey, staff_id: str | None) -> SignedIn:
    """Sign in again with the recovery key on a locked store, reopening the same object."""
    if store.path is None:
        raise StoreError("An in-memory database has no recovery key.")
    signed = sign_in_with_recovery_key(store.path, key, staff_id, clock=store.clock)
    store.take_over(signed.store)
    return SignedIn(store, signed.staff, signed.must_change, None)


def lock(store: Store) -> None:
    """Audit the lock, save the audit checkpoint, then close the connection and drop the key."""
    if not store.is_open:
        return
    if store.staff_id:
        with contextlib.suppress(StoreError), store.atomic():
            audit.record(store, "lock", "staff", store.staff_id)
    checkpoint = getattr(audit, "checkpoint", None)
    if checkpoint is not None:
        with contextlib.suppress(StoreError):
            checkpoint(store)
    store.suspend()


# -- passphrases -------------------------------------------------------------------------------


def change_own_passphrase(store: Store, current: str, new: str) -> DraftKey | None:
    """The signed-in person replaces their passphrase (the current one proves it is them).

    After a sign-in with the recovery key there is no current passphrase to prove: `current`
    is then ignored. Returns the key of the person's drafts under the new passphrase (and
    seals new drafts to it).
    """
    check_new_passphrase(new)
    if store.staff_id is None or store.path is None:
        raise StoreError("Nobody is signed in.")
    person = staff.get_staff(store, store.staff_id)
    if store.opened_by != "recovery":
        slots = keyslots.load(store.path)
        slot = slots.slot_for(person.id) if slots else None
        if slot is None:
            raise StoreError("Your profile has no passphrase to change. Ask your SENCO.")
        try:
            keyslots.open_slot(slot, current)
        except keyslots.WrongPassphrase:
            raise ValidationError(
                "Your current passphrase is not right, so it was not changed.",
                field="current",
            ) from None
        if current == new:
            raise ValidationError(
                "Choose a passphrase different from the one you were given.", field="passphrase"
            )
    staff.write_slot(store, person, new, must_change=False)
    # Drafts sealed from now on must open with the new passphrase.
    slots = keyslots.load(store.path)
    slot = slots.slot_for(person.id) if slots else None
    draft_key = None
    if slot is not None:
        draft_key = DraftKey.from_secret(keyslots.open_slot(slot, new).draft_secret)
        store.draft_recipient = draft_key.recipient
    with store.atomic():
        audit.record(store, "change", "passphrase", person.id)
    return draft_key


# -- older databases ---------------------------------------------------------------------------


def legacy_staff(path: Path, legacy: DatabaseKey) -> list[Staff]:
    """The profiles of a database not yet converted, to choose who converts it."""
    store = open_store(Path(path), legacy)
    try:
        return staff.list_staff(store)
    finally:
        store.close()


def convert(
    path: Path,
    legacy: DatabaseKey,
    staff_id: str,
    new_passphrase: str,
    *,
    keystore: KeyStore | None = None,
    clock: Clock | None = None,
) -> Converted:
    """Give an older database (keyring or passphrase mode) key slots and a new random key.

    The person converting sets their own passphrase; the file is rekeyed to a new raw key and
    a new recovery key is returned to show once. The new slots are written beside the file
    before the rekey and put in place after it, so a crash leaves either the old key working
    or the new slots ready (sign-in picks up a pending file whose key opens the database).
    """
    path = Path(path)
    check_new_passphrase(new_passphrase)
    clock = clock or SystemClock()
    old = open_store(path, legacy, clock=clock)
    try:
        person = staff.get_staff(old, staff_id)
        if not staff.is_active(old, person.id):
            raise SignInRefused("This staff profile has been disabled.")
        key = new_raw_key()
        slots = keyslots.SlotFile()
        slots.put(
            keyslots.make_slot(
                key,
                new_passphrase,
                staff_id=person.id,
                name=person.name,
                role=person.role,
                must_change=False,
                created_at=clock.now().isoformat(timespec="seconds"),
            )
        )
        pending = keyslots.pending_path(path)
        pending.unlink(missing_ok=True)  # left by an attempt that stopped before the rekey
        keyslots.save(path, slots, path=pending)
        old.conn.execute(f"PRAGMA rekey = {key.pragma_value()}")
    finally:
        old.close()
    pending.replace(keyslots.slot_path(path))
    if keystore is not None or not isinstance(legacy, RawKey):
        (keystore or KeyStore()).forget(path)
    signed = sign_in(path, staff_id, new_passphrase, clock=clock)
    seal = getattr(audit, "seal_legacy", None)
    if seal is not None:
        seal(signed.store)
    with signed.store.atomic():
        audit.record(signed.store, "change", "database_key", None, "converted to key slots")
    return Converted(signed, recovery_key(key))
