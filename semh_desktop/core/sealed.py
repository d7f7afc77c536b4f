"""Sealed drafts: encrypted so that only the person who typed them can open them again.

When the window locks, an open dialog's typed content is kept as a draft. The window holds only
the signed-in person's public key while locked (an X25519 key derived from their passphrase at
sign-in), so a memory dump of a locked app yields ciphertext and no key that opens it; the same
person signing in again re-derives the private key and opens the draft. Another person's
passphrase derives another key and cannot.

The format is ephemeral X25519 + HKDF-SHA256 + AES-256-GCM (the usual "sealed box" shape).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from semh_desktop.core.errors import StoreError

_INFO = b"semh-desktop sealed draft v1"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def _box_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO
    ).derive(shared)


@dataclass(frozen=True)
class DraftRecipient:
    """The public half: enough to seal a draft, never to open one."""

    public: X25519PublicKey

    def raw(self) -> bytes:
        return self.public.public_bytes(*_RAW)

    def seal(self, data: bytes) -> bytes:
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw = ephemeral.public_key().public_bytes(*_RAW)
        key = _box_key(ephemeral.exchange(self.public), ephemeral_raw, self.raw())
        # A fresh key per draft, so a fixed nonce is safe.
        return ephemeral_raw + AESGCM(key).encrypt(b"\x00" * 12, data, None)


@dataclass(frozen=True)
class DraftKey:
    """The private half, derived at sign-in from the person's passphrase; used once, dropped."""

    private: X25519PrivateKey

    @classmethod
    def from_secret(cls, secret: bytes) -> DraftKey:
        """From 32 bytes derived (by HKDF) from the key that unwraps the person's slot."""
        return cls(X25519PrivateKey.from_private_bytes(secret))

    @property
    def recipient(self) -> DraftRecipient:
        return DraftRecipient(self.private.public_key())

    def open(self, sealed: bytes) -> bytes:
        if len(sealed) < 32 + 16:
            raise StoreError("The saved draft is damaged and cannot be opened.")
        ephemeral_raw, body = sealed[:32], sealed[32:]
        shared = self.private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
        key = _box_key(shared, ephemeral_raw, self.recipient.raw())
        try:
            return AESGCM(key).decrypt(b"\x00" * 12, body, None)
        except InvalidTag:
            raise StoreError("This draft was kept for someone else and cannot be opened.") from None
