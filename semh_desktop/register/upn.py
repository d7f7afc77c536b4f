"""Unique Pupil Numbers: a check letter, a 3-digit LA code, then 9 more characters.

The check-letter arithmetic comes from python-stdnum (`stdnum.gb.upn`); this module adds the
plain-English messages and treats an unknown local-authority code as a warning, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import exceptions as stdnum_errors
from stdnum.gb import upn as stdnum_upn

from semh_desktop.core.errors import ValidationError

ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass(frozen=True)
class UpnCheck:
    upn: str
    warning: str | None = None
    temporary: bool = False


def normalise(text: str) -> str:
    return "".join(text.split()).upper()


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it."""
    return str(stdnum_upn.calc_check_digit(body))


def check(text: str) -> UpnCheck:
    """Validate a UPN; raise ValidationError with a reason, or return it with any warning."""
    upn = normalise(text)
    if not upn:
        raise ValidationError(
            "Enter the pupil's UPN (13 characters, starting with a letter).", field="upn"
        )
    if len(upn) != 13:
        raise ValidationError(
            f"A UPN has 13 characters: a letter and then 12 more. This one has {len(upn)}.",
            field="upn",
        )
    if upn[0] not in ALPHABET:
        raise ValidationError(
            "A UPN starts with its check letter (A to Z, not I, O or S).", field="upn"
        )
    if not upn[1:12].isdigit():
        raise ValidationError("Characters 2 to 12 of a UPN are digits.", field="upn")
    if not (upn[12].isdigit() or upn[12] in ALPHABET):
        raise ValidationError(
            "The last character of a UPN is a digit, or a letter for a temporary UPN.", field="upn"
        )
    if check_letter(upn[1:]) != upn[0]:
        raise ValidationError(
            "The UPN's check letter does not match the rest of the number. "
            "Check it against the school's records for a typing mistake.",
            field="upn",
        )
    warning = None
    try:
        stdnum_upn.validate(upn)
    except stdnum_errors.InvalidComponent:
        warning = (
            f"The local authority code {upn[1:4]} is not one we know. "
            "The UPN was accepted; check it if the pupil came from another area."
        )
    except stdnum_errors.ValidationError:
        pass  # already checked above in our own words; temporary UPNs end in a letter
    return UpnCheck(upn, warning, temporary=upn[12].isalpha())


def make_upn(la_code: int, establishment: int, year: int, serial: int) -> str:
    """Build a valid permanent UPN (used for fictional demo pupils)."""
    body = f"{la_code:03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body
