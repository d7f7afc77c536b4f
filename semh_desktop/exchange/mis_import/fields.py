"""The pupil fields an MIS export can carry, and how each cell of a file is read.

CSV columns and Common Transfer File elements both become `SourceRecord`s: the raw text of each
field the row carries, keyed by field name, and where the row came from. Reading that text into
typed values happens here, once, so both formats follow the same rules. An empty cell is simply
absent from `values`: it means "the file does not say", never "clear the stored value".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.register import upn
from semh_desktop.register.pupils import PRIMARY_NEEDS

Progress = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

MAX_TEXT = 100  # longer than any real name, form or ethnicity label; longer means a shifted column


class ImportCancelled(SemhError):
    """The person cancelled a preview or an import; nothing was changed."""


def check_cancel(cancelled: CancelCheck | None) -> None:
    if cancelled is not None and cancelled():
        raise ImportCancelled("The import was cancelled. Nothing was changed.")


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    synonyms: tuple[str, ...]  # header spellings, most specific first


def _f(name: str, label: str, *synonyms: str) -> ImportField:
    return ImportField(name, label, synonyms)


# The order is the order of the mapping combo box. Synonyms are compared with case, spaces and
# punctuation removed. A synonym listed late loses to the same word listed early for another
# field: "Surname" is the legal surname unless a "Legal Surname" column exists, when it is the
# preferred one (as in SIMS exports).
IMPORT_FIELDS: tuple[ImportField, ...] = (
    _f("upn", "UPN", "UPN", "Unique Pupil Number", "Pupil UPN", "UPN Number"),
    _f("former_upn", "Former UPN (matching only)", "Former UPN", "Previous UPN", "Old UPN"),
    _f(
        "legal_surname",
        "Legal surname",
        "Legal Surname",
        "Legal Last Name",
        "Surname",
        "Last Name",
        "Lastname",
        "Family Name",
    ),
    _f(
        "legal_forename",
        "Legal forename",
        "Legal Forename",
        "Legal First Name",
        "Forename",
        "First Name",
        "Firstname",
        "Given Name",
        "Forenames",
    ),
    _f(
        "preferred_surname",
        "Preferred surname",
        "Preferred Surname",
        "Preferred Last Name",
        "Known As Surname",
        "Surname",
    ),
    _f(
        "preferred_forename",
        "Preferred forename",
        "Preferred Forename",
        "Preferred First Name",
        "Preferred Name",
        "Known As",
        "Chosen Name",
        "Forename",
    ),
    _f(
        "date_of_birth",
        "Date of birth",
        "DOB",
        "Date of Birth",
        "Birth Date",
        "Birthdate",
        "Birthday",
    ),
    _f(
        "year_group",
        "Year group",
        "NC Year Actual",
        "NC Year",
        "Year Group",
        "National Curriculum Year",
        "Curriculum Year",
        "Year",
        "Yr",
        "Year Taught In",
    ),
    _f(
        "reg_group",
        "Registration group",
        "Reg Group",
        "Registration Group",
        "Reg",
        "Form",
        "Form Group",
        "Tutor Group",
        "Registration",
        "Class",
    ),
    _f("sex", "Sex", "Sex", "Gender", "Legal Sex"),
    _f(
        "sen_provision",
        "SEN provision",
        "SEN Provision",
        "SEN Status",
        "SEN Stage",
        "SEND Status",
        "SEN",
        "SEND",
        "SEN Code",
    ),
    _f(
        "primary_need",
        "Primary need",
        "Primary Need",
        "SEN Primary Need",
        "Primary SEN Need",
        "Primary Need Type",
        "SEN Need Type",
        "SEN Need 1",
        "SEN Type",
        "Need Type",
    ),
    _f(
        "pupil_premium",
        "Pupil Premium",
        "Pupil Premium",
        "PP",
        "Pupil Premium Indicator",
        "PP Indicator",
        "PP Eligible",
        "FSM Ever 6",
        "Ever 6 FSM",
        "FSM6",
        "Ever 6",
        "Disadvantaged",
    ),
    _f("eal", "EAL", "EAL", "English as an Additional Language", "EAL Status", "EAL Indicator"),
    _f(
        "first_language",
        "First language (not English: EAL)",
        "First Language",
        "Home Language",
        "Main Language",
        "Language",
    ),
    _f(
        "ethnicity",
        "Ethnicity",
        "Ethnicity",
        "Ethnic Group",
        "Ethnic Origin",
        "Ethnicity Code",
        "Ethnic Code",
    ),
    _f(
        "looked_after",
        "Looked after (CLA)",
        "Looked After",
        "CLA",
        "LAC",
        "Child Looked After",
        "Looked After Child",
        "In Care",
    ),
    _f(
        "social_care",
        "Social care status",
        "Social Care",
        "Social Care Status",
        "CSC Status",
        "CIN CP CLA",
    ),
    _f("young_carer", "Young carer", "Young Carer", "Young Carer Indicator"),
)
FIELDS_BY_NAME = {f.name: f for f in IMPORT_FIELDS}
FIELD_LABELS = {f.name: f.label for f in IMPORT_FIELDS}
NOT_IMPORTED = ""  # the mapping value for a column the import leaves out
NOT_IMPORTED_LABEL = "(not imported)"


def label(name: str) -> str:
    """The plain name of a field (or a row-level problem) for a person to read."""
    other = {"row": "Whole row", "file": "File", "la": "Local authority code"}
    return FIELD_LABELS.get(name, other.get(name, name))


def squash(text: str) -> str:
    """A header or code compared without case, spaces or punctuation: 'D.O.B.' -> 'dob'."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@dataclass(frozen=True)
