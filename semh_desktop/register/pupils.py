"""The pupil register: who is on the SEMH register, their needs and vulnerability flags.

Pupils are archived, never deleted here (retention runs to date of birth + 31 years).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import audit, upn
from semh_desktop.register.access import requires

SEN_PROVISION = {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}
PRIMARY_NEEDS = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment",
}
SOCIAL_CARE = {
    "": "None",
    "CIN": "Child in need",
    "CP": "Child protection plan",
    "CLA": "Child looked after",
}
SEXES = {"F": "Female", "M": "Male", "X": "Not recorded / other"}
FLAG_LABELS = {
    "pupil_premium": "Pupil Premium",
    "young_carer": "Young carer",
    "eal": "EAL",
    "at_risk_pex": "At risk of permanent exclusion",
}


def year_group_label(year: int) -> str:
    return {-2: "N1", -1: "N2", 0: "R"}.get(year, f"Y{year}")


def parse_year_group(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("YEAR").removeprefix("Y").strip()
    named = {"N1": -2, "N2": -1, "R": 0, "REC": 0, "RECEPTION": 0}
    if cleaned in named:
        return named[cleaned]
    try:
        year = int(cleaned)
    except ValueError:
        raise ValidationError(
            f"'{text}' is not a year group. Use R or a number from 1 to 14.", field="year_group"
        ) from None
    if not -2 <= year <= 14:
        raise ValidationError("A year group is R or a number from 1 to 14.", field="year_group")
    return year


@dataclass
class PupilDetails:
    """Everything a person can type about a pupil (the add/edit form, an import row)."""

    upn: str = ""
    legal_forename: str = ""
    legal_surname: str = ""
    preferred_forename: str = ""
    preferred_surname: str = ""
    date_of_birth: dt.date | None = None
    year_group: int = 7
    sex: str | None = None
    reg_group: str = ""
    sen_provision: str = "N"
    primary_need: str | None = None
    pupil_premium: bool = False
    social_care: str = ""
    young_carer: bool = False
    eal: bool = False
    at_risk_pex: bool = False
    ethnicity: str = ""
    on_semh_register: bool = True


@dataclass
class Validation:
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    upn: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_first(self) -> None:
        if self.errors:
            name, message = next(iter(self.errors.items()))
            raise ValidationError(message, field=name)


@dataclass(frozen=True)
class Pupil:
    id: str
    details: PupilDetails
    archived_at: str | None
    created_at: str
    updated_at: str

    @property
    def upn(self) -> str:
        return self.details.upn

    @property
    def forename(self) -> str:
        return self.details.preferred_forename or self.details.legal_forename

    @property
    def surname(self) -> str:
        return self.details.preferred_surname or self.details.legal_surname

    @property
    def display_name(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def initials(self) -> str:
        return f"{self.forename[:1]}{self.surname[:1]}".upper()

    @property
    def ehcp(self) -> bool:
        return self.details.sen_provision == "E"

    def flags(self) -> list[str]:
        """Vulnerability flags in words, for the profile and the caseload."""
        found = [label for name, label in FLAG_LABELS.items() if getattr(self.details, name)]
        if self.details.social_care:
            found.insert(1, self.details.social_care)
        if self.ehcp:
            found.append("EHCP")
        return found


def _clean(text: str) -> str:
    return " ".join(text.split())


def validate(store: Store, details: PupilDetails, *, pupil_id: str | None = None) -> Validation:
    """Check every field at once so a form can show each message next to its field."""
    result = Validation()
    try:
        checked = upn.check(details.upn)
        result.upn = checked.upn
        if checked.warning:
            result.warnings["upn"] = checked.warning
        clash = list(
            store.db.query(
                "SELECT id FROM pupils WHERE upn = ? AND id != ?", [checked.upn, pupil_id or ""]
            )
        )
        if clash:
            result.errors["upn"] = "Another pupil already has this UPN."
    except ValidationError as exc:
        result.errors["upn"] = exc.message
    if not _clean(details.legal_forename):
        result.errors["legal_forename"] = "Enter the pupil's legal first name."
    if not _clean(details.legal_surname):
        result.errors["legal_surname"] = "Enter the pupil's legal surname."
    today = store.clock.today()
    if details.date_of_birth is None:
        result.errors["date_of_birth"] = "Enter the date of birth as dd/mm/yyyy."
    elif not (
        today.replace(year=today.year - 25)
        <= details.date_of_birth
        <= today.replace(year=today.year - 2)
    ):
        result.errors["date_of_birth"] = (
            "The date of birth makes the pupil younger than 2 or older than 25; check it."
        )
    if not -2 <= details.year_group <= 14:
        result.errors["year_group"] = "A year group is R or a number from 1 to 14."
    if details.sen_provision not in SEN_PROVISION:
        result.errors["sen_provision"] = "SEN provision is N, K or E."
    if details.primary_need not in (None, *PRIMARY_NEEDS):
        result.errors["primary_need"] = "Choose a primary need from the list."
    if details.primary_need and details.sen_provision == "N":
        result.warnings["primary_need"] = (
            "A primary need is usually recorded only with SEN support or an EHC plan."
        )
    if details.social_care not in SOCIAL_CARE:
        result.errors["social_care"] = "Children's social care status is CIN, CP, CLA or none."
    if details.sex not in (None, *SEXES):
        result.errors["sex"] = "Sex is F, M or X."
    return result


def _row(details: PupilDetails, upn_value: str) -> dict[str, Any]:
    assert details.date_of_birth is not None
    return {
        "upn": upn_value,
        "legal_forename": _clean(details.legal_forename),
        "legal_surname": _clean(details.legal_surname),
        "preferred_forename": _clean(details.preferred_forename) or None,
        "preferred_surname": _clean(details.preferred_surname) or None,
        "date_of_birth": details.date_of_birth.isoformat(),
        "year_group": details.year_group,
        "sex": details.sex,
        "reg_group": _clean(details.reg_group) or None,
        "sen_provision": details.sen_provision,
        "primary_need": details.primary_need,
        "pupil_premium": int(details.pupil_premium),
        "social_care": details.social_care,
        "young_carer": int(details.young_carer),
        "eal": int(details.eal),
        "at_risk_pex": int(details.at_risk_pex),
        "ethnicity": _clean(details.ethnicity) or None,
        "on_semh_register": int(details.on_semh_register),
    }


def _from_row(row: dict[str, Any]) -> Pupil:
    details = PupilDetails(
        upn=row["upn"],
        legal_forename=row["legal_forename"],
        legal_surname=row["legal_surname"],
        preferred_forename=row["preferred_forename"] or "",
        preferred_surname=row["preferred_surname"] or "",
        date_of_birth=dt.date.fromisoformat(row["date_of_birth"]),
        year_group=row["year_group"],
        sex=row["sex"],
        reg_group=row["reg_group"] or "",
        sen_provision=row["sen_provision"],
        primary_need=row["primary_need"],
        pupil_premium=bool(row["pupil_premium"]),
        social_care=row["social_care"],
        young_carer=bool(row["young_carer"]),
        eal=bool(row["eal"]),
        at_risk_pex=bool(row["at_risk_pex"]),
        ethnicity=row["ethnicity"] or "",
        on_semh_register=bool(row["on_semh_register"]),
    )
    return Pupil(row["id"], details, row["archived_at"], row["created_at"], row["updated_at"])


@requires("casework")
def add_pupil(store: Store, details: PupilDetails) -> Pupil:
    checked = validate(store, details)
    checked.raise_first()
    now = store.clock.now().isoformat(timespec="seconds")
    row = {"id": new_id(), **_row(details, checked.upn), "created_at": now, "updated_at": now}
    with store.atomic():
        store.db.table("pupils").insert(row)
        audit.record(store, "create", "pupil", row["id"], pupil_id=row["id"])
    return get_pupil(store, row["id"])


@requires("casework")
def update_pupil(store: Store, pupil_id: str, details: PupilDetails) -> Pupil:
    before = get_pupil(store, pupil_id)
    checked = validate(store, details, pupil_id=pupil_id)
    checked.raise_first()
    new_row = _row(details, checked.upn)
    old_row = _row(before.details, before.upn)
    changed = sorted(name for name, value in new_row.items() if old_row[name] != value)
    if not changed:
        return before
    with store.atomic():
        store.db.table("pupils").update(
            pupil_id,
            {
                **{n: new_row[n] for n in changed},
                "updated_at": store.clock.now().isoformat(timespec="seconds"),
            },
        )
        audit.record(
            store, "change", "pupil", pupil_id, "fields: " + ", ".join(changed), pupil_id=pupil_id
        )
    return get_pupil(store, pupil_id)


@requires("casework")
def archive_pupil(store: Store, pupil_id: str) -> Pupil:
    pupil = get_pupil(store, pupil_id)
    if pupil.archived_at:
        return pupil
    now = store.clock.now().isoformat(timespec="seconds")
    with store.atomic():
        store.db.table("pupils").update(pupil_id, {"archived_at": now, "updated_at": now})
        audit.record(store, "archive", "pupil", pupil_id, pupil_id=pupil_id)
    return get_pupil(store, pupil_id)


@requires("casework")
def restore_pupil(store: Store, pupil_id: str) -> Pupil:
    now = store.clock.now().isoformat(timespec="seconds")
    with store.atomic():
        store.db.table("pupils").update(pupil_id, {"archived_at": None, "updated_at": now})
        audit.record(store, "change", "pupil", pupil_id, "fields: archived_at", pupil_id=pupil_id)
    return get_pupil(store, pupil_id)


def get_pupil(store: Store, pupil_id: str) -> Pupil:
    rows = list(store.db.query("SELECT * FROM pupils WHERE id = ?", [pupil_id]))
    if not rows:
        raise NotFound("That pupil is not in this database.")
    return _from_row(rows[0])


def open_pupil(store: Store, pupil_id: str) -> Pupil:
    """Read a pupil's record for a person to see: every opening is audited."""
    pupil = get_pupil(store, pupil_id)
    with store.atomic():
        audit.record(store, "open", "pupil", pupil_id)
    return pupil


