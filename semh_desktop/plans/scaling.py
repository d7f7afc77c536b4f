"""Scoring points and independent scaling.

At each scoring point (baseline, mid-point review, final review, or an extra review) the
people in the room may each give their own score for a target or aim before the agreed score
is recorded, so that nobody simply follows the first score. The spread of their scores is
shown, and a gap of three points or more is flagged as disagreement. Only the agreed score
counts in measures; every score is kept. Scores are appended: entering a scoring point again
adds new rows, and the latest agreed score for an item at a point is the one that counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from semh_desktop.core import changes
from semh_desktop.core.changes import Changes
from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.plans.cases import (
    Case,
    clean_block,
    clean_line,
    get_case,
    require_open,
    timestamp,
)
from semh_desktop.plans.plan_types import AIM_SCALE, Scale
from semh_desktop.plans.targets import TargetWording, edit_target
from semh_desktop.register import audit
from semh_desktop.register.access import requires

POINTS = {
    "baseline": "Baseline",
    "mid": "Mid-point review",
    "final": "Final review",
    "extra": "Extra review",
}
PERSON_ROLES = {
    "pupil": "Pupil",
    "parent_carer": "Parent/carer",
    "class_teacher": "Class teacher",
    "worker": "Worker",
    "senco": "SENCO",
    "form_tutor": "Form tutor",
    "teaching_assistant": "Teaching assistant",
    "other_professional": "Other professional",
    "other": "Other",
}
DISAGREEMENT_POINTS = 3  # a spread this wide or wider is flagged


@dataclass(frozen=True)
class ScoringPoint:
    """Baseline, mid, final, or extra review N (number 0 for the first three)."""

    point: str
    number: int = 0

    def __post_init__(self) -> None:
        if self.point not in POINTS:
            raise ValidationError(
                "Choose the scoring point: baseline, mid-point, final or an extra review.",
                field="point",
            )
        if self.number < 0 or (self.point != "extra" and self.number):
            raise ValidationError("Only extra reviews are numbered.", field="point")

    @property
    def label(self) -> str:
        if self.point == "extra" and self.number:
            return f"Extra review {self.number}"
        return POINTS[self.point]

    @property
    def is_baseline(self) -> bool:
        return self.point == "baseline"


BASELINE = ScoringPoint("baseline")
MID = ScoringPoint("mid")
FINAL = ScoringPoint("final")


def extra(number: int = 0) -> ScoringPoint:
    """Extra review `number`; 0 means 'the next one' when recorded."""
    return ScoringPoint("extra", number)


@dataclass(frozen=True)
class Person:
    """Someone present at a scoring point: a role and, optionally, a name."""

    role: str
    name: str = ""

    @property
    def role_label(self) -> str:
        return PERSON_ROLES.get(self.role, self.role)

    @property
    def label(self) -> str:
        return f"{self.role_label} ({self.name})" if self.name else self.role_label


@dataclass
class ItemScoring:
    """The scores for one target or aim at a scoring point."""

    target_id: str | None = None
    aim_id: str | None = None
    agreed: int | None = None
    independent: dict[int, int] = field(default_factory=dict)  # index in people -> score
    note: str = ""
    adjusted: TargetWording | None = None  # new wording agreed at the review (targets only)


@dataclass
class ReviewEntry:
    """What a Review dialog (or a script) hands over: one scoring point's meeting."""

    point: ScoringPoint
    held_on: dt.date | None
    people: list[Person] = field(default_factory=list)
    items: list[ItemScoring] = field(default_factory=list)
    notes: str = ""


@dataclass(frozen=True)
class Spread:
    """How far apart the independent scores are."""

    scores: tuple[int, ...]
    low: int
    high: int

    @property
    def range(self) -> int:
        return self.high - self.low

    @property
    def disagreement(self) -> bool:
        return self.range >= DISAGREEMENT_POINTS

    def describe(self) -> str:
        if len(self.scores) == 1:
            return f"One score so far: {self.low}."
        if not self.range:
            return f"Everyone gave {self.low}."
        text = f"Scores from {self.low} to {self.high} (a spread of {self.range})."
        if self.disagreement:
            text += (
                f" People disagree by {DISAGREEMENT_POINTS} or more points: "
                "talk it through before agreeing a score."
            )
        return text


def spread(scores: Iterable[int]) -> Spread | None:
    values = tuple(scores)
    if not values:
        return None
    return Spread(values, min(values), max(values))


@dataclass(frozen=True)
class ReviewPerson:
    id: str
    role: str
    name: str
    position: int

    @property
    def person(self) -> Person:
        return Person(self.role, self.name)

    @property
    def label(self) -> str:
        return self.person.label


