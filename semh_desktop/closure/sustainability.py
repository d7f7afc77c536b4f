"""The sustainability plan written at the closing meeting, and the follow-ups after closure.

The plan lists what school will keep doing (what, who, how often, until when, and the target
it sustains) and where the family can turn (signposting). Two follow-up meetings are booked
when the case closes, by default 3 and 6 weeks later, each preceded by an observation of the
pupil; both dates can be moved until the meeting is recorded. At a follow-up the observation
note, whether each action is still happening (yes / partly / no) and a short outcome are
recorded; from then on that meeting is history and cannot be changed.

Actions and signposting are a plan that staff keep up to date: an edit changes the row (the
audit trail names the fields), a removal hides the row but keeps it, because follow-ups that
checked the action point at it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.plans.cases import (
    Case,
    clean_block,
    clean_line,
    get_case,
    pupil_of_case,
    timestamp,
)
from semh_desktop.register import audit
from semh_desktop.register.access import requires

FOLLOW_UP_WEEKS = (3, 6)  # after the closing meeting
OBSERVATION_DAYS_BEFORE = 7  # the observation falls in the week before the meeting
ACTION_STATUSES = {"yes": "Yes, still happening", "partly": "Partly", "no": "No, stopped"}
ACTION_STATUS_SHORT = {"yes": "Yes", "partly": "Partly", "no": "No"}
MAX_LINE = 300
MAX_TEXT = 2000


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _raise_first(errors: dict[str, str]) -> None:
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)


def _next_position(store: Store, table: str, case_id: str) -> int:
    row = next(
        iter(
            store.db.query(
                f"SELECT coalesce(max(position), 0) AS top FROM {table} WHERE case_id = ?",
                [case_id],
            )
        )
    )
    return int(row["top"]) + 1


# Sustainability actions ---------------------------------------------------------------------


@dataclass
class ActionDetails:
    """What a person types for one action school will continue after closure."""

    action: str = ""
    who: str = ""
    how_often: str = ""
    until_date: dt.date | None = None
    target_id: str | None = None  # the target this action sustains, if any

    def validate(self) -> dict[str, str]:
        """Every problem at once, keyed by field (shown beside the field)."""
        errors: dict[str, str] = {}
        action = clean_block(self.action)
        if not action:
            errors["action"] = "Write what school will keep doing."
        elif len(action) > MAX_TEXT:
            errors["action"] = f"Keep the action under {MAX_TEXT} characters."
        if not clean_line(self.who):
            errors["who"] = "Enter who will do it (a name or a role)."
        elif len(clean_line(self.who)) > MAX_LINE:
            errors["who"] = f"Keep this under {MAX_LINE} characters."
        if not clean_line(self.how_often):
            errors["how_often"] = "Enter how often, for example 'Every morning' or 'Weekly'."
        elif len(clean_line(self.how_often)) > MAX_LINE:
            errors["how_often"] = f"Keep this under {MAX_LINE} characters."
        return errors

    def as_row(self) -> dict[str, Any]:
        return {
            "action": clean_block(self.action),
            "who": clean_line(self.who),
            "how_often": clean_line(self.how_often),
            "until_date": _iso(self.until_date),
            "target_id": self.target_id,
        }


@dataclass(frozen=True)
class SustainabilityAction:
    id: str
    case_id: str
    position: int
    details: ActionDetails
    end_reviewed_on: dt.date | None

    @property
    def until_label(self) -> str:
        return format_date(self.details.until_date) if self.details.until_date else "No end date"

    def ended_by(self, day: dt.date) -> bool:
        """The end date has passed (the day after `until` onwards)."""
        return self.details.until_date is not None and self.details.until_date < day


def _check_target(store: Store, case: Case, target_id: str | None) -> None:
    if target_id is None:
        return
    rows = list(
        store.db.query("SELECT 1 FROM targets WHERE id = ? AND case_id = ?", [target_id, case.id])
    )
    if not rows:
        raise ValidationError("Choose one of this plan's targets, or none.", field="target_id")


def _check_until(case: Case, until: dt.date | None) -> None:
    if until is not None and until < case.start_date:
        raise ValidationError("The end date cannot be before the plan started.", field="until_date")


@requires("casework")
def add_action(store: Store, case_id: str, details: ActionDetails) -> SustainabilityAction:
    """Add an action to the case's sustainability plan (drafted before or at closure)."""
    case = get_case(store, case_id)
    _raise_first(details.validate())
    _check_target(store, case, details.target_id)
    _check_until(case, details.until_date)
    action_id = new_id()
    now = timestamp(store)
    with store.atomic():
        store.db.table("sustainability_actions").insert(
            {
                "id": action_id,
                "case_id": case_id,
                "position": _next_position(store, "sustainability_actions", case_id),
                **details.as_row(),
                "end_reviewed_on": None,
                "created_at": now,
                "created_by": store.staff_id,
                "updated_at": now,
                "removed_at": None,
            }
        )
        audit.record(
            store,
            "create",
            "sustainability_action",
            action_id,
            f"case {case_id}",
            pupil_id=case.pupil_id,
        )
    return get_action(store, action_id)


