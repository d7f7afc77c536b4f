"""Suspensions (fixed-term exclusions) and permanent exclusions.

A suspension starts on a school day and lasts a number of school days in halves: a lunchtime
suspension counts as half a day. It is held as half-days (1 = a lunchtime, 2 = a day, 3 = a day
and a half) so sums are exact. The law allows at most 45 school days of suspension for a pupil
in one school year, so a suspension that would take the pupil past 45 is refused, as is one
that overlaps a suspension already recorded.

School days are counted as weekdays from the start date. Bank holidays and school holidays are
deliberately ignored: schools set their own term dates and the app does not know them, so a
suspension over a half-term break is entered with its real start and its length in school days,
and the covered dates are an approximation used only for overlap, the 45-day rule and for
splitting days between the windows around support.

Rows entered in error are withdrawn (kept with who, when and why), never deleted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from semh_desktop.core.dates import academic_year, format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import audit
from semh_desktop.register.access import requires

# DfE suspension and exclusion reason categories, in our own words.
REASONS = {
    "assault_pupil": "Physical assault on a pupil",
    "assault_adult": "Physical assault on an adult",
    "verbal_pupil": "Verbal abuse or threats towards a pupil",
    "verbal_adult": "Verbal abuse or threats towards an adult",
    "weapon": "Offensive weapon or banned item (used or threatened)",
    "bullying": "Bullying",
    "racist": "Racist abuse",
    "sexuality_gender": "Abuse about sexual orientation or gender identity",
    "disability": "Abuse about disability",
    "sexual_misconduct": "Sexual misconduct",
    "drugs_alcohol": "Drugs or alcohol",
    "damage": "Damage to property",
    "theft": "Theft",
    "disruption": "Persistent or general disruptive behaviour",
    "online": "Misuse of social media or online technology",
    "other": "Other",
}
# The two-letter codes school MIS exports use for the same categories (accepted on import).
MIS_REASON_CODES = {
    "PP": "assault_pupil",
    "PA": "assault_adult",
    "VP": "verbal_pupil",
    "VA": "verbal_adult",
    "OW": "weapon",
    "BU": "bullying",
    "RA": "racist",
    "LG": "sexuality_gender",
    "DS": "disability",
    "SM": "sexual_misconduct",
    "DA": "drugs_alcohol",
    "DM": "damage",
    "TH": "theft",
    "DB": "disruption",
    "MT": "online",
    "OT": "other",
}
OUTCOMES = {
    "pending": "Awaiting governors' decision",
    "upheld": "Upheld",
    "rescinded": "Rescinded (withdrawn; the pupil stays)",
}

MAX_DAYS_PER_YEAR = 45
MAX_HALF_DAYS_PER_YEAR = 2 * MAX_DAYS_PER_YEAR
MAX_NOTE = 2000
DAYS_AHEAD = 31  # a suspension may be entered before it starts (the letter goes home first)


def reason_label(key: str) -> str:
    return REASONS.get(key, key)


def parse_reason(text: str, *, field: str = "reason") -> str:
    """Our key, our wording, or the MIS two-letter code ('VA'), case and spacing ignored."""
    cleaned = " ".join(text.split()).casefold()
    if not cleaned:
        raise ValidationError("Choose the reason for the suspension.", field=field)
    for key, label in REASONS.items():
        if cleaned in (key, label.casefold()):
            return key
    code = MIS_REASON_CODES.get(cleaned.upper())
    if code:
        return code
    raise ValidationError(
        f"'{text.strip()}' is not a reason category. Use one of the listed categories "
        "(or its two-letter MIS code, such as VA or DB).",
        field=field,
    )


def parse_length(text: str, *, field: str = "length") -> int:
    """A length in school days as typed ('1', '2.5', '1½', '0.5', 'lunchtime') -> half-days."""
    cleaned = text.strip().casefold().replace("½", ".5").replace(",", ".")
    cleaned = re.sub(r"\s*(school\s+)?days?$", "", cleaned)
    if cleaned in ("lunchtime", "lunch", "half", "half day", "half a day"):
        return 1
    if cleaned.startswith("."):
        cleaned = "0" + cleaned
    match = re.fullmatch(r"([0-9]{1,3})(?:\.([0-9]+))?", cleaned)
    if match is None:
        raise ValidationError(
            f"'{text.strip()}' is not a length in school days. Write it like 1, 2.5 or 0.5 "
            "(a lunchtime suspension is half a day).",
            field=field,
        )
    whole = int(match.group(1))
    fraction = (match.group(2) or "0").rstrip("0")
    if fraction not in ("", "5"):
        raise ValidationError(
            "A suspension is counted in whole or half school days (for example 1.5).", field=field
        )
    return whole * 2 + (1 if fraction == "5" else 0)


def format_days(half_days: int | float) -> str:
    """Half-days as school days for people: 3 -> '1.5', 2 -> '1', 1 -> '0.5'."""
    value = half_days / 2
    return f"{value:g}"


def next_school_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def covered_days(start: dt.date, half_days: int) -> list[tuple[dt.date, int]]:
    """The school days a suspension covers, each with the halves it takes (2, or 1 at the end).

    Weekdays only, from the start date; holidays are ignored (see the module note). A start on
    a weekend is moved to the Monday, though validation refuses one before it gets here.
    """
    day = start
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    result: list[tuple[dt.date, int]] = []
    remaining = half_days
    while remaining > 0:
        taken = min(2, remaining)
        result.append((day, taken))
        remaining -= taken
        day = next_school_day(day)
    return result


def half_days_by_year(start: dt.date, half_days: int) -> dict[str, int]:
    """Half-days per academic year ('2025/26'): a suspension may run over 31 August."""
    totals: dict[str, int] = defaultdict(int)
    for day, halves in covered_days(start, half_days):
        totals[academic_year(day)] += halves
    return dict(totals)


def half_days_between(start: dt.date, half_days: int, first: dt.date, last: dt.date) -> int:
    """How many of the suspension's half-days fall in [first, last] (inclusive)."""
    return sum(h for day, h in covered_days(start, half_days) if first <= day <= last)


