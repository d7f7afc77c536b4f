"""Progress of a plan: per target and case aim, baseline, mid-point, final and change.

Only agreed scores count (change = final - baseline); independent scores never count here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from semh_desktop.core.store import Store
from semh_desktop.plans.case_aims import aims_for_case
from semh_desktop.plans.cases import get_case
from semh_desktop.plans.plan_types import AIM_SCALE, TARGET_KINDS, Scale
from semh_desktop.plans.targets import targets_for_case


@dataclass(frozen=True)
class ItemProgress:
    item: str  # "target" or "aim"
    item_id: str
    position: int
    text: str
    kind: str  # learning / behaviour_wellbeing / family_goal, or "aim"
    scale: Scale
    baseline: int | None
    mid: int | None
    final: int | None
    extras: tuple[tuple[int, int], ...]  # (extra review number, score)
    latest: int | None  # the most recent agreed score at any point
    latest_on: dt.date | None

    @property
    def label(self) -> str:
        word = "Aim" if self.item == "aim" else ("Goal" if self.kind == "family_goal" else "Target")
        return f"{word} {self.position}"

    @property
    def kind_label(self) -> str:
        return "Case aim" if self.item == "aim" else TARGET_KINDS[self.kind]

    @property
    def change(self) -> int | None:
        """Progress as the measures define it: final - baseline (None until both exist)."""
        if self.baseline is None or self.final is None:
            return None
        return self.final - self.baseline

    @property
    def change_so_far(self) -> int | None:
        if self.baseline is None or self.latest is None:
            return None
        return self.latest - self.baseline

    @property
    def improved(self) -> bool | None:
        change = self.change
        return None if change is None else change > 0


def _scores(store: Store, column: str, item_id: str) -> list[dict[str, object]]:
    return list(
        store.db.query(
            f"SELECT point, number, held_on, score FROM current_scores WHERE {column} = ? "
            "ORDER BY held_on, CASE point WHEN 'baseline' THEN 0 WHEN 'mid' THEN 1 "
            "WHEN 'extra' THEN 2 ELSE 3 END, number",
            [item_id],
        )
    )


def _progress(
    store: Store, item: str, item_id: str, position: int, text: str, kind: str, scale: Scale
) -> ItemProgress:
    rows = _scores(store, "target_id" if item == "target" else "aim_id", item_id)
    by_point: dict[str, int] = {}
    extras = []
    for row in rows:
        if row["point"] == "extra":
            extras.append((int(str(row["number"])), int(str(row["score"]))))
        else:
            by_point[str(row["point"])] = int(str(row["score"]))
    latest = rows[-1] if rows else None
    return ItemProgress(
        item=item,
        item_id=item_id,
        position=position,
        text=text,
        kind=kind,
        scale=scale,
        baseline=by_point.get("baseline"),
        mid=by_point.get("mid"),
        final=by_point.get("final"),
        extras=tuple(extras),
        latest=int(str(latest["score"])) if latest else None,
        latest_on=dt.date.fromisoformat(str(latest["held_on"])) if latest else None,
    )


def case_progress(store: Store, case_id: str) -> list[ItemProgress]:
    """Targets (or goals) first, then case aims, each in plan order."""
    case = get_case(store, case_id)
    result = [
        _progress(store, "target", t.id, t.position, t.text, t.kind, case.scale)
        for t in targets_for_case(store, case_id)
    ]
    result += [
        _progress(store, "aim", a.id, a.position, a.aim, "aim", AIM_SCALE)
        for a in aims_for_case(store, case_id)
    ]
    return result