@dataclass(frozen=True)
class Review:
    id: str
    case_id: str
    point: ScoringPoint
    held_on: dt.date
    notes: str
    people: tuple[ReviewPerson, ...]

    @property
    def label(self) -> str:
        return f"{self.point.label} ({format_date(self.held_on)})"


@dataclass(frozen=True)
class IndependentScore:
    person: ReviewPerson
    score: int


def item_scale(case: Case, *, target_id: str | None, aim_id: str | None) -> Scale:
    """Targets and goals use the plan type's scale; case aims are always 1-10."""
    return AIM_SCALE if aim_id else case.scale


def _item_label(store: Store, case: Case, item: ItemScoring) -> str:
    if item.target_id:
        rows = list(
            store.db.query(
                "SELECT position FROM targets WHERE id = ? AND case_id = ?",
                [item.target_id, case.id],
            )
        )
        if not rows:
            raise ValidationError(f"That {case.plan.target_word} is not part of this plan.")
        return f"{case.plan.target_word.capitalize()} {rows[0]['position']}"
    rows = list(
        store.db.query(
            "SELECT position FROM case_aims WHERE id = ? AND case_id = ?", [item.aim_id, case.id]
        )
    )
    if not rows:
        raise ValidationError("That case aim is not part of this plan.")
    return f"Case aim {rows[0]['position']}"


def _has_baseline(store: Store, item: ItemScoring) -> bool:
    column = "target_id" if item.target_id else "aim_id"
    return bool(
        list(
            store.db.query(
                f"SELECT 1 FROM current_scores WHERE {column} = ? AND point = 'baseline' LIMIT 1",
                [item.target_id or item.aim_id],
            )
        )
    )


def _check_entry(store: Store, case: Case, entry: ReviewEntry) -> None:
    if entry.held_on is None:
        raise ValidationError("Enter the date of the meeting as dd/mm/yyyy.", field="held_on")
    if entry.held_on > store.clock.today():
        raise ValidationError("The meeting date cannot be in the future.", field="held_on")
    if case.details.referral_date and entry.held_on < case.details.referral_date:
        raise ValidationError("The meeting cannot be before the referral date.", field="held_on")
    for person in entry.people:
        if not clean_line(person.role):
            raise ValidationError(
                "Give each person's role (for example Pupil or Parent/carer).", field="people"
            )
    if not entry.items:
        raise ValidationError("Score at least one target or aim.", field="items")
    seen: set[str] = set()
    for item in entry.items:
        if (item.target_id is None) == (item.aim_id is None):
            raise ValidationError("Each score is for one target or one aim.", field="items")
        key = item.target_id or item.aim_id or ""
        if key in seen:
            raise ValidationError(
                "A target or aim is scored twice at the same meeting.", field="items"
            )
        seen.add(key)
        label = _item_label(store, case, item)
        scale = item_scale(case, target_id=item.target_id, aim_id=item.aim_id)
        if item.agreed is None:
            raise ValidationError(f"{label}: give the agreed score.", field="agreed")
        scale.check(item.agreed, what=f"{label}: the agreed score", field="agreed")
        for index, score in item.independent.items():
            if not 0 <= index < len(entry.people):
                raise ValidationError(
                    f"{label}: a score is given by someone not listed as present.",
                    field="independent",
                )
            scale.check(
                score, what=f"{label}: {entry.people[index].label}'s score", field="independent"
            )
        if not entry.point.is_baseline and not _has_baseline(store, item):
            raise ValidationError(
                f"{label} has no baseline score yet; score the baseline first.", field="point"
            )
        if item.adjusted is not None and item.target_id is None:
            raise ValidationError("Only targets have actions to adjust.", field="adjusted")


def _review_row(store: Store, case_id: str, point: ScoringPoint) -> dict[str, Any] | None:
    rows = list(
        store.db.query(
            "SELECT * FROM case_reviews WHERE case_id = ? AND point = ? AND number = ?",
            [case_id, point.point, point.number],
        )
    )
    return rows[0] if rows else None