@requires("casework")
def update_action(store: Store, action_id: str, details: ActionDetails) -> SustainabilityAction:
    """Change an action; a new end date also clears 'end reviewed' so it is watched again."""
    before = get_action(store, action_id)
    case = get_case(store, before.case_id)
    _raise_first(details.validate())
    _check_target(store, case, details.target_id)
    _check_until(case, details.until_date)
    new_row, old_row = details.as_row(), before.details.as_row()
    changed = sorted(name for name in new_row if new_row[name] != old_row[name])
    if not changed:
        return before
    update = {name: new_row[name] for name in changed}
    if "until_date" in changed:
        update["end_reviewed_on"] = None
    with store.atomic():
        store.db.table("sustainability_actions").update(
            action_id, {**update, "updated_at": timestamp(store)}
        )
        audit.record(
            store,
            "change",
            "sustainability_action",
            action_id,
            "fields: " + ", ".join(changed),
            pupil_id=case.pupil_id,
        )
    return get_action(store, action_id)


@requires("casework")
def mark_end_reviewed(store: Store, action_id: str) -> SustainabilityAction:
    """The passed end date has been looked at (the action stays ended): off the Due list."""
    action = get_action(store, action_id)
    with store.atomic():
        store.db.table("sustainability_actions").update(
            action_id,
            {"end_reviewed_on": store.clock.today().isoformat(), "updated_at": timestamp(store)},
        )
        audit.record(
            store,
            "change",
            "sustainability_action",
            action.id,
            "fields: end_reviewed_on",
            pupil_id=pupil_of_case(store, action.case_id),
        )
    return get_action(store, action_id)


@requires("casework")
def remove_action(store: Store, action_id: str) -> None:
    """Take an action off the plan; the row is kept (follow-ups may have checked it)."""
    action = get_action(store, action_id)
    with store.atomic():
        store.db.table("sustainability_actions").update(
            action.id, {"removed_at": timestamp(store), "updated_at": timestamp(store)}
        )
        audit.record(
            store,
            "archive",
            "sustainability_action",
            action.id,
            pupil_id=pupil_of_case(store, action.case_id),
        )


def _action(row: dict[str, Any]) -> SustainabilityAction:
    return SustainabilityAction(
        id=row["id"],
        case_id=row["case_id"],
        position=row["position"],
        details=ActionDetails(
            row["action"], row["who"], row["how_often"], _date(row["until_date"]), row["target_id"]
        ),
        end_reviewed_on=_date(row["end_reviewed_on"]),
    )


def get_action(store: Store, action_id: str) -> SustainabilityAction:
    rows = list(store.db.query("SELECT * FROM sustainability_actions WHERE id = ?", [action_id]))
    if not rows:
        raise NotFound("That sustainability action is not in this database.")
    return _action(rows[0])


def actions_for_case(store: Store, case_id: str) -> list[SustainabilityAction]:
    rows = store.db.query(
        "SELECT * FROM sustainability_actions WHERE case_id = ? AND removed_at IS NULL "
        "ORDER BY position",
        [case_id],
    )
    return [_action(row) for row in rows]


# Signposting --------------------------------------------------------------------------------


