"""Shared builders for the PSP tests: a pupil with an open case, targets and aims."""

from __future__ import annotations

import datetime as dt

from semh_desktop.core.store import Store
from semh_desktop.plans import case_aims, cases, targets
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.targets import TargetWording
from semh_desktop.register import pupils

from .conftest import sample_details

START = dt.date(2026, 10, 5)  # a Monday; the fixed clock reads 23/11/2026


def make_case(
    store: Store, *, plan_type: str = "psp", weeks: int | None = None, **pupil_changes: object
) -> cases.Case:
    pupil = pupils.add_pupil(store, sample_details(**pupil_changes))
    details = CaseDetails(
        referral_date=dt.date(2026, 9, 21),
        referral_route="school",
        referred_by="Head of Year 8",
        reason="Struggling to settle after break times; two suspensions last year.",
        consent_date=dt.date(2026, 9, 28),
        consent_by="Mum (Ms Tamsin Ellwood)",
        worker_id=store.staff_id,
        plan_type=plan_type,
        start_date=START,
        length_weeks=weeks,
    )
    return cases.open_case(store, pupil.id, details)


def wording(text: str, **changes: str) -> TargetWording:
    base = TargetWording(
        target_text=text,
        school_actions="Check in with me at the start of each day.",
        family_actions="Ask me about one good thing each evening.",
        pupil_actions="Use my calm card when I feel cross.",
        strengths="Kind to younger pupils; loves football.",
        rewards="Extra football on Friday.",
        responsible="Mr Whitlock (learning mentor)",
    )
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def add_targets(store: Store, case: cases.Case) -> list[targets.Target]:
    kind = "family_goal" if case.details.plan_type == "family" else "behaviour_wellbeing"
    first = targets.add_target(
        store, case.id, kind, wording("I can stay in class for the whole lesson")
    )
    second = targets.add_target(
        store,
        case.id,
        "learning" if kind != "family_goal" else kind,
        wording("I can finish my reading book each week"),
    )
    return [first, second]


def add_aims(store: Store, case: cases.Case) -> list[case_aims.CaseAim]:
    return [
        case_aims.add_aim(store, case.id, "emotional_regulation"),
        case_aims.add_aim(store, case.id, "Help home and school talk every week"),
    ]