# Suspensions --------------------------------------------------------------------------------


@dataclass
class SuspensionDetails:
    """What a person types (the Attendance tab) or an import row holds."""

    start_date: dt.date | None = None
    half_days: int | None = None
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class Suspension:
    id: str
    pupil_id: str
    start_date: dt.date
    half_days: int
    reason: str
    note: str
    import_batch: str | None
    created_at: str
    withdrawn_at: str | None

    @property
    def days(self) -> float:
        return self.half_days / 2

    @property
    def days_text(self) -> str:
        return format_days(self.half_days)

    @property
    def is_lunchtime(self) -> bool:
        return self.half_days == 1

    @property
    def last_day(self) -> dt.date:
        return covered_days(self.start_date, self.half_days)[-1][0]

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)

    @property
    def label(self) -> str:
        length = "lunchtime (0.5 day)" if self.is_lunchtime else f"{self.days_text} days"
        return f"{format_date(self.start_date)}, {length}"


def _suspension(row: dict[str, Any]) -> Suspension:
    return Suspension(
        id=row["id"],
        pupil_id=row["pupil_id"],
        start_date=dt.date.fromisoformat(row["start_date"]),
        half_days=int(row["half_days"]),
        reason=row["reason"],
        note=row["note"],
        import_batch=row["import_batch"],
        created_at=row["created_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def suspensions_for_pupil(
    store: Store, pupil_id: str, *, include_withdrawn: bool = False
) -> list[Suspension]:
    """The pupil's suspensions, oldest first."""
    where = "" if include_withdrawn else "AND withdrawn_at IS NULL"
    rows = store.db.query(
        f"SELECT * FROM suspensions WHERE pupil_id = ? {where} ORDER BY start_date, created_at",
        [pupil_id],
    )
    return [_suspension(row) for row in rows]


def get_suspension(store: Store, suspension_id: str) -> Suspension:
    rows = list(store.db.query("SELECT * FROM suspensions WHERE id = ?", [suspension_id]))
    if not rows:
        raise NotFound("That suspension is not in this database.")
    return _suspension(rows[0])


def check_against(
    details: SuspensionDetails,
    existing: Iterable[Suspension | SuspensionDetails],
) -> dict[str, str]:
    """The overlap and 45-day rules against the pupil's other suspensions (store or file)."""
    errors: dict[str, str] = {}
    if details.start_date is None or details.half_days is None:
        return errors
    mine = covered_days(details.start_date, details.half_days)
    my_days = {day for day, _ in mine}
    per_year = half_days_by_year(details.start_date, details.half_days)
    for other in existing:
        assert other.start_date is not None and other.half_days is not None
        theirs = covered_days(other.start_date, other.half_days)
        if my_days & {day for day, _ in theirs}:
            same = other.start_date == details.start_date and other.half_days == details.half_days
            what = "is already recorded" if same else "overlaps another suspension"
            errors.setdefault(
                "start_date",
                (
                    f"This suspension {what}: {format_date(other.start_date)} for "
                    f"{format_days(other.half_days)} school day(s), "
                    f"to {format_date(theirs[-1][0])}. "
                    "Check the dates."
                ),
            )
        for year, halves in half_days_by_year(other.start_date, other.half_days).items():
            if year in per_year:
                per_year[year] += halves
    for year, halves in sorted(per_year.items()):
        if halves > MAX_HALF_DAYS_PER_YEAR:
            already = halves - half_days_by_year(details.start_date, details.half_days)[year]
            errors.setdefault(
                "length",
                (
                    f"This would make {format_days(halves)} school days of suspension in {year}; "
                    f"a pupil can be suspended for at most {MAX_DAYS_PER_YEAR} school days in a "
                    f"school year ({format_days(already)} already recorded). Check the length, "
                    "or record a permanent exclusion instead."
                ),
            )
    return errors


def validate_suspension(
    store: Store,
    pupil_id: str,
    details: SuspensionDetails,
    *,
    others: Iterable[Suspension | SuspensionDetails] | None = None,
) -> dict[str, str]:
    """Every problem at once, keyed by field (start_date, length, reason, note)."""
    errors: dict[str, str] = {}
    today = store.clock.today()
    if details.start_date is None:
        errors["start_date"] = "Enter the first day of the suspension as dd/mm/yyyy."
    elif details.start_date.weekday() >= 5:
        errors["start_date"] = (
            f"{format_date(details.start_date)} is a {details.start_date.strftime('%A')}; "
            "a suspension starts on a school day."
        )
    elif details.start_date > today + dt.timedelta(days=DAYS_AHEAD):
        errors["start_date"] = "A suspension cannot be entered more than a month ahead."
    elif details.start_date.year < 2000:
        errors["start_date"] = "Check the year of the start date."
    if details.half_days is None:
        errors["length"] = "Enter the length in school days (0.5 for a lunchtime suspension)."
    elif details.half_days < 1:
        errors["length"] = "A suspension lasts at least half a day (a lunchtime)."
    elif details.half_days > MAX_HALF_DAYS_PER_YEAR:
        errors["length"] = f"A suspension cannot be longer than {MAX_DAYS_PER_YEAR} school days."
    if details.reason not in REASONS:
        errors["reason"] = "Choose the reason for the suspension."
    if len(details.note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    if errors:
        return errors
    existing = suspensions_for_pupil(store, pupil_id) if others is None else others
    return check_against(details, existing)


def raise_first(errors: dict[str, str]) -> None:
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)


def require_pupil(store: Store, pupil_id: str) -> None:
    if not list(store.db.query("SELECT 1 FROM pupils WHERE id = ?", [pupil_id])):
        raise NotFound("That pupil is not in this database.")


def now_text(store: Store) -> str:
    return store.clock.now().isoformat(timespec="seconds")


def suspension_row(
    store: Store, pupil_id: str, details: SuspensionDetails, import_batch: str | None = None
) -> dict[str, Any]:
    assert details.start_date is not None and details.half_days is not None
    return {
        "id": new_id(),
        "pupil_id": pupil_id,
        "start_date": details.start_date.isoformat(),
        "half_days": details.half_days,
        "reason": details.reason,
        "note": details.note.strip(),
        "import_batch": import_batch,
        "created_at": now_text(store),
        "created_by": store.staff_id,
    }


@requires("casework")
def record_suspension(store: Store, pupil_id: str, details: SuspensionDetails) -> Suspension:
    """Add a suspension after the overlap and 45-day checks; audited."""
    require_pupil(store, pupil_id)
    with store.atomic():
        raise_first(validate_suspension(store, pupil_id, details))
        row = suspension_row(store, pupil_id, details)
        store.db.table("suspensions").insert(row)
        audit.record(
            store,
            "create",
            "suspension",
            row["id"],
            f"pupil {pupil_id}; half-days, reason",
            pupil_id=pupil_id,
        )
    return get_suspension(store, row["id"])


@requires("casework")
def withdraw_row(store: Store, table: str, record_type: str, record_id: str, reason: str) -> None:
    rows = list(
        store.db.query(f"SELECT withdrawn_at, pupil_id FROM {table} WHERE id = ?", [record_id])
    )
    if not rows:
        raise NotFound("That record is not in this database.")
    if rows[0]["withdrawn_at"]:
        raise ValidationError("That record was already removed.")
    if not reason.strip():
        raise ValidationError(
            "Say why the record is being removed (for example 'entered twice').",
            field="withdrawn_reason",
        )
    with store.atomic():
        store.db.table(table).update(
            record_id,
            {
                "withdrawn_at": now_text(store),
                "withdrawn_by": store.staff_id,
                "withdrawn_reason": " ".join(reason.split())[:500],
            },
        )
        audit.record(
            store,
            "archive",
            record_type,
            record_id,
            "withdrawn (entered in error)",
            pupil_id=rows[0]["pupil_id"],
        )


@requires("casework")
def withdraw_suspension(store: Store, suspension_id: str, reason: str) -> None:
    """Take a suspension entered in error out of every count; the row and its audit stay."""
    withdraw_row(store, "suspensions", "suspension", suspension_id, reason)


def days_in_year(store: Store, pupil_id: str, year: str) -> float:
    """School days of suspension the pupil has in an academic year ('2025/26')."""
    halves = sum(
        half_days_by_year(s.start_date, s.half_days).get(year, 0)
        for s in suspensions_for_pupil(store, pupil_id)
    )
    return halves / 2


# Permanent exclusions -----------------------------------------------------------------------


@dataclass
class ExclusionDetails:
    exclusion_date: dt.date | None = None
    reason: str = ""
    note: str = ""
    outcome: str = "pending"
    decided_on: dt.date | None = None


@dataclass(frozen=True)
class PermanentExclusion:
    id: str
    pupil_id: str
    exclusion_date: dt.date
    reason: str
    note: str
    outcome: str
    decided_on: dt.date | None
    withdrawn_at: str | None

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)

    @property
    def outcome_label(self) -> str:
        return OUTCOMES[self.outcome]


