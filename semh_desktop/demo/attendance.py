"""Demo suspensions, attendance, a rescinded permanent exclusion and family-plan impact areas.

`add_demo_attendance` runs last in `demo.build_demo`, after the plans and closures exist:
- last school year's cohort: a dozen closed cases (PSPs and family plans, scored, closed,
  follow-ups held, questionnaires), so the cohort impact report has figures to show;
- attendance figures every four weeks for every register pupil since September last year,
  lower before support and rising during it;
- suspensions in the year before referral for most supported pupils, fewer during support
  and a few after closure (one a lunchtime suspension), and some for pupils without a case;
- a permanent exclusion that the governors rescinded;
- impact areas for every family-plan case.
Everything is drawn from the seeded generator, so the same school is built every time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass

from semh_desktop.attendance import attendance, suspensions
from semh_desktop.closure import closure, impact_areas, questionnaires, sustainability
from semh_desktop.closure.closure import ClosureDetails
from semh_desktop.closure.sustainability import FollowUpResult
from semh_desktop.core.dates import academic_year_start
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.plans import case_aims, cases, scaling
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.scaling import BASELINE, FINAL, MID, ItemScoring, ReviewEntry
from semh_desktop.plans.targets import TargetWording, add_target
from semh_desktop.register import pupils, staff

LAST_YEAR_CASES = 12
TARGETS = [
    ("behaviour_wellbeing", "I can stay in the classroom when I feel frustrated"),
    ("behaviour_wellbeing", "I can tell an adult when something is bothering me"),
    ("learning", "I can start my work within five minutes"),
    ("learning", "I can bring the right equipment every day"),
]
FAMILY_GOALS = [
    "Mornings run calmly so that everyone is on time",
    "We talk about school together once a week",
]
REASONS_BEFORE = [
    "disruption",
    "verbal_adult",
    "assault_pupil",
    "disruption",
    "damage",
    "verbal_pupil",
    "online",
]


@dataclass(frozen=True)
class _Support:
    pupil_id: str
    referral: dt.date
    start: dt.date
    closed_on: dt.date | None


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _wording(text: str) -> TargetWording:
    return TargetWording(
        text,
        "A key adult checks in each morning.",
        "Ask about one good thing each evening.",
        "Use my plan card and tell an adult.",
        "Funny, kind, good at sport.",
        "Choosing the Friday activity.",
        "Learning mentor",
    )


def _last_year_case(
    store: Store,
    rng: random.Random,
    pupil_id: str,
    worker_id: str,
    plan_type: str,
    start: dt.date,
    today: dt.date,
) -> None:
    weeks = 12 if plan_type == "family" else rng.choice([8, 8, 12])
    referral = start - dt.timedelta(days=rng.randint(10, 24))
    case = cases.open_case(
        store,
        pupil_id,
        CaseDetails(
            referral_date=referral,
            referral_route=rng.choice(["school", "hub", "parent"]),
            referred_by=rng.choice(["Head of Year", "SENCO", "Partnership panel"]),
            reason="Suspensions last year and difficulty managing feelings in class.",
            consent_date=referral + dt.timedelta(days=2),
            consent_by=rng.choice(["Mum", "Dad"]),
            worker_id=worker_id,
            plan_type=plan_type,
            start_date=start,
            length_weeks=weeks,
        ),
    )
    if plan_type == "family":
        items = [
            add_target(store, case.id, "family_goal", _wording(text)).id for text in FAMILY_GOALS
        ]
    else:
        picks = rng.sample(TARGETS, rng.choice([2, 3]))
        items = [add_target(store, case.id, kind, _wording(text)).id for kind, text in picks]
    aims = [
        case_aims.add_aim(store, case.id, key).id
        for key in rng.sample(
            ["emotional_regulation", "relationships", "friendships", "self_esteem"], 2
        )
    ]
    low = case.scale.low
    base = {item: rng.randint(low + 1, low + 4) for item in items}
    aim_base = {aim: rng.randint(1, 4) for aim in aims}
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(
            BASELINE,
            start,
            items=[ItemScoring(target_id=t, agreed=base[t]) for t in items]
            + [ItemScoring(aim_id=a, agreed=aim_base[a]) for a in aims],
        ),
    )
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(
            MID,
            case.mid_review,
            items=[
                ItemScoring(target_id=t, agreed=min(10, base[t] + rng.randint(0, 3))) for t in items
            ],
        ),
    )
    finals = [
        ItemScoring(target_id=t, agreed=min(10, max(low, base[t] + rng.randint(-1, 5))))
        for t in items
    ]
    finals += [ItemScoring(aim_id=a, agreed=min(10, aim_base[a] + rng.randint(1, 6))) for a in aims]
    scaling.record_review(store, case.id, ReviewEntry(FINAL, case.final_review, items=finals))
    closed_on = min(case.final_review + dt.timedelta(days=rng.randint(2, 9)), today)
    closure.close_case(
        store,
        case.id,
        ClosureDetails(
            closed_on=closed_on,
            attendees="Parent, worker, Head of Year",
            reason=rng.choice(
                ["stepped_down"] * 9 + ["transferred", "disengaged", "stepped_up_csc", "moved_away"]
            ),
        ),
    )
    for follow_up in sustainability.follow_ups_for_case(store, case.id):
        if follow_up.scheduled_on <= today:
            sustainability.complete_follow_up(
                store,
                follow_up.id,
                FollowUpResult(
                    held_on=follow_up.scheduled_on,
                    observed_on=follow_up.observation_on,
                    observation_note="Settled in lessons; used the plan card once.",
                    outcome="Going well; school keeps the morning check-in.",
                ),
            )
    for respondent in ("school", "parent"):
        if respondent == "parent" and rng.random() < 0.25:
            continue  # not every parent sends the form back
        entry = questionnaires.blank_entry(store, respondent)
        entry.completed_on = closed_on
        entry.answers = [(text, rng.choice([3, 4, 4, 5, 5, 5])) for text, _ in entry.answers]
        entry.partnership = rng.choice(["improved", "improved", "improved", "same", "worse"])
        questionnaires.record_questionnaire(store, case.id, entry)


def _add_last_year(store: Store, rng: random.Random, today: dt.date) -> None:
    with_cases = {str(r["pupil_id"]) for r in store.db.query("SELECT pupil_id FROM cases")}
    free = [row.pupil_id for row in pupils.caseload(store) if row.pupil_id not in with_cases]
    workers = [p.id for p in staff.list_staff(store) if p.role in ("pastoral", "senco")]
    if not workers:
        return
    year_start = dt.date(academic_year_start(today) - 1, 9, 1)
    for index, pupil_id in enumerate(rng.sample(free, min(LAST_YEAR_CASES, len(free)))):
        start = year_start + dt.timedelta(days=rng.randint(28, 230))
        start -= dt.timedelta(days=start.weekday())  # plans start on a Monday
        plan_type = "family" if index % 3 == 2 else "psp"
        _last_year_case(store, rng, pupil_id, rng.choice(workers), plan_type, start, today)


def _supported(store: Store) -> list[_Support]:
    return [
        _Support(
            str(r["pupil_id"]),
            dt.date.fromisoformat(r["referral_date"]),
            dt.date.fromisoformat(r["start_date"]),
            dt.date.fromisoformat(r["closed_on"]) if r["closed_on"] else None,
        )
        for r in store.db.query(
            "SELECT pupil_id, referral_date, start_date, closed_on FROM cases "
            "ORDER BY referral_date, id"
        )
    ]


def _suspend(
    store: Store,
    rng: random.Random,
    pupil_id: str,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    *,
    lunchtime: bool = False,
) -> None:
    if last < first:
        return
    day = _weekday(first + dt.timedelta(days=rng.randint(0, (last - first).days)))
    if day > today:
        return
    half_days = 1 if lunchtime else rng.choice([2, 2, 2, 3, 4, 6])
    # An overlap with one already drawn is refused: fine for demo data.
    with contextlib.suppress(ValidationError):
        suspensions.record_suspension(
            store,
            pupil_id,
            suspensions.SuspensionDetails(
                day,
                half_days,
                rng.choice(REASONS_BEFORE),
                "Letter sent home; reintegration meeting held.",
            ),
        )


def _attendance(
    store: Store, rng: random.Random, pupil_id: str, support: list[_Support], today: dt.date
) -> None:
    base = rng.uniform(88, 97)
    day = _weekday(dt.date(academic_year_start(today) - 1, 9, 29))
    while day <= today:
        level = base
        for episode in support:
            if day < episode.start:
                level -= 4
            else:
                end = episode.closed_on or today
                weeks = min((day - episode.start).days, (end - episode.start).days) / 7
                level += min(6.0, weeks * 0.6) - 4
        level = max(55.0, min(99.5, level + rng.uniform(-1.5, 1.5)))
        if day.month != 8:
            attendance.record_attendance(
                store, pupil_id, attendance.AttendanceDetails(as_of=day, percent=round(level, 1))
            )
        day = _weekday(day + dt.timedelta(weeks=4))


def add_demo_attendance(store: Store, rng: random.Random) -> int:
    """Suspensions, attendance, an exclusion and impact areas for the demo school."""
    today = store.clock.today()
    _add_last_year(store, rng, today)
    supported = _supported(store)
    by_pupil: dict[str, list[_Support]] = {}
    for episode in supported:
        by_pupil.setdefault(episode.pupil_id, []).append(episode)
    register = [row.pupil_id for row in pupils.caseload(store)]
    for pupil_id in register:
        _attendance(store, rng, pupil_id, by_pupil.get(pupil_id, []), today)
    lunchtime_given = False
    for pupil_id, episodes in by_pupil.items():
        for episode in episodes:
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
                _suspend(
                    store,
                    rng,
                    pupil_id,
                    episode.referral - dt.timedelta(days=330),
                    episode.referral - dt.timedelta(days=7),
                    today,
                )
            if rng.random() < 0.3:
                _suspend(store, rng, pupil_id, episode.start, episode.closed_on or today, today)
            if episode.closed_on is not None and rng.random() < 0.3:
                _suspend(
                    store,
                    rng,
                    pupil_id,
                    episode.closed_on + dt.timedelta(days=3),
                    episode.closed_on + dt.timedelta(days=120),
                    today,
                    lunchtime=not lunchtime_given,
                )
                lunchtime_given = True
    without_case = [p for p in register if p not in by_pupil]
    for pupil_id in rng.sample(without_case, min(4, len(without_case))):
        _suspend(store, rng, pupil_id, today - dt.timedelta(days=300), today, today)
    if supported:
        excluded = supported[0]
        day = _weekday(excluded.referral - dt.timedelta(days=60))
        exclusion = suspensions.record_exclusion(
            store,
            excluded.pupil_id,
            suspensions.ExclusionDetails(
                exclusion_date=day,
                reason="assault_adult",
                note="Governors' meeting arranged; alternative provision from day six.",
            ),
        )
        suspensions.decide_exclusion(
            store,
            exclusion.id,
            "rescinded",
            min(today, day + dt.timedelta(days=12)),
            "Governors rescinded: the plan of support was agreed.",
        )
    for row in store.db.query("SELECT id FROM cases WHERE plan_type = 'family' ORDER BY id"):
        for area in rng.sample(list(impact_areas.IMPACT_AREAS), 5):
            impact_areas.record_impact_area(
                store, str(row["id"]), area, rng.choice(range(20, 101, 5))
            )
    return len(by_pupil)
