"""Closing a case: the closing meeting, its reason, re-referral links and the pupil's history.

A case closes at a closing meeting once every target (or family goal) and every case aim has
a final score, so that progress (final - baseline) can be measured; the refusal names exactly
what is missing. The meeting records its date, who attended and the reason, and books the two
follow-up meetings (3 and 6 weeks later by default, see `sustainability`).

Re-referral: a new case is a re-referral when the pupil's previous case closed within the 12
months before the new referral date. "Within 12 months" means at most 365 days from the
closing date to the referral date (364 days: yes; 365: yes; 366: no). The link to the
previous case is kept by the database itself (triggers in db/0005), so every way of adding a
case links it, whichever module adds it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from semh_desktop.closure.sustainability import FollowUp, follow_ups_for_case, schedule_follow_ups
from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.plans.cases import (
    Case,
    cases_for_pupil,
    clean_block,
    clean_line,
    get_case,
    timestamp,
)
from semh_desktop.plans.progress import case_progress
from semh_desktop.register import audit
from semh_desktop.register.access import requires

CLOSURE_REASONS = {
    "stepped_down": "Outcomes achieved: stepped down to school",
    "stepped_up_csc": "Stepped up to Children's Social Care",
    "transferred": "Transferred to another team",
    "moved_away": "Moved out of the area",
    "disengaged": "Disengaged",
    "other": "Other",
}
RE_REFERRAL_DAYS = 365  # "within 12 months"; must match the triggers in db/0005
MAX_ATTENDEES = 1000


class CannotClose(ValidationError):
    """Closing refused because final scores are missing; `missing` lists them in words."""

    def __init__(self, missing: list[str]) -> None:
        lines = "\n".join(f"• {item}" for item in missing)
        super().__init__(
            "The case cannot be closed yet: record the final score of each of these first.\n"
            + lines,
            field="final_scores",
        )
        self.missing = missing


def _short(text: str, limit: int = 60) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def missing_final_scores(store: Store, case_id: str) -> list[str]:
    """Each target, goal or case aim without an agreed final score, in plain words."""
    missing = []
    for item in case_progress(store, case_id):
        if item.final is None:
            missing.append(f'{item.label} ({item.kind_label.lower()}): "{_short(item.text)}"')
    return missing


@dataclass
class ClosureDetails:
    """What the closing dialog (or a script) hands over."""

    closed_on: dt.date | None = None
    attendees: str = ""
    reason: str = ""
    reason_other: str = ""
    follow_ups: list[dt.date | None] = field(default_factory=list)  # None: the default date


def earliest_closing_date(store: Store, case: Case) -> dt.date:
    """Closing cannot come before the plan starts or before the final review was held."""
    rows = list(
        store.db.query("SELECT max(held_on) AS last FROM case_reviews WHERE case_id = ?", [case.id])
    )
    last = rows[0]["last"] if rows else None
    held = dt.date.fromisoformat(last) if last else case.start_date
    return max(case.start_date, held)


def check_closure(details: ClosureDetails, *, today: dt.date, earliest: dt.date) -> dict[str, str]:
    """Every problem with the closing-meeting fields at once, keyed by field (pure)."""
    errors: dict[str, str] = {}
    if details.closed_on is None:
        errors["closed_on"] = "Enter the date of the closing meeting as dd/mm/yyyy."
    elif details.closed_on > today:
        errors["closed_on"] = "The closing meeting date cannot be in the future."
    elif details.closed_on < earliest:
        errors["closed_on"] = (
            f"The closing meeting cannot be before {format_date(earliest)} "
            "(the plan's start or its last review)."
        )
    attendees = clean_block(details.attendees)
    if not attendees:
        errors["attendees"] = "Enter who attended the closing meeting."
    elif len(attendees) > MAX_ATTENDEES:
        errors["attendees"] = f"Keep the list of attendees under {MAX_ATTENDEES} characters."
    if details.reason not in CLOSURE_REASONS:
        errors["reason"] = "Choose the reason for closing the case."
    elif details.reason == "other" and not clean_line(details.reason_other):
        errors["reason_other"] = "Say in a few words why the case is closing."
    if details.closed_on is not None:
        for number, meeting in enumerate(details.follow_ups, start=1):
            if meeting is not None and meeting <= details.closed_on:
                errors[f"follow_up_{number}"] = (
                    f"Follow-up {number} must come after the closing meeting."
                )
        given = [d for d in details.follow_ups if d is not None]
        if len(given) == 2 and given[1] <= given[0] and "follow_up_2" not in errors:
            errors["follow_up_2"] = "The second follow-up comes after the first."
    return errors


@dataclass(frozen=True)
class Closure:
    case_id: str
    closed_on: dt.date
    attendees: str
    reason: str
    reason_other: str

    @property
    def reason_label(self) -> str:
        if self.reason == "other" and self.reason_other:
            return f"Other: {self.reason_other}"
        return CLOSURE_REASONS.get(self.reason, self.reason)


@requires("casework")
def close_case(store: Store, case_id: str, details: ClosureDetails) -> Closure:
    """Record the closing meeting, close the case and book its follow-ups, all or nothing."""
    case = get_case(store, case_id)
    if not case.is_open:
        raise ValidationError("This case is already closed.")
    missing = missing_final_scores(store, case_id)
    if missing:
        raise CannotClose(missing)
    errors = check_closure(
        details, today=store.clock.today(), earliest=earliest_closing_date(store, case)
    )
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)
    assert details.closed_on is not None
    with store.atomic():
        store.db.table("cases").update(
            case_id,
            {
                "status": "closed",
                "closed_on": details.closed_on.isoformat(),
                "closure_reason": details.reason,
                "closure_reason_other": (
                    clean_line(details.reason_other) if details.reason == "other" else None
                ),
                "closing_attendees": clean_block(details.attendees),
                "updated_at": timestamp(store),
            },
        )
        audit.record(
            store,
            "change",
            "case",
            case_id,
            "closed; fields: status, closed_on, closure_reason, closing_attendees",
            pupil_id=case.pupil_id,
        )
        schedule_follow_ups(store, case_id, details.closed_on, details.follow_ups)
    closure = get_closure(store, case_id)
    assert closure is not None
    return closure


def get_closure(store: Store, case_id: str) -> Closure | None:
    rows = list(
        store.db.query(
            "SELECT id, closed_on, closure_reason, closure_reason_other, closing_attendees "
            "FROM cases WHERE id = ?",
            [case_id],
        )
    )
    if not rows:
        raise NotFound("That case is not in this database.")
    row = rows[0]
    if not row["closed_on"]:
        return None
    return Closure(
        case_id,
        dt.date.fromisoformat(row["closed_on"]),
        row["closing_attendees"] or "",
        row["closure_reason"] or "",
        row["closure_reason_other"] or "",
    )


# Re-referral and the pupil's history --------------------------------------------------------


@dataclass(frozen=True)
class CaseHistoryEntry:
    """One episode of support in a pupil's history, oldest first."""

    case: Case
    closure: Closure | None
    previous_case_id: str | None
    is_re_referral: bool
    days_since_previous: int | None  # from the previous closure to this referral
    follow_ups: tuple[FollowUp, ...]

    @property
    def label(self) -> str:
        text = self.case.label
        if self.is_re_referral:
            text += f" · re-referral ({self.days_since_previous} days after the last closure)"
        return text