class SourceRecord:
    """One pupil as a file states it: raw text per field, and where it is in the file."""

    where: str  # "line 7" (CSV, the physical line) or "pupil 3" (CTF, the Pupil element's index)
    values: Mapping[str, str]
    line: int | None = None
    index: int | None = None
    problems: tuple[tuple[str, str], ...] = field(default=())  # (field, reason) found while reading

    @property
    def upn(self) -> str:
        return upn.normalise(self.values.get("upn", ""))[:13]


# -- reading one cell ------------------------------------------------------------------------

_TRUE = {"y", "yes", "true", "t", "1", "x", "eligible"}
_FALSE = {"n", "no", "false", "f", "0", "noteligible", "none"}
_CODED = re.compile(r"^\s*([A-Za-z0-9]{1,5})\s*[-–:]\s+\S")  # "K - SEN support" -> "K"

_SEN = {
    "n": "N",
    "nosen": "N",
    "none": "N",
    "nospecialeducationalneed": "N",
    "k": "K",
    "sensupport": "K",
    "support": "K",
    "a": "K",
    "p": "K",
    "schoolaction": "K",
    "schoolactionplus": "K",
    "e": "E",
    "ehcp": "E",
    "ehcplan": "E",
    "educationhealthandcareplan": "E",
    "s": "E",
    "statement": "E",
    "statementofsen": "E",
}
_NEED_ALIASES = {
    "asc": "ASD",
    "autism": "ASD",
    "autisticspectrumcondition": "ASD",
    "autisticspectrumdisorder": "ASD",
    "semhd": "SEMH",
    "bese": "SEMH",
    "socialemotionalandmentalhealth": "SEMH",
    "slcn": "SLCN",
    "speechlanguageandcommunicationneeds": "SLCN",
    "other": "OTH",
    "otherdifficultydisability": "OTH",
}
_NEEDS = (
    {squash(code): code for code in PRIMARY_NEEDS}
    | {squash(text): code for code, text in PRIMARY_NEEDS.items()}
    | _NEED_ALIASES
)
_SEX = {
    "f": "F",
    "female": "F",
    "girl": "F",
    "m": "M",
    "male": "M",
    "boy": "M",
    "x": "X",
    "u": "X",
    "w": "X",
    "unknown": "X",
    "notknown": "X",
    "other": "X",
    "indeterminate": "X",
    "withheld": "X",
    "notspecified": "X",
    "notrecorded": "X",
}
_SOCIAL_CARE = {
    "": "",
    "none": "",
    "no": "",
    "n": "",
    "cin": "CIN",
    "childinneed": "CIN",
    "cp": "CP",
    "cpp": "CP",
    "childprotection": "CP",
    "childprotectionplan": "CP",
    "cla": "CLA",
    "lac": "CLA",
    "lookedafter": "CLA",
    "childlookedafter": "CLA",
    "lookedafterchild": "CLA",
}
_ENGLISH = {"eng", "enb", "english", "englishbelievedtobe", "believedtobeenglish"}
_LANGUAGE_UNKNOWN = {
    "not",
    "ref",
    "notobtained",
    "informationnotobtained",
    "refused",
    "notknown",
    "unknown",
    "notstated",
    "nk",
}
_DATE_SHAPES = (
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), (3, 2, 1)),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), (3, 2, 1)),
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), (3, 2, 1)),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), (1, 2, 3)),
)
_TIME_PART = re.compile(r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)$")