def find_by_upn(store: Store, text: str) -> Pupil:
    rows = list(store.db.query("SELECT * FROM pupils WHERE upn = ?", [upn.normalise(text)]))
    if not rows:
        raise NotFound(f"No pupil with UPN {upn.normalise(text)} is in this database.")
    return _from_row(rows[0])


@dataclass(frozen=True)
class CaseloadRow:
    """One line of the caseload table (later issues add columns such as phase)."""

    pupil_id: str
    name: str
    surname: str
    upn: str
    year_group: int
    sen_provision: str
    primary_need: str | None
    flags: tuple[str, ...]
    on_semh_register: bool
    archived: bool

    @property
    def search_text(self) -> str:
        year = year_group_label(self.year_group)
        return f"{self.name} {self.upn} {year} year {self.year_group}".casefold()


def caseload(
    store: Store, *, whole_register: bool = False, include_archived: bool = False
) -> list[CaseloadRow]:
    """Pupils for the main table: the SEMH register by default, or the whole school."""
    conditions = []
    if not whole_register:
        conditions.append("on_semh_register = 1")
    if not include_archived:
        conditions.append("archived_at IS NULL")
    where = " AND ".join(conditions) or "1 = 1"
    rows = store.db.query(
        f"SELECT * FROM pupils WHERE {where} "
        "ORDER BY legal_surname COLLATE NOCASE, legal_forename COLLATE NOCASE"
    )
    result = []
    for row in rows:
        pupil = _from_row(row)
        result.append(
            CaseloadRow(
                pupil_id=pupil.id,
                name=pupil.display_name,
                surname=pupil.surname,
                upn=pupil.upn,
                year_group=pupil.details.year_group,
                sen_provision=pupil.details.sen_provision,
                primary_need=pupil.details.primary_need,
                flags=tuple(pupil.flags()),
                on_semh_register=pupil.details.on_semh_register,
                archived=bool(pupil.archived_at),
            )
        )
    return result


