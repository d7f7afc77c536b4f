"""The Due list: what needs doing this week and next, and what is overdue.

Four kinds of item, for pupils not archived:
- a mid-point or final review of an open case (the moved date, else the computed one) that
  has not been held;
- a post-closure observation that has not been recorded, and a follow-up meeting not held;
- a sustainability action whose end date has passed and has not been looked at since.

"This week and next" runs from the Monday of the current week to the Sunday of the next
(today is read from the injected clock). Anything earlier and still not done is overdue and
stays on the list until it is done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from semh_desktop.core.dates import format_date
from semh_desktop.core.store import Store
from semh_desktop.plans.cases import review_dates
from semh_desktop.plans.plan_types import plan_type

KINDS = {
    "mid_review": "Mid-point review",
    "final_review": "Final review",
    "observation": "Observation",
    "follow_up": "Follow-up meeting",
    "action_ended": "Action ended",
}
STATUSES = {
    "overdue": "Overdue",
    "this_week": "This week",
    "next_week": "Next week",
    "ended": "End date passed",
}
STATUS_ORDER = {"overdue": 0, "ended": 1, "this_week": 2, "next_week": 3}

_NAME = (
    "coalesce(nullif(p.preferred_forename, ''), p.legal_forename) || ' ' || "
    "coalesce(nullif(p.preferred_surname, ''), p.legal_surname)"
)


@dataclass(frozen=True)
class DueItem:
    kind: str  # a key of KINDS
    due_on: dt.date
    status: str  # a key of STATUSES
    pupil_id: str
    pupil_name: str
    upn: str
    case_id: str
    record_id: str  # the case (reviews), follow-up (meetings, observations) or action
    what: str  # one line in plain words

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def overdue(self) -> bool:
        return self.status in ("overdue", "ended")

    @property
    def due_label(self) -> str:
        return format_date(self.due_on)


def window(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday of this week and Sunday of next week."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=13)


def _status(due_on: dt.date, today: dt.date) -> str:
    if due_on < today:
        return "overdue"
    monday, _ = window(today)
    return "this_week" if due_on <= monday + dt.timedelta(days=6) else "next_week"


def _reviews(store: Store, today: dt.date, end: dt.date) -> list[DueItem]:
    rows = store.db.query(
        f"SELECT c.id, c.pupil_id, c.plan_type, c.start_date, c.length_weeks, "
        f"c.mid_review_moved_to, c.final_review_moved_to, {_NAME} AS name, p.upn, "
        f"(SELECT group_concat(r.point) FROM case_reviews r WHERE r.case_id = c.id) AS held "
        f"FROM cases c JOIN pupils p ON p.id = c.pupil_id "
        f"WHERE c.status = 'open' AND p.archived_at IS NULL"
    )
    found = []
    for row in rows:
        held = set((row["held"] or "").split(","))
        mid, final = review_dates(
            dt.date.fromisoformat(row["start_date"]), int(row["length_weeks"])
        )
        if row["mid_review_moved_to"]:
            mid = dt.date.fromisoformat(row["mid_review_moved_to"])
        if row["final_review_moved_to"]:
            final = dt.date.fromisoformat(row["final_review_moved_to"])
        label = plan_type(row["plan_type"]).short_label
        for kind, point, day in (("mid_review", "mid", mid), ("final_review", "final", final)):
            if point in held or "final" in held or day > end:
                continue
            found.append(
                DueItem(
                    kind,
                    day,
                    _status(day, today),
                    row["pupil_id"],
                    row["name"],
                    row["upn"],
                    row["id"],
                    row["id"],
                    f"{KINDS[kind]} of the {label}",
                )
            )
    return found


def _follow_ups(store: Store, today: dt.date, end: dt.date) -> list[DueItem]:
    rows = store.db.query(
        f"SELECT f.id, f.case_id, f.number, f.scheduled_on, f.observation_on, f.observed_on, "
        f"c.pupil_id, {_NAME} AS name, p.upn "
        f"FROM follow_ups f JOIN cases c ON c.id = f.case_id JOIN pupils p ON p.id = c.pupil_id "
        f"WHERE f.held_on IS NULL AND p.archived_at IS NULL "
        f"AND (f.scheduled_on <= ? OR f.observation_on <= ?)",
        [end.isoformat(), end.isoformat()],
    )
    found = []
    for row in rows:
        meeting = dt.date.fromisoformat(row["scheduled_on"])
        observation = dt.date.fromisoformat(row["observation_on"])
        number = row["number"]
        if row["observed_on"] is None and observation <= end:
            found.append(
                DueItem(
                    "observation",
                    observation,
                    _status(observation, today),
                    row["pupil_id"],
                    row["name"],
                    row["upn"],
                    row["case_id"],
                    row["id"],
                    f"Observe the pupil before follow-up {number} (meeting {format_date(meeting)})",
                )
            )
        if meeting <= end:
            found.append(
                DueItem(
                    "follow_up",
                    meeting,
                    _status(meeting, today),
                    row["pupil_id"],
                    row["name"],
                    row["upn"],
                    row["case_id"],
                    row["id"],
                    f"Follow-up meeting {number} after closure",
                )
            )
    return found


def _ended_actions(store: Store, today: dt.date) -> list[DueItem]:
    rows = store.db.query(
        f"SELECT a.id, a.case_id, a.action, a.until_date, c.pupil_id, {_NAME} AS name, p.upn "
        f"FROM sustainability_actions a JOIN cases c ON c.id = a.case_id "
        f"JOIN pupils p ON p.id = c.pupil_id "
        f"WHERE a.removed_at IS NULL AND a.end_reviewed_on IS NULL AND a.until_date < ? "
        f"AND p.archived_at IS NULL",
        [today.isoformat()],
    )
    found = []
    for row in rows:
        action = " ".join(str(row["action"]).split())
        short = action if len(action) <= 60 else action[:59].rstrip() + "…"
        found.append(
            DueItem(
                "action_ended",
                dt.date.fromisoformat(row["until_date"]),
                "ended",
                row["pupil_id"],
                row["name"],
                row["upn"],
                row["case_id"],
                row["id"],
                f"Decide whether to continue: {short}",
            )
        )
    return found


def due_items(store: Store, today: dt.date | None = None) -> list[DueItem]:
    """Everything due this week and next, and everything overdue, earliest first."""
    day = today or store.clock.today()
    _, end = window(day)
    items = _reviews(store, day, end) + _follow_ups(store, day, end) + _ended_actions(store, day)
    return sorted(
        items,
        key=lambda i: (
            i.due_on,
            STATUS_ORDER[i.status],
            i.pupil_name.casefold(),
            list(KINDS).index(i.kind),
        ),
    )


def due_count(store: Store, today: dt.date | None = None) -> int:
    return len(due_items(store, today))
