"""Demo PSPs and a family plan for the fictional school, at every stage of the plan.

Several register pupils get an open case: one just started (baseline only), one past its
mid-point, one finished with final scores, a 12-week plan with an extra review, a family plan
on the Signs of Safety scale, and one drafted plan that starts next week. Independent scores
are recorded at the contracting meetings, with one clear disagreement.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from semh_desktop.core.store import Store
from semh_desktop.plans import case_aims, cases, scaling, targets
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.scaling import BASELINE, FINAL, MID, ItemScoring, Person, ReviewEntry
from semh_desktop.plans.targets import TargetWording
from semh_desktop.register import pupils, staff

BEHAVIOUR = [
    TargetWording(
        "I can stay in class for the whole lesson",
        "Check in with me at the door and give me a job at the start of lessons.",
        "Talk with me each evening about one lesson that went well.",
        "Use my time-out card and come back within five minutes.",
        "Funny, kind to younger pupils, loves football.",
        "Ten minutes of football with Mr Whitlock on Friday.",
        "Mr Whitlock (learning mentor)",
    ),
    TargetWording(
        "I can tell an adult when I start to feel cross",
        "Teach me the 'hand signal' and notice when I use it.",
        "Use the same signal at home.",
        "Show the signal and go to the calm corner.",
        "Good at drawing; wants to help others.",
        "Sticker chart: five stickers means choosing the class game.",
        "Class teacher",
    ),
    TargetWording(
        "I can play with my friends at lunchtime without falling out",
        "A lunchtime club twice a week with a named adult.",
        "Arrange one after-school meet-up with a friend.",
        "Choose a game with rules we agree first.",
        "Energetic, brave, good at making others laugh.",
        "Lunchtime helper badge.",
        "Lunchtime supervisor and learning mentor",
    ),
]
LEARNING = [
    TargetWording(
        "I can start my work within five minutes of the lesson",
        "Give me a written first step on my desk.",
        "Help me pack my bag the night before.",
        "Read the first step and try it before asking for help.",
        "Good memory for facts; likes science.",
        "Choose the science experiment on Thursday.",
        "Form tutor",
    ),
    TargetWording(
        "I can read with an adult three times a week",
        "A quiet reading slot in the library on Monday, Wednesday and Friday.",
        "Read one page together at bedtime.",
        "Bring my reading book every day.",
        "Loves comics and animal facts.",
        "Pick the next class book.",
        "Teaching assistant",
    ),
]
FAMILY_GOALS = [
    TargetWording(
        "Mornings at home are calm and we arrive at school on time",
        "Meet us at the gate and give a calm start in the nurture room.",
        "Use a picture timetable for the morning; bedtime by 8.30pm.",
        "Follow my morning picture list.",
        "A loving family who want things to be better.",
        "A family film night at the weekend.",
        "Family practitioner",
    ),
    TargetWording(
        "Home and school talk every week about what is going well",
        "A five-minute phone call every Friday.",
        "Share one good thing from home each week.",
        "Tell my family one good thing from school.",
        "Mum knows what helps when things are hard.",
        "Praise and a postcard home.",
        "Worker and parent",
    ),
]
AIMS = ["emotional_regulation", "relationships", "friendships", "self_esteem"]


@dataclass(frozen=True)
class _Plan:
    plan_type: str
    weeks: int
    start_weeks_ago: int  # negative: starts in the future
    points: tuple[str, ...]  # scoring points held so far: baseline, mid, extra, final
    disagreement: bool = False


PLANS = [
    _Plan("psp", 8, 0, ("baseline",), disagreement=True),  # just started
    _Plan("psp", 8, 5, ("baseline", "mid")),  # after the mid-point
    _Plan("psp", 8, 9, ("baseline", "mid", "final")),  # finished, ready to close
    _Plan("psp", 12, 8, ("baseline", "mid", "extra")),  # 12 weeks with an extra review
    _Plan("family", 12, 7, ("baseline", "mid")),  # family plan, Signs of Safety 0-10
    _Plan("psp", 16, -1, ()),  # drafted; starts next week, no consent yet
]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def add_demo_psp(store: Store, rng: random.Random) -> int:
    """Give several register pupils a plan at a different stage; returns how many."""
    today = store.clock.today()
    register = pupils.caseload(store)
    workers = [p for p in staff.list_staff(store) if p.role in ("pastoral", "senco")]
    if not register or not workers:
        return 0
    chosen = rng.sample(register, min(len(PLANS), len(register)))
    for row, plan in zip(chosen, PLANS, strict=False):
        _add_plan(store, rng, row.pupil_id, row.name.split()[0], plan, today, workers)
    return len(chosen)


def _add_plan(
    store: Store,
    rng: random.Random,
    pupil_id: str,
    forename: str,
    plan: _Plan,
    today: dt.date,
    workers: list[staff.Staff],
) -> None:
    start = _monday(today) - dt.timedelta(weeks=plan.start_weeks_ago)
    if plan.start_weeks_ago == 0 and start > today:
        start = today
    referral = min(today, start - dt.timedelta(days=rng.randint(10, 21)))
    worker = rng.choice(workers)
    consented = plan.points != ()
    case = cases.open_case(
        store,
        pupil_id,
        CaseDetails(
            referral_date=referral,
            referral_route=rng.choice(["school", "school", "hub", "parent"]),
            referred_by=rng.choice(["Head of Year", "SENCO", "Form tutor", "Partnership panel"]),
            reason=rng.choice(
                [
                    "Frequent removals from lessons and a suspension last term.",
                    "Low mood and withdrawal since the start of the year; friendship difficulties.",
                    "Angry outbursts at lunchtime; parent asked for support.",
                    "Poor attendance and anxiety about coming into school.",
                ]
            ),
            consent_date=referral + dt.timedelta(days=3) if consented else None,
            consent_by=rng.choice(["Mum", "Dad", "Grandparent (carer)", "Foster carer"])
            if consented
            else "",
            worker_id=worker.id,
            plan_type=plan.plan_type,
            start_date=start,
            length_weeks=plan.weeks,
        ),
    )
    cases.add_network_member(
        store,
        case.id,
        "Parent/carer",
        rng.choice(["Mum", "Dad", "Nan"]),
        "Reads the plan at home and praises progress",
    )
    cases.add_network_member(
        store,
        case.id,
        "Class teacher",
        rng.choice(["Mrs Penrose", "Mr Achebe", "Ms Lindgren"]),
        "Daily check-in",
    )
    cases.add_network_member(store, case.id, "Worker", worker.name, "Weekly session")
    if plan.plan_type == "family":
        wordings = [("family_goal", w) for w in FAMILY_GOALS]
    else:
        picks = rng.sample(BEHAVIOUR, 2) + rng.sample(LEARNING, 1)
        wordings = [
            ("behaviour_wellbeing", picks[0]),
            ("behaviour_wellbeing", picks[1]),
            ("learning", picks[2]),
        ]
    plan_targets = [targets.add_target(store, case.id, kind, w) for kind, w in wordings]
    aims = [case_aims.add_aim(store, case.id, key) for key in rng.sample(AIMS, 2)]
    if not plan.points:
        return
    low = case.scale.low
    baseline = {t.id: rng.randint(low + 1, low + 4) for t in plan_targets}
    aim_base = {a.id: rng.randint(1, 4) for a in aims}
    people = [
        Person("pupil", forename),
        Person("parent_carer"),
        Person("class_teacher"),
        Person("worker", worker.name),
    ]
    items = []
    for index, target in enumerate(plan_targets):
        agreed = baseline[target.id]
        own = {
            0: min(case.scale.high, agreed + rng.randint(0, 1)),
            1: agreed,
            2: max(low, agreed - 1),
            3: agreed,
        }
        if plan.disagreement and index == 0:
            own[0] = min(case.scale.high, agreed + 4)  # the pupil sees it very differently
        items.append(ItemScoring(target.id, agreed=agreed, independent=own))
    items += [ItemScoring(aim_id=a.id, agreed=aim_base[a.id]) for a in aims]
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(
            BASELINE, start, people, items, notes="Contracting meeting: plan agreed and signed."
        ),
    )
    current = dict(baseline)
    for point in plan.points[1:]:
        held = {"mid": case.mid_review, "final": case.final_review}.get(
            point, case.mid_review + dt.timedelta(weeks=2)
        )
        held = min(held, today)
        step_items = []
        for target in plan_targets:
            score = min(case.scale.high, current[target.id] + rng.randint(1, 3))
            current[target.id] = score
            step_items.append(
                ItemScoring(target.id, agreed=score, independent={0: score, 1: score})
            )
        if point == "final":
            step_items += [
                ItemScoring(aim_id=a.id, agreed=min(10, aim_base[a.id] + rng.randint(2, 5)))
                for a in aims
            ]
        scoring_point = {"mid": MID, "final": FINAL}.get(point, scaling.extra())
        scaling.record_review(
            store,
            case.id,
            ReviewEntry(
                scoring_point,
                held,
                people[:2] + people[3:],
                step_items,
                notes="Targets re-scaled with the pupil and parent.",
            ),
        )