def validate_decision(
    store: Store, outcome: str, decided_on: dt.date | None, exclusion_date: dt.date | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "Choose the outcome: awaiting decision, upheld or rescinded."
    elif outcome == "pending":
        if decided_on is not None:
            errors["decided_on"] = "Leave the decision date empty while the decision is awaited."
    elif decided_on is None:
        errors["decided_on"] = "Enter the date of the decision as dd/mm/yyyy."
    elif decided_on > store.clock.today():
        errors["decided_on"] = "The decision date cannot be in the future."
    elif exclusion_date is not None and decided_on < exclusion_date:
        errors["decided_on"] = "The decision cannot come before the exclusion."
    return errors


def validate_exclusion(store: Store, details: ExclusionDetails) -> dict[str, str]:
    errors: dict[str, str] = {}
    if details.exclusion_date is None:
        errors["exclusion_date"] = "Enter the date of the permanent exclusion as dd/mm/yyyy."
    elif details.exclusion_date > store.clock.today():
        errors["exclusion_date"] = "The exclusion date cannot be in the future."
    if details.reason not in REASONS:
        errors["reason"] = "Choose the reason for the exclusion."
    if len(details.note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    errors.update(
        validate_decision(store, details.outcome, details.decided_on, details.exclusion_date)
    )
    return errors


_EXCLUSIONS = """
SELECT e.*, d.outcome, d.decided_on
FROM permanent_exclusions e
JOIN exclusion_decisions d ON d.seq = (
    SELECT max(seq) FROM exclusion_decisions WHERE exclusion_id = e.id)
"""


def _exclusion(row: dict[str, Any]) -> PermanentExclusion:
    return PermanentExclusion(
        id=row["id"],
        pupil_id=row["pupil_id"],
        exclusion_date=dt.date.fromisoformat(row["exclusion_date"]),
        reason=row["reason"],
        note=row["note"],
        outcome=row["outcome"],
        decided_on=dt.date.fromisoformat(row["decided_on"]) if row["decided_on"] else None,
        withdrawn_at=row["withdrawn_at"],
    )


def get_exclusion(store: Store, exclusion_id: str) -> PermanentExclusion:
    rows = list(store.db.query(_EXCLUSIONS + " WHERE e.id = ?", [exclusion_id]))
    if not rows:
        raise NotFound("That permanent exclusion is not in this database.")
    return _exclusion(rows[0])


def exclusions_for_pupil(
    store: Store, pupil_id: str, *, include_withdrawn: bool = False
) -> list[PermanentExclusion]:
    where = "" if include_withdrawn else "AND e.withdrawn_at IS NULL"
    rows = store.db.query(
        _EXCLUSIONS + f" WHERE e.pupil_id = ? {where} ORDER BY e.exclusion_date", [pupil_id]
    )
    return [_exclusion(row) for row in rows]


def _decision_row(
    store: Store, exclusion_id: str, outcome: str, decided_on: dt.date | None, note: str
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "exclusion_id": exclusion_id,
        "outcome": outcome,
        "decided_on": decided_on.isoformat() if decided_on else None,
        "note": note.strip(),
        "recorded_at": now_text(store),
        "recorded_by": store.staff_id,
    }


@requires("casework")
def record_exclusion(store: Store, pupil_id: str, details: ExclusionDetails) -> PermanentExclusion:
    """Add a permanent exclusion with its current outcome (pending, upheld or rescinded)."""
    require_pupil(store, pupil_id)
    raise_first(validate_exclusion(store, details))
    assert details.exclusion_date is not None
    exclusion_id = new_id()
    with store.atomic():
        store.db.table("permanent_exclusions").insert(
            {
                "id": exclusion_id,
                "pupil_id": pupil_id,
                "exclusion_date": details.exclusion_date.isoformat(),
                "reason": details.reason,
                "note": details.note.strip(),
                "created_at": now_text(store),
                "created_by": store.staff_id,
            }
        )
        store.db.table("exclusion_decisions").insert(
            _decision_row(store, exclusion_id, details.outcome, details.decided_on, "")
        )
        audit.record(
            store,
            "create",
            "permanent_exclusion",
            exclusion_id,
            f"pupil {pupil_id}; outcome {details.outcome}",
            pupil_id=pupil_id,
        )
    return get_exclusion(store, exclusion_id)


@requires("casework")
def decide_exclusion(
    store: Store, exclusion_id: str, outcome: str, decided_on: dt.date | None, note: str = ""
) -> PermanentExclusion:
    """Record the governors' (or a review panel's) decision; earlier decisions are kept."""
    current = get_exclusion(store, exclusion_id)
    raise_first(validate_decision(store, outcome, decided_on, current.exclusion_date))
    if outcome == current.outcome and decided_on == current.decided_on:
        return current
    with store.atomic():
        store.db.table("exclusion_decisions").insert(
            _decision_row(store, exclusion_id, outcome, decided_on, note)
        )
        audit.record(
            store,
            "change",
            "permanent_exclusion",
            exclusion_id,
            f"outcome {outcome}",
            pupil_id=current.pupil_id,
        )
    return get_exclusion(store, exclusion_id)


@requires("casework")
def withdraw_exclusion(store: Store, exclusion_id: str, reason: str) -> None:
    withdraw_row(store, "permanent_exclusions", "permanent_exclusion", exclusion_id, reason)
