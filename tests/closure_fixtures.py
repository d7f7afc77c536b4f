"""Builders for the closure tests: a scored case ready to close, and one already closed."""

from __future__ import annotations

import datetime as dt

from semh_desktop.closure import closure
from semh_desktop.closure.closure import ClosureDetails
from semh_desktop.core.store import Store
from semh_desktop.plans import cases, scaling
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.scaling import BASELINE, FINAL
from semh_desktop.register import pupils

from .conftest import sample_details
from .psp_fixtures import add_aims, add_targets


def open_case_on(store: Store, pupil_id: str, referral: dt.date, *, weeks: int = 8) -> cases.Case:
    details = CaseDetails(
        referral_date=referral,
        referral_route="school",
        referred_by="Head of Year 8",
        reason="Finding lessons after lunch hard.",
        consent_date=referral,
        consent_by="Mum",
        worker_id=store.staff_id,
        plan_type="psp",
        start_date=referral + dt.timedelta(days=7),
        length_weeks=weeks,
    )
    return cases.open_case(store, pupil_id, details)


def score_all(
    store: Store,
    case: cases.Case,
    *,
    baseline_on: dt.date,
    final_on: dt.date | None,
    skip_final: int = 0,
) -> None:
    """Baseline every target and aim; final scores for all but the last `skip_final` items."""
    items = [("target", t.id) for t in add_targets(store, case)] + [
        ("aim", a.id) for a in add_aims(store, case)
    ]
    for kind, item_id in items:
        ids = {"target_id": item_id} if kind == "target" else {"aim_id": item_id}
        scaling.record_score(store, case.id, BASELINE, 3, held_on=baseline_on, **ids)
    if final_on is None:
        return
    for kind, item_id in items[: len(items) - skip_final]:
        ids = {"target_id": item_id} if kind == "target" else {"aim_id": item_id}
        scaling.record_score(store, case.id, FINAL, 7, held_on=final_on, **ids)


def ready_to_close(
    store: Store, *, final_on: dt.date = dt.date(2026, 11, 16), **pupil_changes: object
) -> cases.Case:
    """A PSP referred 21/09/2026, started 28/09, scored at baseline and final (16/11/2026)."""
    pupil = pupils.add_pupil(store, sample_details(**pupil_changes))
    case = open_case_on(store, pupil.id, dt.date(2026, 9, 21))
    score_all(store, case, baseline_on=dt.date(2026, 9, 28), final_on=final_on)
    return case


def closed_case(
    store: Store, pupil_id: str, referral: dt.date, closed_on: dt.date, reason: str = "stepped_down"
) -> cases.Case:
    case = open_case_on(store, pupil_id, referral)
    score_all(store, case, baseline_on=referral + dt.timedelta(days=7), final_on=closed_on)
    closure.close_case(
        store,
        case.id,
        ClosureDetails(closed_on=closed_on, attendees="Mum, class teacher, worker", reason=reason),
    )
    return cases.get_case(store, case.id)