@dataclass
class SignpostDetails:
    service: str = ""
    contact: str = ""
    note: str = ""

    def validate(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not clean_line(self.service):
            errors["service"] = "Enter the name of the service."
        elif len(clean_line(self.service)) > MAX_LINE:
            errors["service"] = f"Keep the name under {MAX_LINE} characters."
        if len(clean_line(self.contact)) > MAX_LINE:
            errors["contact"] = f"Keep the contact under {MAX_LINE} characters."
        if len(clean_block(self.note)) > MAX_TEXT:
            errors["note"] = f"Keep the note under {MAX_TEXT} characters."
        return errors

    def as_row(self) -> dict[str, str]:
        return {
            "service": clean_line(self.service),
            "contact": clean_line(self.contact),
            "note": clean_block(self.note),
        }


@dataclass(frozen=True)
class Signpost:
    id: str
    case_id: str
    position: int
    details: SignpostDetails


@requires("casework")
def add_signpost(store: Store, case_id: str, details: SignpostDetails) -> Signpost:
    get_case(store, case_id)
    _raise_first(details.validate())
    signpost_id = new_id()
    now = timestamp(store)
    with store.atomic():
        store.db.table("signposting").insert(
            {
                "id": signpost_id,
                "case_id": case_id,
                "position": _next_position(store, "signposting", case_id),
                **details.as_row(),
                "created_at": now,
                "created_by": store.staff_id,
                "updated_at": now,
                "removed_at": None,
            }
        )
        audit.record(
            store,
            "create",
            "signposting",
            signpost_id,
            f"case {case_id}",
            pupil_id=pupil_of_case(store, case_id),
        )
    return get_signpost(store, signpost_id)


@requires("casework")
def update_signpost(store: Store, signpost_id: str, details: SignpostDetails) -> Signpost:
    before = get_signpost(store, signpost_id)
    _raise_first(details.validate())
    new_row, old_row = details.as_row(), before.details.as_row()
    changed = sorted(name for name in new_row if new_row[name] != old_row[name])
    if not changed:
        return before
    with store.atomic():
        store.db.table("signposting").update(
            signpost_id, {**{n: new_row[n] for n in changed}, "updated_at": timestamp(store)}
        )
        audit.record(
            store,
            "change",
            "signposting",
            signpost_id,
            "fields: " + ", ".join(changed),
            pupil_id=pupil_of_case(store, before.case_id),
        )
    return get_signpost(store, signpost_id)


@requires("casework")
def remove_signpost(store: Store, signpost_id: str) -> None:
    signpost = get_signpost(store, signpost_id)
    with store.atomic():
        store.db.table("signposting").update(
            signpost_id, {"removed_at": timestamp(store), "updated_at": timestamp(store)}
        )
        audit.record(
            store,
            "archive",
            "signposting",
            signpost_id,
            pupil_id=pupil_of_case(store, signpost.case_id),
        )


def _signpost(row: dict[str, Any]) -> Signpost:
    return Signpost(
        row["id"],
        row["case_id"],
        row["position"],
        SignpostDetails(row["service"], row["contact"], row["note"]),
    )


def get_signpost(store: Store, signpost_id: str) -> Signpost:
    rows = list(store.db.query("SELECT * FROM signposting WHERE id = ?", [signpost_id]))
    if not rows:
        raise NotFound("That signposting entry is not in this database.")
    return _signpost(rows[0])


def signposts_for_case(store: Store, case_id: str) -> list[Signpost]:
    rows = store.db.query(
        "SELECT * FROM signposting WHERE case_id = ? AND removed_at IS NULL ORDER BY position",
        [case_id],
    )
    return [_signpost(row) for row in rows]


# Follow-up meetings -------------------------------------------------------------------------


def default_observation(meeting: dt.date, closed_on: dt.date) -> dt.date:
    """The week before the meeting, but never before the closing meeting."""
    return max(meeting - dt.timedelta(days=OBSERVATION_DAYS_BEFORE), closed_on)


def default_follow_up_dates(closed_on: dt.date) -> list[dt.date]:
    """The follow-up meetings: 3 and 6 weeks after the closing meeting."""
    return [closed_on + dt.timedelta(weeks=weeks) for weeks in FOLLOW_UP_WEEKS]


def check_follow_up_dates(
    closed_on: dt.date,
    meeting: dt.date | None,
    observation: dt.date | None,
    *,
    field_prefix: str = "",
) -> dict[str, str]:
    """A follow-up comes after closure, and its observation between closure and the meeting."""
    errors: dict[str, str] = {}
    if meeting is None:
        errors[f"{field_prefix}scheduled_on"] = "Enter the follow-up date as dd/mm/yyyy."
        return errors
    if meeting <= closed_on:
        errors[f"{field_prefix}scheduled_on"] = (
            f"A follow-up meeting comes after the closing meeting ({format_date(closed_on)})."
        )
    if observation is not None:
        if observation < closed_on:
            errors[f"{field_prefix}observation_on"] = (
                "The observation cannot be before the closing meeting."
            )
        elif observation > meeting:
            errors[f"{field_prefix}observation_on"] = (
                "The observation comes before the follow-up meeting, not after it."
            )
    return errors


@dataclass(frozen=True)
class ActionCheck:
    action_id: str
    status: str
    note: str

    @property
    def status_label(self) -> str:
        return ACTION_STATUS_SHORT[self.status]


@dataclass(frozen=True)
class FollowUp:
    id: str
    case_id: str
    number: int
    scheduled_on: dt.date
    observation_on: dt.date
    observed_on: dt.date | None
    observation_note: str
    held_on: dt.date | None
    outcome: str
    checks: tuple[ActionCheck, ...] = ()

    @property
    def held(self) -> bool:
        return self.held_on is not None

    @property
    def label(self) -> str:
        return f"Follow-up {self.number}"

    def check_for(self, action_id: str) -> ActionCheck | None:
        return next((c for c in self.checks if c.action_id == action_id), None)


@requires("casework")
def schedule_follow_ups(
    store: Store,
    case_id: str,
    closed_on: dt.date,
    meetings: list[dt.date | None] | None = None,
) -> list[FollowUp]:
    """Book the follow-ups of a case being closed (called inside `closure.close_case`)."""
    wanted = list(meetings or [])
    defaults = default_follow_up_dates(closed_on)
    wanted += [None] * (len(defaults) - len(wanted))
    now = timestamp(store)
    ids = []
    for number, (meeting, default) in enumerate(zip(wanted, defaults, strict=True), start=1):
        day = meeting or default
        _raise_first(
            check_follow_up_dates(closed_on, day, None, field_prefix=f"follow_up_{number}_")
        )
        follow_up_id = new_id()
        ids.append(follow_up_id)
        store.db.table("follow_ups").insert(
            {
                "id": follow_up_id,
                "case_id": case_id,
                "number": number,
                "scheduled_on": day.isoformat(),
                "observation_on": default_observation(day, closed_on).isoformat(),
                "observed_on": None,
                "observation_note": None,
                "held_on": None,
                "outcome": None,
                "completed_at": None,
                "completed_by": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        audit.record(
            store,
            "create",
            "follow_up",
            follow_up_id,
            f"case {case_id}; follow-up {number}",
            pupil_id=pupil_of_case(store, case_id),
        )
    return [get_follow_up(store, follow_up_id) for follow_up_id in ids]


def _closed_on(case: Case, store: Store) -> dt.date:
    rows = list(store.db.query("SELECT closed_on FROM cases WHERE id = ?", [case.id]))
    value = _date(rows[0]["closed_on"]) if rows else None
    if value is None:
        raise ValidationError("Follow-ups belong to a closed case; close the case first.")
    return value


@requires("casework")
def move_follow_up(
    store: Store,
    follow_up_id: str,
    *,
    scheduled_on: dt.date,
    observation_on: dt.date | None,
) -> FollowUp:
    """Move a follow-up meeting (and its observation) that has not been held yet."""
    before = get_follow_up(store, follow_up_id)
    if before.held:
        raise ValidationError("This follow-up meeting has been recorded, so it cannot be moved.")
    closed_on = _closed_on(get_case(store, before.case_id), store)
    observation = observation_on or default_observation(scheduled_on, closed_on)
    _raise_first(check_follow_up_dates(closed_on, scheduled_on, observation))
    new = {"scheduled_on": scheduled_on.isoformat(), "observation_on": observation.isoformat()}
    old = {
        "scheduled_on": before.scheduled_on.isoformat(),
        "observation_on": before.observation_on.isoformat(),
    }
    changed = sorted(name for name in new if new[name] != old[name])
    if not changed:
        return before
    with store.atomic():
        store.db.table("follow_ups").update(follow_up_id, {**new, "updated_at": timestamp(store)})
        audit.record(
            store,
            "change",
            "follow_up",
            follow_up_id,
            "fields: " + ", ".join(changed),
            pupil_id=pupil_of_case(store, before.case_id),
        )
    return get_follow_up(store, follow_up_id)


@requires("casework")
def record_observation(
    store: Store,
    follow_up_id: str,
    observed_on: dt.date | None,
    note: str,
) -> FollowUp:
    """The observation of the pupil before a follow-up (also possible at the meeting)."""
    before = get_follow_up(store, follow_up_id)
    if before.held:
        raise ValidationError("This follow-up meeting has been recorded, so it cannot change.")
    closed_on = _closed_on(get_case(store, before.case_id), store)
    errors = _check_observation(store, closed_on, observed_on, note)
    _raise_first(errors)
    assert observed_on is not None
    with store.atomic():
        store.db.table("follow_ups").update(
            follow_up_id,
            {
                "observed_on": observed_on.isoformat(),
                "observation_note": clean_block(note),
                "updated_at": timestamp(store),
            },
        )
        audit.record(
            store,
            "change",
            "follow_up",
            follow_up_id,
            "fields: observed_on, observation_note",
            pupil_id=pupil_of_case(store, before.case_id),
        )
    return get_follow_up(store, follow_up_id)


def _check_observation(
    store: Store, closed_on: dt.date, observed_on: dt.date | None, note: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if observed_on is None:
        errors["observed_on"] = "Enter the date of the observation as dd/mm/yyyy."
    elif observed_on > store.clock.today():
        errors["observed_on"] = "The observation date cannot be in the future."
    elif observed_on < closed_on:
        errors["observed_on"] = "The observation cannot be before the closing meeting."
    if not clean_block(note):
        errors["observation_note"] = "Write what was seen in the observation."
    elif len(clean_block(note)) > MAX_TEXT:
        errors["observation_note"] = f"Keep the note under {MAX_TEXT} characters."
    return errors


@dataclass
class FollowUpResult:
    """What a follow-up meeting records (the follow-up dialog hands this over)."""

    held_on: dt.date | None = None
    observed_on: dt.date | None = None  # None: keep the observation already recorded
    observation_note: str = ""
    checks: dict[str, str] = field(default_factory=dict)  # action id -> yes / partly / no
    check_notes: dict[str, str] = field(default_factory=dict)  # action id -> a few words
    outcome: str = ""


def check_result(
    result: FollowUpResult,
    *,
    closed_on: dt.date,
    today: dt.date,
    action_ids: list[str],
    observation_recorded: bool,
) -> dict[str, str]:
    """Every problem with a follow-up result at once, keyed by field (pure: dialogs use it)."""
    errors: dict[str, str] = {}
    if result.held_on is None:
        errors["held_on"] = "Enter the date of the follow-up meeting as dd/mm/yyyy."
    elif result.held_on > today:
        errors["held_on"] = "The meeting date cannot be in the future."
    elif result.held_on <= closed_on:
        errors["held_on"] = (
            f"A follow-up comes after the closing meeting ({format_date(closed_on)})."
        )
    if not observation_recorded or clean_block(result.observation_note):
        if not clean_block(result.observation_note):
            errors["observation_note"] = "Write what was seen when the pupil was observed."
        elif len(clean_block(result.observation_note)) > MAX_TEXT:
            errors["observation_note"] = f"Keep the note under {MAX_TEXT} characters."
        observed = result.observed_on or result.held_on
        if observed is not None and result.held_on is not None and observed > result.held_on:
            errors["observed_on"] = "The observation comes before the meeting, not after it."
        elif observed is not None and observed < closed_on:
            errors["observed_on"] = "The observation cannot be before the closing meeting."
    missing = [a for a in action_ids if result.checks.get(a) not in ACTION_STATUSES]
    if missing:
        errors["checks"] = (
            f"Say whether each action is still happening (yes, partly or no); "
            f"{len(missing)} not answered."
        )
    unknown = [a for a in result.checks if a not in action_ids]
    if unknown:
        errors["checks"] = "An answer is given for an action that is not in this plan."
    outcome = clean_block(result.outcome)
    if not outcome:
        errors["outcome"] = "Write a short outcome of the meeting."
    elif len(outcome) > MAX_TEXT:
        errors["outcome"] = f"Keep the outcome under {MAX_TEXT} characters."
    return errors


@requires("casework")
def complete_follow_up(store: Store, follow_up_id: str, result: FollowUpResult) -> FollowUp:
    """Record a follow-up meeting: observation, each action's status, outcome; then history."""
    before = get_follow_up(store, follow_up_id)
    if before.held:
        raise ValidationError("This follow-up meeting has already been recorded.")
    closed_on = _closed_on(get_case(store, before.case_id), store)
    action_ids = [a.id for a in actions_for_case(store, before.case_id)]
    recorded = before.observed_on is not None
    _raise_first(
        check_result(
            result,
            closed_on=closed_on,
            today=store.clock.today(),
            action_ids=action_ids,
            observation_recorded=recorded,
        )
    )
    assert result.held_on is not None
    now = timestamp(store)
    row: dict[str, Any] = {
        "held_on": result.held_on.isoformat(),
        "outcome": clean_block(result.outcome),
        "completed_at": now,
        "completed_by": store.staff_id,
        "updated_at": now,
    }
    if clean_block(result.observation_note):
        row["observation_note"] = clean_block(result.observation_note)
        observed = result.observed_on or before.observed_on or result.held_on
        row["observed_on"] = observed.isoformat()
    with store.atomic():
        for action_id in action_ids:
            store.db.table("follow_up_action_checks").insert(
                {
                    "id": new_id(),
                    "follow_up_id": follow_up_id,
                    "action_id": action_id,
                    "status": result.checks[action_id],
                    "note": clean_line(result.check_notes.get(action_id, "")),
                    "recorded_at": now,
                }
            )
        store.db.table("follow_ups").update(follow_up_id, row)
        audit.record(
            store,
            "change",
            "follow_up",
            follow_up_id,
            f"held; actions checked: {len(action_ids)}; fields: "
            + ", ".join(sorted(k for k in row if k not in ("updated_at",))),
            pupil_id=pupil_of_case(store, before.case_id),
        )
    return get_follow_up(store, follow_up_id)


def _checks(store: Store, follow_up_id: str) -> tuple[ActionCheck, ...]:
    rows = store.db.query(
        "SELECT c.action_id, c.status, c.note FROM follow_up_action_checks c "
        "JOIN sustainability_actions a ON a.id = c.action_id "
        "WHERE c.follow_up_id = ? ORDER BY a.position",
        [follow_up_id],
    )
    return tuple(ActionCheck(**row) for row in rows)


def _follow_up(store: Store, row: dict[str, Any]) -> FollowUp:
    scheduled = _date(row["scheduled_on"])
    observation = _date(row["observation_on"])
    assert scheduled is not None and observation is not None
    return FollowUp(
        id=row["id"],
        case_id=row["case_id"],
        number=row["number"],
        scheduled_on=scheduled,
        observation_on=observation,
        observed_on=_date(row["observed_on"]),
        observation_note=row["observation_note"] or "",
        held_on=_date(row["held_on"]),
        outcome=row["outcome"] or "",
        checks=_checks(store, row["id"]),
    )


def get_follow_up(store: Store, follow_up_id: str) -> FollowUp:
    rows = list(store.db.query("SELECT * FROM follow_ups WHERE id = ?", [follow_up_id]))
    if not rows:
        raise NotFound("That follow-up meeting is not in this database.")
    return _follow_up(store, rows[0])


def follow_ups_for_case(store: Store, case_id: str) -> list[FollowUp]:
    rows = store.db.query("SELECT * FROM follow_ups WHERE case_id = ? ORDER BY number", [case_id])
    return [_follow_up(store, row) for row in rows]