def is_re_referral(previous_closed_on: dt.date, referral_date: dt.date) -> bool:
    """The rule the database applies: at most 365 days from closure to the new referral."""
    return 0 <= (referral_date - previous_closed_on).days <= RE_REFERRAL_DAYS


def case_history(store: Store, pupil_id: str) -> list[CaseHistoryEntry]:
    """All the pupil's cases in referral order, with closures and re-referral links."""
    links = {
        row["id"]: row
        for row in store.db.query(
            "SELECT c.id, c.previous_case_id, c.is_re_referral, p.closed_on AS previous_closed_on "
            "FROM cases c LEFT JOIN cases p ON p.id = c.previous_case_id WHERE c.pupil_id = ?",
            [pupil_id],
        )
    }
    result = []
    for case in cases_for_pupil(store, pupil_id):
        link = links[case.id]
        days = None
        if link["previous_closed_on"] and case.details.referral_date:
            days = (
                case.details.referral_date - dt.date.fromisoformat(link["previous_closed_on"])
            ).days
        result.append(
            CaseHistoryEntry(
                case=case,
                closure=get_closure(store, case.id),
                previous_case_id=link["previous_case_id"],
                is_re_referral=bool(link["is_re_referral"]),
                days_since_previous=days,
                follow_ups=tuple(follow_ups_for_case(store, case.id)),
            )
        )
    return result


def latest_closed_case(store: Store, pupil_id: str) -> Case | None:
    rows = list(
        store.db.query(
            "SELECT id FROM cases WHERE pupil_id = ? AND status = 'closed' "
            "ORDER BY closed_on DESC, referral_date DESC LIMIT 1",
            [pupil_id],
        )
    )
    return get_case(store, rows[0]["id"]) if rows else None