def _code(text: str) -> str:
    match = _CODED.match(text)
    return squash(match.group(1) if match else text)


def read_text(name: str, text: str) -> str:
    cleaned = " ".join(text.split())
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in cleaned):
        raise ValidationError(
            f"The {label(name).lower()} contains characters that are not text.", field=name
        )
    if len(cleaned) > MAX_TEXT:
        raise ValidationError(
            f"The {label(name).lower()} is longer than {MAX_TEXT} characters; "
            "check the column is the right one.",
            field=name,
        )
    return cleaned


def read_date(name: str, text: str) -> dt.date:
    cleaned = _TIME_PART.sub("", text.strip())
    for shape, (y, m, d) in _DATE_SHAPES:
        match = shape.match(cleaned)
        if match:
            try:
                return dt.date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                raise ValidationError(
                    f"The {label(name).lower()} is not a real date (no such day or month).",
                    field=name,
                ) from None
    raise ValidationError(
        f"The {label(name).lower()} is not written as dd/mm/yyyy or yyyy-mm-dd.", field=name
    )


def read_year_group(text: str) -> int:
    cleaned = squash(text)
    for prefix in ("ncyear", "year", "yr", "y"):
        if cleaned.startswith(prefix) and cleaned != prefix:
            rest = cleaned.removeprefix(prefix)
            if rest[:1].isdigit() or rest in ("r", "rec", "reception"):
                cleaned = rest
                break
    named = {"r": 0, "rec": 0, "reception": 0, "n1": -2, "nursery1": -2, "n2": -1, "nursery2": -1}
    if cleaned in named:
        return named[cleaned]
    if re.fullmatch(r"\d{1,2}", cleaned) and "-" not in text and int(cleaned) <= 14:
        return int(cleaned)  # 0 is how some systems write Reception
    raise ValidationError(
        "The year group is not one we know: use R, N1, N2 or a number from 1 to 14.",
        field="year_group",
    )


def read_bool(name: str, text: str) -> bool:
    cleaned = _code(text)
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise ValidationError(
        f"The {label(name).lower()} should be Yes or No (or Y/N, True/False, 1/0).", field=name
    )


_TEXT_FIELDS = (
    "legal_surname",
    "legal_forename",
    "preferred_surname",
    "preferred_forename",
    "reg_group",
    "ethnicity",
)
_BOOL_FIELDS = ("pupil_premium", "eal", "young_carer", "looked_after")


def _read_primary_need(name: str, text: str) -> object:
    code = _code(text)
    if code in ("", "none", "na", "n"):
        return None
    if code not in _NEEDS:
        raise ValidationError(
            "The primary need is not one of the DfE need types (SPLD, MLD, SLD, PMLD, SEMH, "
            "SLCN, HI, VI, MSI, PD, ASD, OTH, NSA).",
            field=name,
        )
    return _NEEDS[code]


def _read_first_language(name: str, text: str) -> object:
    code = _code(text)
    if code in _LANGUAGE_UNKNOWN:
        return None
    read_text(name, text)
    return code not in _ENGLISH  # True: EAL


# Fields whose cell is a code from a fixed list: the list and the message when it is not.
_CODED_FIELDS: dict[str, tuple[dict[str, str], str]] = {
    "sex": (_SEX, "The sex should be F, M or X (not known)."),
    "sen_provision": (
        _SEN,
        "The SEN provision should be N (none), K (SEN support) or E (EHC plan).",
    ),
    "social_care": (_SOCIAL_CARE, "The social care status should be CIN, CP, CLA or none."),
}


def read_value(name: str, text: str) -> object:
    """The typed value of one non-empty cell; raise ValidationError(field=name) if unreadable.

    Returns None when the cell carries no information (a first language "not obtained").
    """
    if name in ("upn", "former_upn"):
        return upn.normalise(text)
    if name in _TEXT_FIELDS:
        return read_text(name, text)
    if name in _BOOL_FIELDS:
        return read_bool(name, text)
    if name in _CODED_FIELDS:
        codes, message = _CODED_FIELDS[name]
        if _code(text) not in codes:
            raise ValidationError(message, field=name)
        return codes[_code(text)]
    readers = {
        "date_of_birth": read_date,
        "year_group": lambda _name, value: read_year_group(value),
        "primary_need": _read_primary_need,
        "first_language": _read_first_language,
    }
    if name in readers:
        return readers[name](name, text)
    raise ValidationError(f"SEMH Desktop does not import a field called '{name}'.", field=name)
