"""Key slots: the database key wrapped once per member of staff, under their own passphrase.

The database is keyed with a random 256-bit raw key (its printable form is the recovery key,
so any SQLCipher 4 tool opens the file with it). Each staff profile has a slot: that key
encrypted with AES-256-GCM under a key stretched from the person's passphrase by Argon2id. The
slots live in a small JSON file beside the database (`semh.db.keys`), which travels with it
and its backups and holds no pupil data: staff ids, names and roles, salts, ciphertexts, the
sign-in throttle, failed sign-ins not yet audited, and the audit trail's checkpoint.

The slot's associated data is the staff id, so a slot copied onto another profile does not
open. The file is replaced atomically (write, fsync, rename), so a crash leaves the old one.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from semh_desktop.core.errors import StoreError
from semh_desktop.core.keystore import KEY_BYTES, RawKey

FORMAT = "semh-desktop key slots"
VERSION = 1
SUFFIX = ".keys"


@dataclass(frozen=True)
class KdfCost:
    """Argon2id parameters: memory in KiB, passes, lanes (stored in each slot)."""

    memory_kib: int
    iterations: int
    lanes: int

    def check(self) -> None:
        # A damaged or hostile slot file must not make a sign-in take minutes or gigabytes.
        if not (
            8 * self.lanes <= self.memory_kib <= 512 * 1024
            and 1 <= self.iterations <= 10
            and 1 <= self.lanes <= 8
        ):
            raise StoreError(DAMAGED)


# RFC 9106's second recommended option lowered to a school laptop: 64 MiB, 3 passes, 4 lanes
# (about 0.2 s on two cores). New slots use NEW_SLOT_COST; tests lower it for speed.
DEFAULT_COST = KdfCost(64 * 1024, 3, 4)
NEW_SLOT_COST = DEFAULT_COST

DAMAGED = (
    "The key-slot file beside the database is damaged, so nobody can sign in with a "
    "passphrase. Open the database with its recovery key; a SENCO can then set passphrases "
    "again."
)


class WrongPassphrase(Exception):
    """The passphrase does not open this slot (internal: sign-in turns it into a message)."""


@dataclass(frozen=True)
class Slot:
    staff_id: str
    name: str
    role: str
    must_change: bool
    cost: KdfCost
    salt: bytes
    nonce: bytes
    wrapped: bytes
    created_at: str


@dataclass
class SlotFile:
    database_id: str = field(default_factory=lambda: secrets.token_hex(16))
    slots: list[Slot] = field(default_factory=list)
    # Failed sign-ins waiting to be written into the audit trail at the next sign-in
    # (the database cannot be written until someone opens it): {"staff_id", "at"}.
    failures: list[dict[str, str | None]] = field(default_factory=list)
    # Per profile (or "*" for "any profile"): consecutive failures and when the next try is
    # allowed (ISO time).
    throttle: dict[str, dict[str, Any]] = field(default_factory=dict)
    audit_checkpoint: tuple[int, str] | None = None

    def slot_for(self, staff_id: str) -> Slot | None:
        return next((s for s in self.slots if s.staff_id == staff_id), None)

    def put(self, slot: Slot) -> None:
        self.slots = [s for s in self.slots if s.staff_id != slot.staff_id] + [slot]

    def remove(self, staff_id: str) -> None:
        self.slots = [s for s in self.slots if s.staff_id != staff_id]
        self.throttle.pop(staff_id, None)

    def ordered(self) -> list[Slot]:
        """SENCOs first, then by creation (the order a sign-in without a name tries)."""
        return sorted(self.slots, key=lambda s: (s.role != "senco", s.created_at, s.name))


def slot_path(db_path: Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + SUFFIX)


def pending_path(db_path: Path) -> Path:
    """Where a conversion writes the new slots before the file is rekeyed."""
    return slot_path(db_path).with_name(slot_path(db_path).name + ".pending")


# -- wrapping ----------------------------------------------------------------------------------


def _stretch(passphrase: str, salt: bytes, cost: KdfCost) -> bytes:
    cost.check()
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return Argon2id(
        salt=salt,
        length=32,
        iterations=cost.iterations,
        lanes=cost.lanes,
        memory_cost=cost.memory_kib,
    ).derive(secret)


def _subkey(stretched: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(stretched)


def _aad(staff_id: str) -> bytes:
    return f"{FORMAT} v{VERSION}|{staff_id}".encode()


def make_slot(
    key: RawKey,
    passphrase: str,
    *,
    staff_id: str,
    name: str,
    role: str,
    must_change: bool,
    created_at: str,
    cost: KdfCost | None = None,
) -> Slot:
    cost = cost or NEW_SLOT_COST
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    wrapping = _subkey(_stretch(passphrase, salt, cost), b"slot wrapping key")
    wrapped = AESGCM(wrapping).encrypt(nonce, key.key, _aad(staff_id))
    return Slot(staff_id, name, role, must_change, cost, salt, nonce, wrapped, created_at)


@dataclass(frozen=True)
class Opened:
    """What a slot's passphrase gives: the database key and the secret of the person's drafts."""

    key: RawKey
    draft_secret: bytes


def open_slot(slot: Slot, passphrase: str) -> Opened:
    stretched = _stretch(passphrase, slot.salt, slot.cost)
    try:
        raw = AESGCM(_subkey(stretched, b"slot wrapping key")).decrypt(
            slot.nonce, slot.wrapped, _aad(slot.staff_id)
        )
    except InvalidTag:
        raise WrongPassphrase from None
    if len(raw) != KEY_BYTES:
        raise StoreError(DAMAGED)
    return Opened(RawKey(raw), _subkey(stretched, b"draft key"))


def renamed(slot: Slot, *, name: str, role: str) -> Slot:
    return replace(slot, name=name, role=role)


# -- the file ----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise StoreError(DAMAGED)
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise StoreError(DAMAGED) from None


def _slot_to_json(slot: Slot) -> dict[str, Any]:
    return {
        "staff_id": slot.staff_id,
        "name": slot.name,
        "role": slot.role,
        "must_change": slot.must_change,
        "kdf": {
            "algorithm": "argon2id",
            "memory_kib": slot.cost.memory_kib,
            "iterations": slot.cost.iterations,
            "lanes": slot.cost.lanes,
        },
        "salt": _b64(slot.salt),
        "nonce": _b64(slot.nonce),
        "wrapped": _b64(slot.wrapped),
        "created_at": slot.created_at,
    }


def _slot_from_json(data: Any) -> Slot:
    try:
        kdf = data["kdf"]
        if kdf["algorithm"] != "argon2id":
            raise StoreError(DAMAGED)
        cost = KdfCost(int(kdf["memory_kib"]), int(kdf["iterations"]), int(kdf["lanes"]))
        cost.check()
        slot = Slot(
            staff_id=str(data["staff_id"]),
            name=str(data["name"]),
            role=str(data["role"]),
            must_change=bool(data["must_change"]),
            cost=cost,
            salt=_unb64(data["salt"]),
            nonce=_unb64(data["nonce"]),
            wrapped=_unb64(data["wrapped"]),
            created_at=str(data["created_at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise StoreError(DAMAGED) from None
    if len(slot.nonce) != 12 or len(slot.salt) < 8 or len(slot.wrapped) != KEY_BYTES + 16:
        raise StoreError(DAMAGED)
    return slot


def load(db_path: Path, *, path: Path | None = None) -> SlotFile | None:
    """The slot file of this database, or None when there is none (an older database)."""
    target = path or slot_path(db_path)
    try:
        text = target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"The key-slot file {target.name} could not be read ({exc}).") from None
    if len(text) > 4 * 1024 * 1024:
        raise StoreError(DAMAGED)
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise StoreError(DAMAGED) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(DAMAGED)
    if data.get("version") != VERSION:
        raise StoreError(
            "The key-slot file was written by a newer version of SEMH Desktop. "
            "Install the latest version to sign in."
        )
    try:
        checkpoint = data.get("audit_checkpoint")
        return SlotFile(
            database_id=str(data["database_id"]),
            slots=[_slot_from_json(s) for s in data["slots"]],
            failures=[
                {"staff_id": f.get("staff_id"), "at": str(f["at"])}
                for f in data.get("failures", [])
            ],
            throttle={
                str(k): {"count": int(v["count"]), "until": str(v["until"])}
                for k, v in dict(data.get("throttle", {})).items()
            },
            audit_checkpoint=(int(checkpoint[0]), str(checkpoint[1])) if checkpoint else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise StoreError(DAMAGED) from None


def save(db_path: Path, slots: SlotFile, *, path: Path | None = None) -> None:
    """Replace the slot file atomically (readable by this user only)."""
    target = path or slot_path(db_path)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "database_id": slots.database_id,
        "slots": [_slot_to_json(s) for s in slots.slots],
        "failures": slots.failures[-200:],
        "throttle": slots.throttle,
        "audit_checkpoint": list(slots.audit_checkpoint) if slots.audit_checkpoint else None,
    }
    body = json.dumps(data, indent=1).encode("utf-8")
    handle, temp_name = tempfile.mkstemp(prefix=target.name + ".", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_name, 0o600)
        os.replace(temp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise StoreError(
            f"The key-slot file {target.name} could not be saved ({exc.strerror or exc}). "
            "Nothing was changed."
        ) from None


def update(
    db_path: Path, change: Callable[[SlotFile], None], *, create: bool = False
) -> SlotFile | None:
    """Load, change and save the slot file; without one, nothing (or a new one if `create`)."""
    slots = load(db_path)
    if slots is None:
        if not create:
            return None
        slots = SlotFile()
    change(slots)
    save(db_path, slots)
    return slots


# -- the audit trail's checkpoint (kept outside the database, so deleting the last rows of the
# trail and fixing up the database to match is still caught) --------------------------------


def audit_checkpoint(db_path: Path) -> tuple[int, str] | None:
    slots = load(db_path)
    return slots.audit_checkpoint if slots else None


def save_audit_checkpoint(db_path: Path, seq: int, mac: str) -> None:
    def change(slots: SlotFile) -> None:
        # Only forward: an older checkpoint never replaces a newer one.
        if slots.audit_checkpoint is None or seq >= slots.audit_checkpoint[0]:
            slots.audit_checkpoint = (seq, mac)

    update(db_path, change)