@requires("casework")
def record_review(store: Store, case_id: str, entry: ReviewEntry) -> Review:
    """Store one scoring point's meeting: who was there, their own scores, the agreed scores.

    Everything is appended in one transaction; nothing stored earlier is changed, except that
    new notes are added to the notes of a scoring point entered again.
    """
    case = get_case(store, case_id)
    require_open(case)
    _check_entry(store, case, entry)
    assert entry.held_on is not None
    point = entry.point
    if point.point == "extra" and point.number == 0:
        top = next(
            iter(
                store.db.query(
                    "SELECT coalesce(max(number), 0) AS top FROM case_reviews "
                    "WHERE case_id = ? AND point = 'extra'",
                    [case_id],
                )
            )
        )["top"]
        point = extra(int(top) + 1)
    now = timestamp(store)
    notes = clean_block(entry.notes)
    independent_count = 0
    with store.atomic():
        existing = _review_row(store, case_id, point)
        if existing is None:
            review_id = new_id()
            store.db.table("case_reviews").insert(
                {
                    "id": review_id,
                    "case_id": case_id,
                    "point": point.point,
                    "number": point.number,
                    "held_on": entry.held_on.isoformat(),
                    "notes": notes,
                    "recorded_at": now,
                    "recorded_by": store.staff_id,
                }
            )
            audit.record(
                store,
                "create",
                "case_review",
                review_id,
                f"case {case_id}; point: {point.label}",
                pupil_id=case.pupil_id,
            )
        else:
            review_id = existing["id"]
            if notes:
                joined = f"{existing['notes']}\n\n{notes}" if existing["notes"] else notes
                store.db.table("case_reviews").update(review_id, {"notes": joined})
                audit.record(
                    store,
                    "change",
                    "case_review",
                    review_id,
                    "fields: notes",
                    pupil_id=case.pupil_id,
                )
        first = (
            int(
                next(
                    iter(
                        store.db.query(
                            "SELECT coalesce(max(position), 0) AS top FROM review_people"
                            " WHERE review_id = ?",
                            [review_id],
                        )
                    )
                )["top"]
            )
            + 1
        )
        person_ids = []
        for offset, person in enumerate(entry.people):
            person_id = new_id()
            person_ids.append(person_id)
            store.db.table("review_people").insert(
                {
                    "id": person_id,
                    "review_id": review_id,
                    "role": clean_line(person.role),
                    "name": clean_line(person.name),
                    "position": first + offset,
                }
            )
        for item in entry.items:
            for index, score in sorted(item.independent.items()):
                store.db.table("independent_scores").insert(
                    {
                        "id": new_id(),
                        "person_id": person_ids[index],
                        "target_id": item.target_id,
                        "aim_id": item.aim_id,
                        "score": score,
                        "recorded_at": now,
                    }
                )
                independent_count += 1
            store.db.table("scores").insert(
                {
                    "id": new_id(),
                    "review_id": review_id,
                    "target_id": item.target_id,
                    "aim_id": item.aim_id,
                    "score": item.agreed,
                    "note": clean_block(item.note),
                    "recorded_at": now,
                    "recorded_by": store.staff_id,
                }
            )
            if item.adjusted is not None and item.target_id is not None:
                edit_target(store, item.target_id, item.adjusted, review_id=review_id)
        audit.record(
            store,
            "change",
            "case_review",
            review_id,
            f"agreed scores: {len(entry.items)}; independent scores: "
            f"{independent_count}; people present: {len(entry.people)}",
            pupil_id=case.pupil_id,
        )
        # The agreed scores have no audit row of their own; screens showing scores re-read.
        changes.note(store, Changes.of("score", pupil_ids=[case.pupil_id]))
    return get_review(store, review_id)


@requires("casework")
def record_score(
    store: Store,
    case_id: str,
    point: ScoringPoint,
    score: int,
    *,
    target_id: str | None = None,
    aim_id: str | None = None,
    held_on: dt.date | None = None,
    note: str = "",
) -> Review:
    """Record one agreed score without independent scaling (scripts, paper records)."""
    entry = ReviewEntry(
        point,
        held_on or store.clock.today(),
        items=[ItemScoring(target_id, aim_id, score, note=note)],
    )
    return record_review(store, case_id, entry)


# Reading -------------------------------------------------------------------------------------


def _people(store: Store, review_id: str) -> tuple[ReviewPerson, ...]:
    rows = store.db.query(
        "SELECT id, role, name, position FROM review_people WHERE review_id = ? ORDER BY position",
        [review_id],
    )
    return tuple(ReviewPerson(**row) for row in rows)


def _review(store: Store, row: dict[str, Any]) -> Review:
    return Review(
        row["id"],
        row["case_id"],
        ScoringPoint(row["point"], row["number"]),
        dt.date.fromisoformat(row["held_on"]),
        row["notes"],
        _people(store, row["id"]),
    )


def get_review(store: Store, review_id: str) -> Review:
    rows = list(store.db.query("SELECT * FROM case_reviews WHERE id = ?", [review_id]))
    if not rows:
        raise NotFound("That review is not in this database.")
    return _review(store, rows[0])


