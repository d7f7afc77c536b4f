"""A hand-built cohort for the impact-report tests; every figure is worked out by hand in
tests/test_impact_report.py from the dates and scores written here.

The clock reads Monday 23/11/2026. Pupils (year group today; flags):
  A  Y8   PP, CIN, SEN support    case G (2024/25, closed 13/01/2025) then case A (re-referral)
  B  Y9   EHCP, EAL               case B (worker: Ruth)
  C  Y7   PP, young carer, SEN K  case C (worker: Ruth); no suspensions at all
  D  Y10  PP, CLA, SEN K          case D: family plan, impact areas
  E  Y8   SEN K                   case E: crosses 31/08/2026 (June to October 2026)
  F  Y9   SEN K                   case F: still open, a target and an aim with no final score
  H  Y10  PP                      no case (register only)
  I  Y11  PP, SEN K, archived     no case (not on the register)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from semh_desktop.attendance import attendance, suspensions
from semh_desktop.attendance.attendance import AttendanceDetails
from semh_desktop.attendance.suspensions import SuspensionDetails
from semh_desktop.closure import closure, impact_areas, questionnaires
from semh_desktop.closure.closure import ClosureDetails
from semh_desktop.closure.questionnaires import QuestionnaireEntry
from semh_desktop.core.store import Store
from semh_desktop.plans import case_aims, cases, scaling, targets
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.scaling import BASELINE, FINAL, MID, ItemScoring, ReviewEntry
from semh_desktop.plans.targets import TargetWording
from semh_desktop.register import pupils, staff
from semh_desktop.register.upn import make_upn

from .conftest import sample_details

D = dt.date
NAMES = {  # fictional; the report must never print them
    "A": ("Peregrine", "Quillfeather"),
    "B": ("Marigold", "Thistlewood"),
    "C": ("Barnaby", "Applethwaite"),
    "D": ("Clementine", "Wolstenholme"),
    "E": ("Fitzgerald", "Oakenshaw"),
    "F": ("Wilhelmina", "Pettigrew"),
    "H": ("Horatio", "Blackthorne"),
    "I": ("Isadora", "Fennimore"),
}
PUPILS = {
    "A": dict(year_group=8, pupil_premium=True, social_care="CIN", sen_provision="K"),
    "B": dict(year_group=9, sen_provision="E", eal=True),
    "C": dict(year_group=7, pupil_premium=True, young_carer=True, sen_provision="K"),
    "D": dict(year_group=10, pupil_premium=True, social_care="CLA", sen_provision="K"),
    "E": dict(year_group=8, sen_provision="K"),
    "F": dict(year_group=9, sen_provision="K"),
    "H": dict(year_group=10, pupil_premium=True, sen_provision="N"),
    "I": dict(year_group=11, pupil_premium=True, sen_provision="K"),
}


@dataclass
class Cohort:
    pupils: dict[str, str] = field(default_factory=dict)  # letter -> pupil id
    cases: dict[str, str] = field(default_factory=dict)  # case letter -> case id
    worker_id: str = ""
    withdrawn_suspension: str = ""


def _pupil(store: Store, letter: str, serial: int) -> str:
    first, last = NAMES[letter]
    flags = {
        "pupil_premium": False,
        "social_care": "",
        "eal": False,
        "young_carer": False,
        "primary_need": "SEMH",
        **PUPILS[letter],
    }
    if flags["sen_provision"] == "N":
        flags["primary_need"] = None
    details = sample_details(
        upn=make_upn(801, 2000, 20, serial),
        legal_forename=first,
        legal_surname=last,
        preferred_forename="",
        **flags,
    )
    return pupils.add_pupil(store, details).id


def _case(
    store: Store,
    pupil_id: str,
    referral: dt.date,
    start: dt.date,
    *,
    worker_id: str | None,
    plan_type: str = "psp",
) -> str:
    return cases.open_case(
        store,
        pupil_id,
        CaseDetails(
            referral_date=referral,
            referred_by="Head of Year",
            reason="Hand-built test case.",
            consent_date=referral,
            consent_by="Parent",
            worker_id=worker_id,
            plan_type=plan_type,
            start_date=start,
            length_weeks=8,
        ),
    ).id


def _target(store: Store, case_id: str, kind: str, text: str) -> str:
    return targets.add_target(store, case_id, kind, TargetWording(text)).id


def _score(
    store: Store,
    case_id: str,
    point: scaling.ScoringPoint,
    held_on: dt.date,
    scores: dict[str, int],
    aims: dict[str, int] | None = None,
) -> None:
    items = [ItemScoring(target_id=t, agreed=s) for t, s in scores.items()]
    items += [ItemScoring(aim_id=a, agreed=s) for a, s in (aims or {}).items()]
    scaling.record_review(store, case_id, ReviewEntry(point, held_on, items=items))


def _close(store: Store, case_id: str, closed_on: dt.date, reason: str) -> None:
    closure.close_case(
        store,
        case_id,
        ClosureDetails(closed_on=closed_on, attendees="Parent, worker", reason=reason),
    )


def _suspend(
    store: Store, pupil_id: str, start: dt.date, half_days: int, reason: str = "disruption"
) -> str:
    return suspensions.record_suspension(
        store, pupil_id, SuspensionDetails(start, half_days, reason)
    ).id


def _attend(store: Store, pupil_id: str, *figures: tuple[dt.date, float]) -> None:
    for day, percent in figures:
        attendance.record_attendance(store, pupil_id, AttendanceDetails(as_of=day, percent=percent))


def _questionnaire(
    store: Store,
    case_id: str,
    respondent: str,
    on: dt.date,
    answers: list[tuple[str, int | None]],
    partnership: str | None,
) -> None:
    questionnaires.record_questionnaire(
        store,
        case_id,
        QuestionnaireEntry(
            respondent=respondent, completed_on=on, answers=answers, partnership=partnership
        ),
    )


PROGRESS = "The pupil made progress"
KEEP_DOING = "Staff know what to keep doing"
PLEASED = "I am pleased with my child's progress"


def build_cohort(store: Store) -> Cohort:
    cohort = Cohort()
    ruth = staff.add_staff(store, "Ruth Testworker", "pastoral")
    cohort.worker_id = ruth.id
    senco = store.staff_id
    for serial, letter in enumerate(NAMES, start=1):
        cohort.pupils[letter] = _pupil(store, letter, serial)
    pupils.archive_pupil(store, cohort.pupils["I"])
    p = cohort.pupils

    # Case G (2024/25): pupil A's earlier case; outside the 2025/26 cohort.
    g = _case(store, p["A"], D(2024, 9, 10), D(2024, 9, 16), worker_id=senco)
    g1 = _target(store, g, "learning", "G learning target")
    g_aim = case_aims.add_aim(store, g, "friendships").id
    _score(store, g, BASELINE, D(2024, 9, 16), {g1: 1}, {g_aim: 1})
    _score(store, g, FINAL, D(2025, 1, 6), {g1: 10}, {g_aim: 10})
    _close(store, g, D(2025, 1, 13), "disengaged")
    _questionnaire(store, g, "school", D(2025, 1, 13), [(PROGRESS, 1)], "worse")
    cohort.cases["G"] = g

    # Case A: re-referral (closed 13/01/2025, referred again 15/09/2025: 245 days).
    a = _case(store, p["A"], D(2025, 9, 15), D(2025, 9, 22), worker_id=senco)
    a1 = _target(store, a, "learning", "A learning target")
    a2 = _target(store, a, "behaviour_wellbeing", "A behaviour target")
    a_aim = case_aims.add_aim(store, a, "emotional_regulation").id
    _score(store, a, BASELINE, D(2025, 9, 22), {a1: 3, a2: 4}, {a_aim: 2})
    _score(store, a, FINAL, D(2025, 11, 10), {a1: 6, a2: 4}, {a_aim: 6})
    _score(store, a, FINAL, D(2025, 11, 10), {a1: 7})  # corrected: the latest (7) counts
    _close(store, a, D(2025, 11, 17), "stepped_down")
    _questionnaire(
        store, a, "school", D(2025, 11, 17), [(PROGRESS, 4), (KEEP_DOING, 5)], "improved"
    )
    _questionnaire(store, a, "parent", D(2025, 11, 20), [(PLEASED, 5)], "improved")
    cohort.cases["A"] = a

    b = _case(store, p["B"], D(2025, 10, 6), D(2025, 10, 13), worker_id=ruth.id)
    b1 = _target(store, b, "behaviour_wellbeing", "B first target")
    b2 = _target(store, b, "behaviour_wellbeing", "B second target")
    b_aim = case_aims.add_aim(store, b, "relationships").id
    _score(store, b, BASELINE, D(2025, 10, 13), {b1: 2, b2: 5}, {b_aim: 3})
    _score(store, b, FINAL, D(2025, 12, 8), {b1: 8, b2: 4}, {b_aim: 5})
    _close(store, b, D(2025, 12, 8), "stepped_down")
    _questionnaire(store, b, "school", D(2025, 12, 8), [(PROGRESS, 5), (KEEP_DOING, 3)], "improved")
    _questionnaire(store, b, "parent", D(2025, 12, 10), [(PLEASED, 4)], None)
    cohort.cases["B"] = b

    c = _case(store, p["C"], D(2026, 1, 12), D(2026, 1, 19), worker_id=ruth.id)
    c1 = _target(store, c, "learning", "C learning target")
    c_aim = case_aims.add_aim(store, c, "self_esteem").id
    _score(store, c, BASELINE, D(2026, 1, 19), {c1: 5}, {c_aim: 4})
    _score(store, c, FINAL, D(2026, 3, 16), {c1: 6}, {c_aim: 4})
    _close(store, c, D(2026, 3, 16), "disengaged")
    _questionnaire(store, c, "school", D(2026, 3, 16), [(PROGRESS, 2), (KEEP_DOING, None)], "same")
    cohort.cases["C"] = c

    d = _case(store, p["D"], D(2026, 2, 2), D(2026, 2, 9), worker_id=senco, plan_type="family")
    d1 = _target(store, d, "family_goal", "D first goal")
    d2 = _target(store, d, "family_goal", "D second goal")
    d_aim = case_aims.add_aim(store, d, "relationships").id
    _score(store, d, BASELINE, D(2026, 2, 9), {d1: 2, d2: 3}, {d_aim: 3})
    _score(store, d, MID, D(2026, 3, 9), {d1: 9, d2: 9})  # mid scores never count
    _score(store, d, FINAL, D(2026, 4, 27), {d1: 7, d2: 3}, {d_aim: 7})
    _close(store, d, D(2026, 5, 4), "stepped_up_csc")
    _questionnaire(store, d, "school", D(2026, 5, 4), [(PROGRESS, 4), (KEEP_DOING, 4)], "worse")
    impact_areas.record_impact_area(store, d, "parenting", 75)
    impact_areas.record_impact_area(store, d, "attendance", 100)
    impact_areas.record_impact_area(store, d, "reduced_conflict", 5)
    impact_areas.record_impact_area(store, d, "parenting", 45)  # re-recorded: 45 counts
    cohort.cases["D"] = d

    e = _case(store, p["E"], D(2026, 6, 8), D(2026, 6, 15), worker_id=senco)
    e1 = _target(store, e, "learning", "E learning target")
    e_aim = case_aims.add_aim(store, e, "emotional_regulation").id
    _score(store, e, BASELINE, D(2026, 6, 15), {e1: 4}, {e_aim: 2})
    _score(store, e, FINAL, D(2026, 10, 5), {e1: 9}, {e_aim: 5})
    _close(store, e, D(2026, 10, 12), "stepped_down")
    cohort.cases["E"] = e

    f = _case(store, p["F"], D(2026, 3, 2), D(2026, 3, 9), worker_id=senco)
    f1 = _target(store, f, "behaviour_wellbeing", "F behaviour target")
    f_aim = case_aims.add_aim(store, f, "friendships").id
    _score(store, f, BASELINE, D(2026, 3, 9), {f1: 3}, {f_aim: 4})
    _score(store, f, MID, D(2026, 4, 6), {f1: 5})
    cohort.cases["F"] = f

    # Suspensions (half-days: 1 = a lunchtime, 2 = a day).
    _suspend(store, p["A"], D(2025, 3, 10), 4)  # s1
    _suspend(store, p["A"], D(2025, 9, 12), 3)  # s2: Fri 12/09 (a day) + Mon 15/09 (half)
    _suspend(store, p["A"], D(2025, 10, 20), 1)  # s3: lunchtime
    _suspend(store, p["A"], D(2026, 2, 2), 2)  # s4
    _suspend(store, p["B"], D(2025, 6, 2), 10)  # s5
    _suspend(store, p["B"], D(2025, 12, 18), 4)  # s6
    _suspend(store, p["D"], D(2025, 11, 3), 2)  # s7
    _suspend(store, p["D"], D(2026, 3, 2), 5)  # s8
    _suspend(store, p["E"], D(2026, 7, 6), 2)  # s9
    _suspend(store, p["E"], D(2026, 9, 14), 4)  # s10
    _suspend(store, p["E"], D(2026, 11, 2), 1)  # s11
    _suspend(store, p["F"], D(2025, 11, 10), 4)  # s12
    cohort.withdrawn_suspension = _suspend(store, p["F"], D(2026, 4, 13), 6)
    suspensions.withdraw_suspension(store, cohort.withdrawn_suspension, "Entered twice.")

    _attend(
        store,
        p["A"],
        (D(2025, 9, 1), 85.0),
        (D(2025, 9, 19), 86.0),
        (D(2025, 10, 20), 88.0),
        (D(2025, 11, 14), 92.5),
    )
    _attend(store, p["B"], (D(2025, 10, 13), 95.0), (D(2025, 12, 5), 93.0))
    _attend(store, p["C"], (D(2025, 12, 1), 80.0), (D(2026, 2, 2), 82.0))
    _attend(store, p["D"], (D(2026, 1, 26), 70.0), (D(2026, 4, 27), 75.0))
    _attend(store, p["E"], (D(2026, 6, 1), 89.0), (D(2026, 9, 30), 91.0))
    _attend(store, p["F"], (D(2026, 3, 2), 88.0), (D(2026, 10, 5), 85.0))
    wrong = attendance.record_attendance(
        store, p["F"], AttendanceDetails(as_of=D(2026, 11, 2), percent=99.0)
    )
    attendance.withdraw_attendance(store, wrong.id, "Another pupil's figure.")
    return cohort
