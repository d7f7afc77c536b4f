"""The sealed container: a passphrase-derived key, AES-256-GCM, and limits on what a header asks.

File format (all integers big-endian)::

    magic        8 bytes  b"SEMHBNDL"
    version      uint16   FORMAT_VERSION
    kdf          uint8    1 = scrypt, 2 = Argon2id
    kdf params   3 x uint32  scrypt: log2(n), r, p; Argon2id: memory KiB, iterations, lanes
    cipher       uint8    1 = AES-256-GCM
    salt         16 bytes
    nonce        12 bytes
    key check    16 bytes HMAC-SHA256(check key, CHECK_LABEL), first 16 bytes
    checksum     8 bytes  SHA-256 of the 76 bytes above, first 8 (tells damage from a wrong
                          passphrase; the AEAD tag below is what protects the content)
    ciphertext   AES-256-GCM(zlib(JSON payload)), the 84-byte header as associated data

The KDF gives 64 bytes: the first 32 are the AES key, the last 32 the key-check key. The JSON
payload is described in `export._payload()`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import unicodedata
import zlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from semh_desktop.core.errors import ValidationError
from semh_desktop.exchange.handover.errors import (
    DAMAGED,
    NOTHING_IMPORTED,
    DamagedBundle,
    HandoverError,
    WrongBundlePassphrase,
)

MAGIC = b"SEMHBNDL"
FORMAT_VERSION = 1
BUNDLE_SUFFIX = ".semhbundle"
CHECK_LABEL = b"SEMH Desktop handover bundle key check"
KDF_IDS = {"scrypt": 1, "argon2id": 2}
CIPHER_AES256_GCM = 1
_FIELDS = struct.Struct(">8sHBIIIB16s12s16s")
_CHECKSUM_BYTES = 8
HEADER_BYTES = _FIELDS.size + _CHECKSUM_BYTES
MIN_PASSPHRASE = 10
MAX_PAYLOAD_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class KdfParams:
    """How the passphrase is stretched into a key (stored in the header of each bundle).

    Argon2id: `cost` is memory in KiB, `rounds` iterations, `lanes` parallelism.
    scrypt: `cost` is log2(n), `rounds` the block size r, `lanes` parallelism p.
    """

    algorithm: str
    cost: int
    rounds: int
    lanes: int

    def check_limits(self) -> None:
        """Refuse parameters a damaged or hostile header could use to exhaust memory or time."""
        if self.algorithm == "argon2id":
            ok = (
                8 * self.lanes <= self.cost <= 1024 * 1024
                and 1 <= self.rounds <= 16
                and 1 <= self.lanes <= 16
            )
        elif self.algorithm == "scrypt":
            ok = (
                1 <= self.cost <= 20
                and 1 <= self.rounds <= 32
                and 1 <= self.lanes <= 16
                and 128 * self.rounds * (2**self.cost) <= 1024 * 1024 * 1024
            )
        else:
            ok = False
        if not ok:
            raise DamagedBundle(DAMAGED)

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        if self.algorithm == "argon2id":
            return Argon2id(
                salt=salt,
                length=64,
                iterations=self.rounds,
                lanes=self.lanes,
                memory_cost=self.cost,
            ).derive(secret)
        return Scrypt(salt=salt, length=64, n=2**self.cost, r=self.rounds, p=self.lanes).derive(
            secret
        )


# Memory-hard by design: 64 MiB Argon2id (RFC 9106's second recommendation lowered to a school
# laptop), or scrypt with n = 2**17 (128 MiB) where Argon2id is not available.
ARGON2ID_DEFAULT = KdfParams("argon2id", 64 * 1024, 3, 4)
SCRYPT_DEFAULT = KdfParams("scrypt", 17, 8, 1)


def _argon2_available() -> bool:
    try:
        Argon2id(salt=b"0" * 16, length=32, iterations=1, lanes=1, memory_cost=8).derive(b"x")
    except UnsupportedAlgorithm:
        return False
    return True


def default_kdf() -> KdfParams:
    return ARGON2ID_DEFAULT if _argon2_available() else SCRYPT_DEFAULT


def check_passphrase(passphrase: str, confirmation: str | None = None) -> None:
    """The rules for a bundle's passphrase, with a message to show next to the field."""
    if len(passphrase.strip()) < MIN_PASSPHRASE:
        raise ValidationError(
            f"Use a passphrase of at least {MIN_PASSPHRASE} characters; three or four words "
            "are easy to type and hard to guess.",
            field="passphrase",
        )
    if confirmation is not None and confirmation != passphrase:
        raise ValidationError("The two passphrases are not the same.", field="confirm")


