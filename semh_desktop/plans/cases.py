"""Cases: one episode of support for a pupil, from referral to closure.

A case holds the referral (date, route, who referred, reason), parent consent, the worker and
the plan (PSP or family plan, start date, length in weeks). Mid-point and final review dates
are computed from the start date and length and can be moved; a moved date is stored beside
the computed one, so moving it back is always possible. A pupil has at most one open case.
Closure (date, reason, sustainability plan) is recorded by the closure feature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.plans.plan_types import MAX_WEEKS, MIN_WEEKS, PlanType, Scale, plan_type
from semh_desktop.register import audit
from semh_desktop.register.access import requires

REFERRAL_ROUTES = {
    "school": "School",
    "hub": "Hub or panel",
    "parent": "Parent or carer",
    "self": "Pupil (self-referral)",
    "other": "Other",
}
STATUSES = {"open": "Open", "closed": "Closed"}
NETWORK_ROLES = (
    "Parent/carer",
    "Pupil",
    "Class teacher",
    "Form tutor",
    "Head of year",
    "SENCO",
    "Teaching assistant",
    "Learning mentor",
    "Worker",
    "Family practitioner",
    "CAMHS",
    "Social worker",
    "Educational psychologist",
    "Other",
)


def review_dates(start: dt.date, weeks: int) -> tuple[dt.date, dt.date]:
    """Mid-point and final review dates of a plan starting on `start` and lasting `weeks`.

    The final review falls exactly `weeks` weeks after the start; the mid-point after half of
    them, rounded down to whole weeks so that it stays on the meeting's weekday (9 weeks -> 4).
    """
    return start + dt.timedelta(weeks=weeks // 2), start + dt.timedelta(weeks=weeks)


def clean_line(text: str | None) -> str:
    return " ".join((text or "").split())


def clean_block(text: str | None) -> str:
    """Multi-line text: keep the line breaks, trim each line."""
    lines = [" ".join(line.split()) for line in (text or "").strip().splitlines()]
    return "\n".join(lines).strip()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def timestamp(store: Store) -> str:
    return store.clock.now().isoformat(timespec="seconds")


@dataclass
class CaseDetails:
    """Everything a person types when opening or editing a case (the plan dialog)."""

    referral_date: dt.date | None = None
    referral_route: str = "school"
    referred_by: str = ""
    reason: str = ""
    consent_date: dt.date | None = None
    consent_by: str = ""
    worker_id: str | None = None
    plan_type: str = "psp"
    start_date: dt.date | None = None
    length_weeks: int | None = None  # None: the plan type's default (PSP 8 weeks)


@dataclass(frozen=True)
class Case:
    id: str
    pupil_id: str
    details: CaseDetails
    mid_review_moved_to: dt.date | None
    final_review_moved_to: dt.date | None
    status: str
    created_at: str
    updated_at: str

    @property
    def plan(self) -> PlanType:
        return plan_type(self.details.plan_type)

    @property
    def scale(self) -> Scale:
        return self.plan.scale

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def start_date(self) -> dt.date:
        assert self.details.start_date is not None
        return self.details.start_date

    @property
    def length_weeks(self) -> int:
        return self.details.length_weeks or self.plan.default_weeks

    @property
    def computed_review_dates(self) -> tuple[dt.date, dt.date]:
        return review_dates(self.start_date, self.length_weeks)

    @property
    def mid_review(self) -> dt.date:
        return self.mid_review_moved_to or self.computed_review_dates[0]

    @property
    def final_review(self) -> dt.date:
        return self.final_review_moved_to or self.computed_review_dates[1]

    @property
    def consent_recorded(self) -> bool:
        return self.details.consent_date is not None

    @property
    def label(self) -> str:
        """One line naming the episode, e.g. 'PSP from 02/11/2026 (open)'."""
        return (
            f"{self.plan.short_label} from {format_date(self.details.start_date)} "
            f"({STATUSES[self.status].lower()})"
        )


def _consent_errors(details: CaseDetails, today: dt.date) -> dict[str, str]:
    """Consent is a date and who gave it, both or neither."""
    errors: dict[str, str] = {}
    if details.consent_date is not None:
        if details.consent_date > today:
            errors["consent_date"] = "The consent date cannot be in the future."
        if not clean_line(details.consent_by):
            errors["consent_by"] = "Enter who gave consent (for example the parent's name)."
    elif clean_line(details.consent_by):
        errors["consent_date"] = (
            "Enter the date consent was given, or leave both consent fields empty."
        )
    return errors


def validate(store: Store, details: CaseDetails) -> dict[str, str]:
    """Every problem at once, keyed by field, so a form shows each message beside its field."""
    errors: dict[str, str] = {}
    today = store.clock.today()
    if details.referral_date is None:
        errors["referral_date"] = "Enter the referral date as dd/mm/yyyy."
    elif details.referral_date > today:
        errors["referral_date"] = "The referral date cannot be in the future."
    if details.referral_route not in REFERRAL_ROUTES:
        errors["referral_route"] = "Choose how the pupil was referred."
    if not clean_line(details.referred_by):
        errors["referred_by"] = "Enter who referred the pupil (a name or a role)."
    if not clean_block(details.reason):
        errors["reason"] = "Enter the reason for the referral."
    errors.update(_consent_errors(details, today))
    if details.worker_id is not None:
        found = list(store.db.query("SELECT id FROM staff WHERE id = ?", [details.worker_id]))
        if not found:
            errors["worker_id"] = "Choose the worker from the staff list."
    try:
        kind = plan_type(details.plan_type)
    except ValidationError as exc:
        errors["plan_type"] = exc.message
        kind = None
    if details.start_date is None:
        errors["start_date"] = "Enter the date the plan starts as dd/mm/yyyy."
    elif details.referral_date is not None and details.start_date < details.referral_date:
        errors["start_date"] = "The plan cannot start before the referral date."
    weeks = (
        details.length_weeks
        if details.length_weeks is not None
        else (kind.default_weeks if kind else 8)
    )
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        errors["length_weeks"] = (
            f"A plan lasts from {MIN_WEEKS} to {MAX_WEEKS} weeks (usually 8, 12 or 16)."
        )
    return errors


def _raise_first(errors: dict[str, str]) -> None:
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)


def _row(details: CaseDetails) -> dict[str, Any]:
    kind = plan_type(details.plan_type)
    return {
        "referral_date": _iso(details.referral_date),
        "referral_route": details.referral_route,
        "referred_by": clean_line(details.referred_by),
        "reason": clean_block(details.reason),
        "consent_date": _iso(details.consent_date),
        "consent_by": clean_line(details.consent_by) or None,
        "worker_id": details.worker_id,
        "plan_type": details.plan_type,
        "start_date": _iso(details.start_date),
        "length_weeks": details.length_weeks or kind.default_weeks,
    }


def _from_row(row: dict[str, Any]) -> Case:
    details = CaseDetails(
        referral_date=_date(row["referral_date"]),
        referral_route=row["referral_route"],
        referred_by=row["referred_by"],
        reason=row["reason"],
        consent_date=_date(row["consent_date"]),
        consent_by=row["consent_by"] or "",
        worker_id=row["worker_id"],
        plan_type=row["plan_type"],
        start_date=_date(row["start_date"]),
        length_weeks=row["length_weeks"],
    )
    return Case(
        id=row["id"],
        pupil_id=row["pupil_id"],
        details=details,
        mid_review_moved_to=_date(row["mid_review_moved_to"]),
        final_review_moved_to=_date(row["final_review_moved_to"]),
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@requires("casework")
def open_case(store: Store, pupil_id: str, details: CaseDetails) -> Case:
    """Open an episode of support (referral and plan) for a pupil who has no open case."""
    pupil_rows = list(store.db.query("SELECT archived_at FROM pupils WHERE id = ?", [pupil_id]))
    if not pupil_rows:
        raise NotFound("That pupil is not in this database.")
    if pupil_rows[0]["archived_at"]:
        raise ValidationError("This pupil is archived; restore the record before opening a case.")
    if current_open_case(store, pupil_id) is not None:
        raise ValidationError(
            "This pupil already has an open case. Close it before opening another.",
            field="plan_type",
        )
    _raise_first(validate(store, details))
    now = timestamp(store)
    row = {
        "id": new_id(),
        "pupil_id": pupil_id,
        **_row(details),
        "status": "open",
        "created_at": now,
        "created_by": store.staff_id,
        "updated_at": now,
    }
    with store.atomic():
        store.db.table("cases").insert(row)
        audit.record(
            store,
            "create",
            "case",
            row["id"],
            f"plan type: {details.plan_type}",
            pupil_id=pupil_id,
        )
    return get_case(store, row["id"])


@requires("casework")
def update_case(store: Store, case_id: str, details: CaseDetails) -> Case:
    """Correct the referral or plan details. The plan type is fixed once anything is scored."""
    before = get_case(store, case_id)
    _raise_first(validate(store, details))
    new_row = _row(details)
    old_row = _row(before.details)
    changed = sorted(name for name, value in new_row.items() if old_row[name] != value)
    if not changed:
        return before
    if "plan_type" in changed:
        items = list(store.db.query("SELECT id FROM targets WHERE case_id = ? LIMIT 1", [case_id]))
        if items:
            raise ValidationError(
                f"The plan type cannot change once the plan has {before.plan.target_word_plural}; "
                "their scores belong to its scale.",
                field="plan_type",
            )
    with store.atomic():
        store.db.table("cases").update(
            case_id, {**{n: new_row[n] for n in changed}, "updated_at": timestamp(store)}
        )
        audit.record(
            store,
            "change",
            "case",
            case_id,
            "fields: " + ", ".join(changed),
            pupil_id=before.pupil_id,
        )
    return get_case(store, case_id)


@requires("casework")
def move_review_dates(
    store: Store, case_id: str, *, mid: dt.date | None, final: dt.date | None
) -> Case:
    """Move the mid-point and/or final review; None puts a date back to the computed one."""
    case = get_case(store, case_id)
    computed_mid, computed_final = case.computed_review_dates
    effective_mid = mid or computed_mid
    effective_final = final or computed_final
    if effective_mid < case.start_date:
        raise ValidationError(
            "The mid-point review cannot come before the plan starts.", field="mid_review"
        )
    if effective_final <= effective_mid:
        raise ValidationError(
            "The final review must come after the mid-point review.", field="final_review"
        )
    new = {
        "mid_review_moved_to": _iso(mid if mid != computed_mid else None),
        "final_review_moved_to": _iso(final if final != computed_final else None),
    }
    old = {
        "mid_review_moved_to": _iso(case.mid_review_moved_to),
        "final_review_moved_to": _iso(case.final_review_moved_to),
    }
    changed = sorted(name for name in new if new[name] != old[name])
    if not changed:
        return case
    with store.atomic():
        store.db.table("cases").update(case_id, {**new, "updated_at": timestamp(store)})
        audit.record(
            store,
            "change",
            "case",
            case_id,
            "fields: " + ", ".join(changed),
            pupil_id=case.pupil_id,
        )
    return get_case(store, case_id)


def get_case(store: Store, case_id: str) -> Case:
    rows = list(store.db.query("SELECT * FROM cases WHERE id = ?", [case_id]))
    if not rows:
        raise NotFound("That case is not in this database.")
    return _from_row(rows[0])


def pupil_of_case(store: Store, case_id: str) -> str | None:
    """The pupil a case belongs to: a write on one of the case's records names them."""
    rows = list(store.db.query("SELECT pupil_id FROM cases WHERE id = ?", [case_id]))
    return str(rows[0]["pupil_id"]) if rows else None