def profile_lines(pupil: Pupil) -> list[tuple[str, str]]:
    """The profile as label/value pairs (the Profile tab and printed documents share it)."""
    d = pupil.details
    names = f"{d.legal_forename} {d.legal_surname}"
    preferred = (
        f"{d.preferred_forename or d.legal_forename} {d.preferred_surname or d.legal_surname}"
    )
    return [
        ("Legal name", names),
        ("Known as", preferred if preferred != names else "—"),
        ("UPN", d.upn),
        ("Date of birth", format_date(d.date_of_birth)),
        (
            "Year group",
            year_group_label(d.year_group) + (f" ({d.reg_group})" if d.reg_group else ""),
        ),
        ("SEN provision", SEN_PROVISION[d.sen_provision]),
        ("Primary need", PRIMARY_NEEDS.get(d.primary_need or "", "—")),
        ("Social care", SOCIAL_CARE[d.social_care]),
        ("Vulnerability", ", ".join(pupil.flags()) or "None recorded"),
        ("Ethnicity", d.ethnicity or "Not recorded"),
        ("SEMH register", "On the register" if d.on_semh_register else "Not on the register"),
    ]


def replace_details(details: PupilDetails, **changes: Any) -> PupilDetails:
    return dataclasses.replace(details, **changes)