def _key_check(check_key: bytes) -> bytes:
    return hmac.new(check_key, CHECK_LABEL, hashlib.sha256).digest()[:16]


def seal(payload: bytes, passphrase: str, kdf: KdfParams) -> bytes:
    """Compress and encrypt a payload into bundle bytes (header + ciphertext)."""
    kdf.check_limits()
    salt, nonce = os.urandom(16), os.urandom(12)
    key = kdf.derive(passphrase, salt)
    fields = _FIELDS.pack(
        MAGIC,
        FORMAT_VERSION,
        KDF_IDS[kdf.algorithm],
        kdf.cost,
        kdf.rounds,
        kdf.lanes,
        CIPHER_AES256_GCM,
        salt,
        nonce,
        _key_check(key[32:]),
    )
    header = fields + hashlib.sha256(fields).digest()[:_CHECKSUM_BYTES]
    ciphertext = AESGCM(key[:32]).encrypt(nonce, zlib.compress(payload, 6), header)
    return header + ciphertext


def unseal(data: bytes, passphrase: str) -> bytes:
    """Check, decrypt and decompress bundle bytes; plain-English errors, nothing else touched."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        if MAGIC.startswith(data[: len(MAGIC)]) and data:
            raise DamagedBundle(DAMAGED)
        raise DamagedBundle(f"This file is not a SEMH Desktop handover bundle. {NOTHING_IMPORTED}")
    if len(data) < HEADER_BYTES + 16:
        raise DamagedBundle(DAMAGED)
    fields, checksum = data[: _FIELDS.size], data[_FIELDS.size : HEADER_BYTES]
    if not hmac.compare_digest(hashlib.sha256(fields).digest()[:_CHECKSUM_BYTES], checksum):
        raise DamagedBundle(DAMAGED)
    _, version, kdf_id, cost, rounds, lanes, cipher, salt, nonce, check = _FIELDS.unpack(fields)
    if version > FORMAT_VERSION:
        raise HandoverError(
            "This bundle was made by a newer version of SEMH Desktop. Install the latest "
            f"version to import it. {NOTHING_IMPORTED}"
        )
    names = {number: name for name, number in KDF_IDS.items()}
    if kdf_id not in names or cipher != CIPHER_AES256_GCM:
        raise DamagedBundle(DAMAGED)
    kdf = KdfParams(names[kdf_id], cost, rounds, lanes)
    kdf.check_limits()
    try:
        key = kdf.derive(passphrase, salt)
    except UnsupportedAlgorithm:
        raise HandoverError(
            "This computer cannot read bundles protected with Argon2id; update SEMH Desktop. "
            f"{NOTHING_IMPORTED}"
        ) from None
    if not hmac.compare_digest(_key_check(key[32:]), check):
        raise WrongBundlePassphrase(
            "The passphrase does not open this bundle. Check it with the sender (it is "
            f"case-sensitive) and try again. {NOTHING_IMPORTED}"
        )
    try:
        compressed = AESGCM(key[:32]).decrypt(nonce, data[HEADER_BYTES:], data[:HEADER_BYTES])
    except InvalidTag:
        raise DamagedBundle(DAMAGED) from None
    inflater = zlib.decompressobj()
    try:
        payload = inflater.decompress(compressed, MAX_PAYLOAD_BYTES)
    except zlib.error:
        raise DamagedBundle(DAMAGED) from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise DamagedBundle(DAMAGED)
    return payload
