"""Targets of a PSP (at most three, learning or behaviour/wellbeing) and family-plan goals.

A target's wording (the target in child-centred words and the actions around it) is kept as
numbered versions: an edit appends a new version, so what was agreed at the baseline can
always be read again. Scores are recorded at scoring points by `scaling`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.plans.cases import clean_block, get_case, require_open, timestamp
from semh_desktop.plans.plan_types import TARGET_KINDS
from semh_desktop.register import audit
from semh_desktop.register.access import requires

WORDING_LABELS = {
    "target_text": "Target",
    "school_actions": "What school will do",
    "family_actions": "What the family will do",
    "pupil_actions": "What the pupil will do",
    "strengths": "Strengths and motivators",
    "rewards": "Rewards",
    "responsible": "Who is responsible",
}
MAX_TEXT = 2000


@dataclass
class TargetWording:
    """The words of a target: what it is, who does what, what motivates and rewards."""

    target_text: str = ""
    school_actions: str = ""
    family_actions: str = ""
    pupil_actions: str = ""
    strengths: str = ""
    rewards: str = ""
    responsible: str = ""

    def cleaned(self) -> TargetWording:
        return TargetWording(**{f.name: clean_block(getattr(self, f.name)) for f in fields(self)})

    def validate(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        clean = self.cleaned()
        if not clean.target_text:
            errors["target_text"] = (
                "Write the target in the pupil's own words (what they will achieve)."
            )
        for f in fields(clean):
            if len(getattr(clean, f.name)) > MAX_TEXT:
                errors[f.name] = (
                    f"{WORDING_LABELS[f.name]} is too long; keep it under {MAX_TEXT} characters."
                )
        return errors

    def as_row(self) -> dict[str, str]:
        clean = self.cleaned()
        return {f.name: getattr(clean, f.name) for f in fields(clean)}


@dataclass(frozen=True)
class TargetVersion:
    version: int
    wording: TargetWording
    review_id: str | None
    recorded_at: str
    recorded_by: str | None


@dataclass(frozen=True)
class Target:
    id: str
    case_id: str
    position: int
    kind: str
    wording: TargetWording  # the current version
    version: int

    @property
    def kind_label(self) -> str:
        return TARGET_KINDS[self.kind]

    @property
    def text(self) -> str:
        return self.wording.target_text


def _raise_first(errors: dict[str, str]) -> None:
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)


def _wording(row: dict[str, Any]) -> TargetWording:
    return TargetWording(**{name: row[name] for name in WORDING_LABELS})


@requires("casework")
def add_target(store: Store, case_id: str, kind: str, wording: TargetWording) -> Target:
    """Add a target (or family-plan goal); a plan holds at most its plan type's number."""
    case = get_case(store, case_id)
    require_open(case)
    plan = case.plan
    count = int(
        next(
            iter(store.db.query("SELECT count(*) AS n FROM targets WHERE case_id = ?", [case_id]))
        )["n"]
    )
    if count >= plan.max_targets:
        raise ValidationError(
            f"A {plan.short_label} has at most {plan.max_targets} {plan.target_word_plural}, and "
            f"this one already has {count}. Change an existing {plan.target_word} instead of "
            "adding another.",
            field="target_text",
        )
    plan.check_kind(kind)
    _raise_first(wording.validate())
    now = timestamp(store)
    target_id = new_id()
    with store.atomic():
        store.db.table("targets").insert(
            {
                "id": target_id,
                "case_id": case_id,
                "position": count + 1,
                "kind": kind,
                "created_at": now,
                "created_by": store.staff_id,
            }
        )
        store.db.table("target_versions").insert(
            {
                "id": new_id(),
                "target_id": target_id,
                "version": 1,
                **wording.as_row(),
                "review_id": None,
                "recorded_at": now,
                "recorded_by": store.staff_id,
            }
        )
        audit.record(
            store,
            "create",
            "target",
            target_id,
            f"case {case_id}; kind: {kind}",
            pupil_id=case.pupil_id,
        )
    return get_target(store, target_id)


@requires("casework")
def edit_target(
    store: Store,
    target_id: str,
    wording: TargetWording,
    *,
    kind: str | None = None,
    review_id: str | None = None,
) -> Target:
    """Change a target's words: a new version is appended and the old one kept.

    The kind can change only while the target has no scores (measures count targets by kind).
    """
    before = get_target(store, target_id)
    case = get_case(store, before.case_id)
    require_open(case)
    _raise_first(wording.validate())
    new_row, old_row = wording.as_row(), before.wording.as_row()
    changed = [name for name in WORDING_LABELS if new_row[name] != old_row[name]]
    kind_changed = kind is not None and kind != before.kind
    if kind_changed:
        assert kind is not None
        case.plan.check_kind(kind)
        if has_scores(store, target_id):
            raise ValidationError(
                "The kind of a target cannot change once it has a score; add a new target instead.",
                field="kind",
            )
    if not changed and not kind_changed:
        return before
    with store.atomic():
        if kind_changed:
            store.db.table("targets").update(target_id, {"kind": kind})
        if changed:
            store.db.table("target_versions").insert(
                {
                    "id": new_id(),
                    "target_id": target_id,
                    "version": before.version + 1,
                    **new_row,
                    "review_id": review_id,
                    "recorded_at": timestamp(store),
                    "recorded_by": store.staff_id,
                }
            )
        detail = "fields: " + ", ".join(changed + (["kind"] if kind_changed else []))
        audit.record(store, "change", "target", target_id, detail, pupil_id=case.pupil_id)
    return get_target(store, target_id)


def has_scores(store: Store, target_id: str) -> bool:
    return bool(
        list(
            store.db.query(
                "SELECT 1 FROM scores WHERE target_id = ? UNION ALL "
                "SELECT 1 FROM independent_scores WHERE target_id = ? LIMIT 1",
                [target_id, target_id],
            )
        )
    )


_CURRENT = """
SELECT t.id, t.case_id, t.position, t.kind, v.version, v.target_text, v.school_actions,
       v.family_actions, v.pupil_actions, v.strengths, v.rewards, v.responsible
FROM targets t
JOIN target_versions v ON v.target_id = t.id
 AND v.version = (SELECT max(version) FROM target_versions WHERE target_id = t.id)
"""


def _target(row: dict[str, Any]) -> Target:
    return Target(
        row["id"], row["case_id"], row["position"], row["kind"], _wording(row), row["version"]
    )


def get_target(store: Store, target_id: str) -> Target:
    rows = list(store.db.query(_CURRENT + " WHERE t.id = ?", [target_id]))
    if not rows:
        raise NotFound("That target is not in this database.")
    return _target(rows[0])


def targets_for_case(store: Store, case_id: str) -> list[Target]:
    rows = store.db.query(_CURRENT + " WHERE t.case_id = ? ORDER BY t.position", [case_id])
    return [_target(row) for row in rows]


def target_history(store: Store, target_id: str) -> list[TargetVersion]:
    """Every wording of the target, oldest first."""
    rows = store.db.query(
        "SELECT * FROM target_versions WHERE target_id = ? ORDER BY version", [target_id]
    )
    return [
        TargetVersion(
            row["version"], _wording(row), row["review_id"], row["recorded_at"], row["recorded_by"]
        )
        for row in rows
    ]
