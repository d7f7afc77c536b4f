"""Family-plan impact areas: how far a family reached each area the plan worked on.

Each area is scored as a whole-number percentage achieved, 0 to 100 (0 = no change in this
area, 100 = fully achieved), agreed with the family, usually at the closing meeting. The
cohort report bands the percentages in tens: 0-9%, 10-19%, ..., 90-99% and 100%.
Figures are appended: recording an area again adds a row and the latest one counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.plans.cases import get_case
from semh_desktop.register import audit
from semh_desktop.register.access import requires

IMPACT_AREAS = {
    "parenting": "Parenting improved",
    "emotional_warmth": "Emotional warmth",
    "parent_mental_health": "Parent's mental health more stable",
    "child_mental_health": "Child's mental health more stable",
    "parent_school": "Parent-school relationship",
    "attendance": "Attendance managed",
    "returned_to_education": "Returned to education",
    "reduced_conflict": "Reduced conflict at home",
    "not_excluded": "Not excluded",
    "self_esteem": "Self-esteem",
    "reduced_asb": "Reduced anti-social behaviour",
    "ehcp_in_place": "EHCP in place",
    "neet_to_eet": "From NEET into education, employment or training",
}
BANDS = tuple([f"{low}-{low + 9}%" for low in range(0, 100, 10)] + ["100%"])


def band_index(percent: int) -> int:
    """0 for 0-9%, 1 for 10-19%, ..., 9 for 90-99%, 10 for exactly 100%."""
    return min(percent // 10, 10)


def band_label(percent: int) -> str:
    return BANDS[band_index(percent)]


@dataclass(frozen=True)
class ImpactArea:
    id: str
    case_id: str
    area: str
    percent: int
    note: str
    recorded_at: str

    @property
    def label(self) -> str:
        return IMPACT_AREAS.get(self.area, self.area)

    @property
    def band(self) -> str:
        return band_label(self.percent)


def validate_impact(area: str, percent: object) -> dict[str, str]:
    errors: dict[str, str] = {}
    if area not in IMPACT_AREAS:
        errors["area"] = "Choose the impact area from the list."
    if isinstance(percent, bool) or not isinstance(percent, int):
        errors["percent"] = "Enter how far the area was achieved as a whole number from 0 to 100."
    elif not 0 <= percent <= 100:
        errors["percent"] = "The % achieved is from 0 (no change) to 100 (fully achieved)."
    return errors


@requires("casework")
def record_impact_area(
    store: Store, case_id: str, area: str, percent: int, note: str = ""
) -> ImpactArea:
    """Record (or re-record) how far a family-plan case reached one impact area."""
    case = get_case(store, case_id)
    if case.details.plan_type != "family":
        raise ValidationError(
            "Impact areas belong to family plans; this case is a PSP.", field="area"
        )
    errors = validate_impact(area, percent)
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)
    impact = ImpactArea(
        new_id(),
        case_id,
        area,
        percent,
        " ".join(note.split())[:500],
        store.clock.now().isoformat(timespec="seconds"),
    )
    with store.atomic():
        store.db.table("impact_areas").insert(
            {
                "id": impact.id,
                "case_id": case_id,
                "area": area,
                "percent": percent,
                "note": impact.note,
                "recorded_at": impact.recorded_at,
                "recorded_by": store.staff_id,
            }
        )
        audit.record(
            store,
            "create",
            "impact_area",
            impact.id,
            f"case {case_id}; area {area}",
            pupil_id=case.pupil_id,
        )
    return impact


def impact_areas_for_case(store: Store, case_id: str) -> list[ImpactArea]:
    """The latest figure for each area recorded on the case, in the list's order."""
    rows = store.db.query(
        "SELECT id, case_id, area, percent, note, recorded_at FROM impact_areas i "
        "WHERE case_id = ? AND seq = (SELECT max(seq) FROM impact_areas "
        "WHERE case_id = i.case_id AND area = i.area)",
        [case_id],
    )
    found = [ImpactArea(**row) for row in rows]
    order = list(IMPACT_AREAS)
    return sorted(found, key=lambda a: order.index(a.area) if a.area in order else len(order))


def recorded_on(area: ImpactArea) -> dt.date:
    return dt.datetime.fromisoformat(area.recorded_at).date()
