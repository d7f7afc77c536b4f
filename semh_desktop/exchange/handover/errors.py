"""What can go wrong with a bundle, in words the person importing or sending can act on."""

from __future__ import annotations

from semh_desktop.core.errors import SemhError


class HandoverError(SemhError):
    """A bundle that cannot be read or used; nothing was imported."""


class WrongBundlePassphrase(HandoverError):
    """The passphrase typed does not open the bundle."""


class DamagedBundle(HandoverError):
    """The file is not a bundle, or was changed or cut short after it was made."""


NOTHING_IMPORTED = "Nothing was imported."
DAMAGED = (
    "The bundle is damaged (changed or cut short since it was made), so it cannot be "
    f"imported. {NOTHING_IMPORTED} Ask the sender for a new copy."
)
