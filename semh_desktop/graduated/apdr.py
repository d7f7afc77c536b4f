"""Assess, plan, do, review (APDR) cycles: the graduated approach's unit of evidence.

A cycle has a date for each stage, notes for each, and the outcome agreed at review. A cycle
counts as reviewed once its review has happened and an outcome is recorded; authorities
usually ask for two or more reviewed cycles before a request for an EHC needs assessment.
Each save of a cycle appends a revision, so earlier versions of the notes stay on record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.register import audit, pupils
from semh_desktop.register.access import requires

STAGES = (("assess", "Assess"), ("plan", "Plan"), ("do", "Do"), ("review", "Review"))
REVIEWED_CYCLES_FOR_EHC_REQUEST = 2
MAX_NOTES = 4000


@dataclass(frozen=True)
class ApdrDetails:
    """What a person enters for a cycle (the add/edit dialog)."""

    assess_on: dt.date | None = None
    plan_on: dt.date | None = None
    do_on: dt.date | None = None
    review_on: dt.date | None = None
    assess_notes: str = ""
    plan_notes: str = ""
    do_notes: str = ""
    review_notes: str = ""
    outcome: str = ""

    def date_of(self, stage: str) -> dt.date | None:
        value: dt.date | None = getattr(self, f"{stage}_on")
        return value

    def notes_of(self, stage: str) -> str:
        value: str = getattr(self, f"{stage}_notes")
        return value


@dataclass(frozen=True)
class ApdrCycle:
    id: str
    pupil_id: str
    details: ApdrDetails
    created_at: str
    updated_at: str
    revisions: int

    @property
    def reviewed(self) -> bool:
        return self.details.review_on is not None and bool(self.details.outcome.strip())

    @property
    def stage(self) -> str:
        """The furthest stage reached, in words."""
        if self.reviewed:
            return "Reviewed"
        reached = [label for name, label in STAGES if self.details.date_of(name) is not None]
        if self.details.review_on is not None:
            return "Awaiting review"
        return reached[-1] if reached else "Not started"

    @property
    def started_on(self) -> dt.date | None:
        return self.details.assess_on


def check_details(details: ApdrDetails, today: dt.date) -> dict[str, str]:
    """Every problem with a cycle's details, by field name (empty when it can be saved)."""
    errors: dict[str, str] = {}
    if details.assess_on is None:
        errors["assess_on"] = "Enter the date the assessment started as dd/mm/yyyy."
    elif details.assess_on > today:
        errors["assess_on"] = "The assessment date cannot be in the future."
    previous: tuple[str, dt.date] | None = None
    for name, label in STAGES:
        day = details.date_of(name)
        if day is None:
            continue
        if previous is not None and day < previous[1]:
            errors.setdefault(
                f"{name}_on",
                f"The {label.lower()} date cannot be before the {previous[0].lower()} date.",
            )
        previous = (label, day)
    for later, earlier in (("plan", "assess"), ("do", "plan"), ("review", "do")):
        if details.date_of(later) is not None and details.date_of(earlier) is None:
            errors.setdefault(f"{earlier}_on", f"Enter the {earlier} date before the {later} date.")
    if details.outcome.strip():
        if details.review_on is None:
            errors.setdefault("review_on", "Enter the review date to record an outcome.")
        elif details.review_on > today:
            errors.setdefault("outcome", "The outcome is recorded once the review has happened.")
    for name, _ in STAGES:
        if len(details.notes_of(name)) > MAX_NOTES:
            errors[f"{name}_notes"] = f"Keep notes to {MAX_NOTES} characters or fewer."
    if len(details.outcome) > MAX_NOTES:
        errors["outcome"] = f"Keep the outcome to {MAX_NOTES} characters or fewer."
    return errors


def _clean(details: ApdrDetails) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for f in fields(details):
        value = getattr(details, f.name)
        if isinstance(value, dt.date):
            row[f.name] = value.isoformat()
        elif isinstance(value, str):
            row[f.name] = value.strip()
        else:
            row[f.name] = value
    return row


def _validate(store: Store, details: ApdrDetails) -> None:
    errors = check_details(details, store.clock.today())
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)


def _insert_revision(store: Store, cycle_id: str, details: ApdrDetails) -> None:
    store.db.table("apdr_cycle_revisions").insert(
        {
            "id": new_id(),
            "cycle_id": cycle_id,
            **_clean(details),
            "recorded_by": store.staff_id,
            "recorded_at": store.clock.now().isoformat(timespec="seconds"),
        }
    )