def cases_for_pupil(store: Store, pupil_id: str) -> list[Case]:
    """Every episode of support for the pupil, oldest first."""
    rows = store.db.query(
        "SELECT * FROM cases WHERE pupil_id = ? ORDER BY referral_date, created_at", [pupil_id]
    )
    return [_from_row(row) for row in rows]


def current_open_case(store: Store, pupil_id: str) -> Case | None:
    rows = list(
        store.db.query("SELECT * FROM cases WHERE pupil_id = ? AND status = 'open'", [pupil_id])
    )
    return _from_row(rows[0]) if rows else None


def current_case(store: Store, pupil_id: str) -> Case | None:
    """The open case, else the most recent one, else None."""
    found = current_open_case(store, pupil_id)
    if found is not None:
        return found
    history = cases_for_pupil(store, pupil_id)
    return history[-1] if history else None


def require_open(case: Case) -> None:
    if not case.is_open:
        raise ValidationError("This case is closed, so its plan can no longer be changed.")


# The network around the child ---------------------------------------------------------------


@dataclass(frozen=True)
class NetworkMember:
    id: str
    case_id: str
    role: str
    name: str
    note: str
    position: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})" if self.name else self.role


@requires("casework")
def add_network_member(
    store: Store, case_id: str, role: str, name: str = "", note: str = ""
) -> NetworkMember:
    case = get_case(store, case_id)
    require_open(case)
    if not clean_line(role):
        raise ValidationError(
            "Choose or type the person's role (for example Parent/carer).", field="role"
        )
    position = (
        int(
            next(
                iter(
                    store.db.query(
                        "SELECT coalesce(max(position), 0) AS top FROM case_network"
                        " WHERE case_id = ?",
                        [case_id],
                    )
                )
            )["top"]
        )
        + 1
    )
    member = NetworkMember(
        new_id(), case_id, clean_line(role), clean_line(name), clean_block(note), position
    )
    with store.atomic():
        store.db.table("case_network").insert(
            {
                "id": member.id,
                "case_id": case_id,
                "role": member.role,
                "name": member.name,
                "note": member.note,
                "position": position,
                "added_at": timestamp(store),
            }
        )
        audit.record(
            store,
            "create",
            "case_network",
            member.id,
            f"case {case_id}",
            pupil_id=case.pupil_id,
        )
    return member


@requires("casework")
def remove_network_member(store: Store, member_id: str) -> None:
    """Hide a person from the network; the row is kept (the plan's history names them)."""
    rows = list(store.db.query("SELECT case_id FROM case_network WHERE id = ?", [member_id]))
    if not rows:
        raise NotFound("That person is not in the network.")
    case = get_case(store, rows[0]["case_id"])
    require_open(case)
    with store.atomic():
        store.db.table("case_network").update(member_id, {"removed_at": timestamp(store)})
        audit.record(store, "archive", "case_network", member_id, pupil_id=case.pupil_id)


def network(store: Store, case_id: str) -> list[NetworkMember]:
    rows = store.db.query(
        "SELECT id, case_id, role, name, note, position FROM case_network "
        "WHERE case_id = ? AND removed_at IS NULL ORDER BY position",
        [case_id],
    )
    return [NetworkMember(**row) for row in rows]