def _point_order(column: str = "point") -> str:
    """SQL ordering scoring points held on the same day: baseline, mid, extra, final."""
    return f"CASE {column} WHEN 'baseline' THEN 0 WHEN 'mid' THEN 1 WHEN 'extra' THEN 2 ELSE 3 END"


def reviews_for_case(store: Store, case_id: str) -> list[Review]:
    """Scoring points held, in meeting order."""
    rows = store.db.query(
        f"SELECT * FROM case_reviews WHERE case_id = ? ORDER BY held_on, {_point_order()}, number",
        [case_id],
    )
    return [_review(store, row) for row in rows]


def next_point(store: Store, case: Case) -> ScoringPoint:
    """The scoring point a new review most likely is: baseline, mid, final, then extras."""
    held = {(r.point.point) for r in reviews_for_case(store, case.id)}
    for point in (BASELINE, MID, FINAL):
        if point.point not in held:
            return point
    return extra()


def _item_where(target_id: str | None, aim_id: str | None) -> tuple[str, str]:
    if (target_id is None) == (aim_id is None):
        raise ValueError("name exactly one of target_id and aim_id")
    return ("target_id", target_id) if target_id else ("aim_id", aim_id or "")


def agreed_score(
    store: Store, review_id: str, *, target_id: str | None = None, aim_id: str | None = None
) -> int | None:
    """The agreed score that counts for the item at this scoring point (the latest entered)."""
    column, value = _item_where(target_id, aim_id)
    rows = list(
        store.db.query(
            f"SELECT score FROM scores WHERE review_id = ? AND {column} = ?"
            " ORDER BY seq DESC LIMIT 1",
            [review_id, value],
        )
    )
    return int(rows[0]["score"]) if rows else None


def independent_scores(
    store: Store, review_id: str, *, target_id: str | None = None, aim_id: str | None = None
) -> list[IndependentScore]:
    """Each person's own score for the item at this scoring point, in the order they sat."""
    column, value = _item_where(target_id, aim_id)
    rows = store.db.query(
        f"SELECT p.id, p.role, p.name, p.position, i.score FROM independent_scores i "
        f"JOIN review_people p ON p.id = i.person_id "
        f"WHERE p.review_id = ? AND i.{column} = ? ORDER BY p.position, i.seq",
        [review_id, value],
    )
    latest: dict[str, IndependentScore] = {}
    for row in rows:
        person = ReviewPerson(row["id"], row["role"], row["name"], row["position"])
        latest[row["id"]] = IndependentScore(person, int(row["score"]))
    return list(latest.values())


def item_spread(
    store: Store, review_id: str, *, target_id: str | None = None, aim_id: str | None = None
) -> Spread | None:
    found = independent_scores(store, review_id, target_id=target_id, aim_id=aim_id)
    return spread(s.score for s in found)


@dataclass(frozen=True)
class ScoreRecord:
    """One agreed score in an item's history."""

    review_id: str
    point: ScoringPoint
    held_on: dt.date
    score: int
    note: str
    recorded_at: str
    counts: bool  # False when a later score at the same point replaced it


def score_history(
    store: Store, *, target_id: str | None = None, aim_id: str | None = None
) -> list[ScoreRecord]:
    """Every agreed score ever entered for the item, in meeting order."""
    column, value = _item_where(target_id, aim_id)
    rows = list(
        store.db.query(
            "SELECT s.seq, s.review_id, s.score, s.note, s.recorded_at, r.point, r.number,"
            " r.held_on "
            f"FROM scores s JOIN case_reviews r ON r.id = s.review_id WHERE s.{column} = ? "
            f"ORDER BY r.held_on, {_point_order('r.point')}, r.number, s.seq",
            [value],
        )
    )
    last_seq: dict[str, int] = {}
    for row in rows:
        last_seq[row["review_id"]] = max(last_seq.get(row["review_id"], 0), row["seq"])
    return [
        ScoreRecord(
            row["review_id"],
            ScoringPoint(row["point"], row["number"]),
            dt.date.fromisoformat(row["held_on"]),
            int(row["score"]),
            row["note"],
            row["recorded_at"],
            row["seq"] == last_seq[row["review_id"]],
        )
        for row in rows
    ]


def latest_spread(
    store: Store, case_id: str, *, target_id: str | None = None, aim_id: str | None = None
) -> tuple[Review, Spread] | None:
    """The spread of independent scores at the latest scoring point that had any."""
    for review in reversed(reviews_for_case(store, case_id)):
        found = item_spread(store, review.id, target_id=target_id, aim_id=aim_id)
        if found is not None:
            return review, found
    return None