@requires("casework")
def add_cycle(store: Store, pupil_id: str, details: ApdrDetails) -> ApdrCycle:
    pupils.get_pupil(store, pupil_id)
    _validate(store, details)
    cycle_id = new_id()
    with store.atomic():
        store.db.table("apdr_cycles").insert(
            {
                "id": cycle_id,
                "pupil_id": pupil_id,
                "created_at": store.clock.now().isoformat(timespec="seconds"),
                "created_by": store.staff_id,
            }
        )
        _insert_revision(store, cycle_id, details)
        filled = [name for name, value in _clean(details).items() if value]
        audit.record(
            store,
            "create",
            "apdr_cycle",
            cycle_id,
            f"pupil {pupil_id}: " + ", ".join(filled),
            pupil_id=pupil_id,
        )
    return get_cycle(store, cycle_id)


@requires("casework")
def update_cycle(store: Store, cycle_id: str, details: ApdrDetails) -> ApdrCycle:
    """Save a new revision of a cycle (nothing is stored if nothing changed)."""
    before = get_cycle(store, cycle_id)
    _validate(store, details)
    old, new = _clean(before.details), _clean(details)
    changed = [name for name in new if old[name] != new[name]]
    if not changed:
        return before
    with store.atomic():
        _insert_revision(store, cycle_id, details)
        audit.record(
            store,
            "change",
            "apdr_cycle",
            cycle_id,
            f"pupil {before.pupil_id}: " + ", ".join(changed),
            pupil_id=before.pupil_id,
        )
    return get_cycle(store, cycle_id)


_CYCLE_QUERY = """
SELECT c.id, c.pupil_id, c.created_at, r.recorded_at AS updated_at, r.assess_on, r.plan_on,
       r.do_on, r.review_on, r.assess_notes, r.plan_notes, r.do_notes, r.review_notes, r.outcome,
       (SELECT count(*) FROM apdr_cycle_revisions WHERE cycle_id = c.id) AS revisions
FROM apdr_cycles c
JOIN apdr_cycle_revisions r ON r.seq = (
    SELECT max(seq) FROM apdr_cycle_revisions WHERE cycle_id = c.id)
"""


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _cycle(row: dict[str, Any]) -> ApdrCycle:
    details = ApdrDetails(
        assess_on=_date(row["assess_on"]),
        plan_on=_date(row["plan_on"]),
        do_on=_date(row["do_on"]),
        review_on=_date(row["review_on"]),
        assess_notes=row["assess_notes"],
        plan_notes=row["plan_notes"],
        do_notes=row["do_notes"],
        review_notes=row["review_notes"],
        outcome=row["outcome"],
    )
    return ApdrCycle(
        row["id"], row["pupil_id"], details, row["created_at"], row["updated_at"], row["revisions"]
    )


def get_cycle(store: Store, cycle_id: str) -> ApdrCycle:
    rows = list(store.db.query(_CYCLE_QUERY + " WHERE c.id = ?", [cycle_id]))
    if not rows:
        raise NotFound("That APDR cycle is not in this database.")
    return _cycle(rows[0])


def cycles(store: Store, pupil_id: str) -> list[ApdrCycle]:
    """A pupil's cycles in the order they started."""
    rows = store.db.query(
        _CYCLE_QUERY + " WHERE c.pupil_id = ? ORDER BY r.assess_on, c.created_at, c.id",
        [pupil_id],
    )
    return [_cycle(row) for row in rows]


def cycle_history(store: Store, cycle_id: str) -> list[ApdrDetails]:
    """Every saved revision of a cycle, oldest first."""
    rows = store.db.query(
        "SELECT assess_on, plan_on, do_on, review_on, assess_notes, plan_notes, do_notes, "
        "review_notes, outcome FROM apdr_cycle_revisions WHERE cycle_id = ? ORDER BY seq",
        [cycle_id],
    )
    return [
        ApdrDetails(
            assess_on=_date(row["assess_on"]),
            plan_on=_date(row["plan_on"]),
            do_on=_date(row["do_on"]),
            review_on=_date(row["review_on"]),
            assess_notes=row["assess_notes"],
            plan_notes=row["plan_notes"],
            do_notes=row["do_notes"],
            review_notes=row["review_notes"],
            outcome=row["outcome"],
        )
        for row in rows
    ]


def reviewed_count(found: Iterable[ApdrCycle]) -> int:
    return sum(1 for cycle in found if cycle.reviewed)


def reviewed_summary(count: int) -> str:
    """The count of reviewed cycles in words, against what authorities usually ask for."""
    needed = REVIEWED_CYCLES_FOR_EHC_REQUEST
    noun = "reviewed cycle" if count == 1 else "reviewed cycles"
    if count >= needed:
        return f"{count} {noun} — enough for an EHC needs assessment request"
    if count == 0:
        return (
            f"No reviewed cycles yet — authorities usually ask for {needed} before an EHC "
            "needs assessment request"
        )
    return (
        f"{count} {noun} — authorities usually ask for {needed} before an EHC needs "
        "assessment request"
    )
