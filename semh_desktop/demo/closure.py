"""Demo closures for the fictional school: closed cases and what follows them.

Register pupils without a plan get, relative to today:
- a case closed about ten weeks ago, both follow-ups held, questionnaires from school and
  parent, and one action whose end date has passed (on the Due list);
- a case closed four weeks ago: the first follow-up held, the second still to come; the
  parent's questionnaire not back yet;
- a case closed two weeks ago: its first observation and follow-up due this week or next;
- a case stepped up to Children's Social Care three months ago;
- a re-referral: a case closed eight months ago and a new case opened a fortnight ago;
- an open PSP whose mid-point review was missed (overdue on the Due list).
Services and phone numbers are fictional (01632 960xxx is reserved for drama).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from semh_desktop.closure import closure, questionnaires, sustainability
from semh_desktop.closure.closure import ClosureDetails
from semh_desktop.closure.sustainability import ActionDetails, FollowUpResult, SignpostDetails
from semh_desktop.core.store import Store
from semh_desktop.plans import case_aims, cases, scaling
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.scaling import BASELINE, FINAL, MID, ItemScoring, ReviewEntry
from semh_desktop.plans.targets import TargetWording, add_target
from semh_desktop.register import pupils, staff

TARGETS = [
    ("behaviour_wellbeing", "I can ask for a break when I feel overwhelmed"),
    ("behaviour_wellbeing", "I can sort out a falling-out with words"),
    ("learning", "I can finish the first task in each lesson"),
    ("learning", "I can hand in my homework on time each week"),
]
ACTIONS = [
    ("Morning check-in with a key adult", "Learning mentor", "Every morning"),
    (
        "Time-out card kept in planner and honoured by all staff",
        "All teaching staff",
        "Whenever needed",
    ),
    ("Lunchtime club place with a named adult", "Lunchtime supervisor", "Twice a week"),
    ("Friday phone call home with one good thing", "Form tutor", "Weekly"),
    ("Written first step on the desk at the start of lessons", "Class teachers", "Every lesson"),
]
SIGNPOSTS = [
    (
        "Seaview Family Hub (fictional) parenting group",
        "01632 960 418",
        "Six evening sessions; free creche.",
    ),
    ("School nursing drop-in", "Ask at reception", "Wednesdays at lunchtime."),
    (
        "Coastline Young Carers (fictional)",
        "01632 960 772",
        "Holiday activities and a monthly group.",
    ),
    (
        "Online counselling for young people (fictional)",
        "Search 'Harbour Talk'",
        "Free and anonymous, 12 to 18.",
    ),
]
OUTCOMES = [
    "Most actions still in place; keep going until the end of term.",
    "Going well at school; mum reports calmer mornings.",
    "Lunch club lapsed; agreed to restart it next week.",
]
OBSERVATIONS = [
    "Settled quickly in maths; used the time-out card once and came back in five minutes.",
    "Played a team game at lunch without falling out; asked an adult for help once.",
    "Quiet but engaged in English; finished the first task without prompting.",
]


@dataclass(frozen=True)
class _Closed:
    weeks_ago: int  # closing meeting this many weeks before today
    reason: str
    actions: int
    signposts: int
    follow_ups_held: int
    questionnaires: tuple[str, ...]
    ended_action: bool = False


CLOSED = [
    _Closed(10, "stepped_down", 3, 2, 2, ("school", "parent"), ended_action=True),
    _Closed(4, "stepped_down", 2, 2, 1, ("school",)),
    _Closed(2, "transferred", 2, 1, 0, ()),
    _Closed(13, "stepped_up_csc", 1, 1, 2, ("school",)),
]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _open(
    store: Store, rng: random.Random, pupil_id: str, start: dt.date, worker: str, weeks: int = 8
) -> cases.Case:
    referral = start - dt.timedelta(days=rng.randint(10, 20))
    return cases.open_case(
        store,
        pupil_id,
        CaseDetails(
            referral_date=referral,
            referral_route=rng.choice(["school", "hub", "parent"]),
            referred_by=rng.choice(["Head of Year", "SENCO", "Form tutor"]),
            reason=rng.choice(
                [
                    "Struggling to manage feelings at break times.",
                    "Not settling to work; several removals from lessons.",
                    "Anxious about school after a change at home.",
                ]
            ),
            consent_date=referral + dt.timedelta(days=2),
            consent_by=rng.choice(["Mum", "Dad", "Carer"]),
            worker_id=worker,
            plan_type="psp",
            start_date=start,
            length_weeks=weeks,
        ),
    )


def _plan(store: Store, rng: random.Random, case: cases.Case) -> tuple[list[str], list[str]]:
    picks = rng.sample(TARGETS, 2)
    target_ids = [_add_target(store, case.id, kind, text, rng) for kind, text in picks]
    aim_ids = [
        case_aims.add_aim(store, case.id, key).id
        for key in rng.sample(
            ["emotional_regulation", "relationships", "friendships", "self_esteem"], 2
        )
    ]
    return target_ids, aim_ids


def _add_target(store: Store, case_id: str, kind: str, text: str, rng: random.Random) -> str:
    wording = TargetWording(
        text,
        "A key adult checks in at the start of the day.",
        "Talk about one good moment each evening.",
        "Use my card and come back when I am ready.",
        rng.choice(["Kind and funny.", "Loves art.", "Great at football."]),
        "Choosing the Friday activity.",
        "Learning mentor",
    )
    return add_target(store, case_id, kind, wording).id


def _score(
    store: Store,
    rng: random.Random,
    case: cases.Case,
    targets: list[str],
    aims: list[str],
    *,
    through: str,
) -> None:
    """Baseline at the start, then mid and (if `through` is final) final review scores."""
    base = {item: rng.randint(2, 4) for item in targets + aims}
    items = [ItemScoring(target_id=t, agreed=base[t]) for t in targets]
    items += [ItemScoring(aim_id=a, agreed=base[a]) for a in aims]
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(BASELINE, case.start_date, items=items, notes="Contracting meeting."),
    )
    if through == "baseline":
        return
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(
            MID,
            case.mid_review,
            items=[ItemScoring(target_id=t, agreed=base[t] + rng.randint(1, 3)) for t in targets],
        ),
    )
    finals = [
        ItemScoring(target_id=t, agreed=min(10, base[t] + rng.randint(3, 5))) for t in targets
    ]
    finals += [ItemScoring(aim_id=a, agreed=min(10, base[a] + rng.randint(2, 5))) for a in aims]
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(FINAL, case.final_review, items=finals, notes="Final review with the family."),
    )


def _closed_case(
    store: Store, rng: random.Random, pupil_id: str, worker: str, closed_on: dt.date, reason: str
) -> tuple[cases.Case, list[str]]:
    start = closed_on - dt.timedelta(weeks=8)
    case = _open(store, rng, pupil_id, start, worker)
    targets, aims = _plan(store, rng, case)
    _score(store, rng, case, targets, aims, through="final")
    closure.close_case(
        store,
        case.id,
        ClosureDetails(
            closed_on=closed_on,
            reason=reason,
            reason_other="",
            attendees=rng.choice(
                [
                    "Mum, form tutor, learning mentor, worker",
                    "Dad, Head of Year, worker",
                    "Carer, SENCO, class teacher, worker",
                ]
            ),
        ),
    )
    return case, targets


def _questionnaire(
    store: Store, rng: random.Random, case_id: str, respondent: str, on: dt.date
) -> None:
    entry = questionnaires.blank_entry(store, respondent)
    entry.completed_on = on
    entry.answers = [(text, rng.choice([4, 4, 5, 5, 5, 3])) for text, _ in entry.answers]
    entry.partnership = rng.choice(["improved", "improved", "same"])
    questionnaires.record_questionnaire(store, case_id, entry)


def _add_closed(
    store: Store, rng: random.Random, pupil_id: str, worker: str, plan: _Closed, today: dt.date
) -> None:
    closed_on = _monday(today) - dt.timedelta(weeks=plan.weeks_ago) + dt.timedelta(days=1)
    case, targets = _closed_case(store, rng, pupil_id, worker, closed_on, plan.reason)
    action_ids = []
    for index, (what, who, how_often) in enumerate(rng.sample(ACTIONS, plan.actions)):
        until = closed_on + dt.timedelta(weeks=rng.choice([12, 16, 20]))
        if plan.ended_action and index == 0:
            until = today - dt.timedelta(days=3)
        action_ids.append(
            sustainability.add_action(
                store,
                case.id,
                ActionDetails(what, who, how_often, until, targets[index % len(targets)]),
            ).id
        )
    for service, contact, note in rng.sample(SIGNPOSTS, plan.signposts):
        sustainability.add_signpost(store, case.id, SignpostDetails(service, contact, note))
    for follow_up in sustainability.follow_ups_for_case(store, case.id)[: plan.follow_ups_held]:
        held = min(follow_up.scheduled_on, today)
        sustainability.complete_follow_up(
            store,
            follow_up.id,
            FollowUpResult(
                held_on=held,
                observed_on=min(follow_up.observation_on, held),
                observation_note=rng.choice(OBSERVATIONS),
                checks={a: rng.choice(["yes", "yes", "partly", "no"]) for a in action_ids},
                outcome=rng.choice(OUTCOMES),
            ),
        )
    for respondent in plan.questionnaires:
        _questionnaire(store, rng, case.id, respondent, closed_on)


def add_demo_closure(store: Store, rng: random.Random) -> int:
    """Closed cases with plans and follow-ups, a re-referral and an overdue review."""
    today = store.clock.today()
    workers = [p.id for p in staff.list_staff(store) if p.role in ("pastoral", "senco")]
    with_cases = {row["pupil_id"] for row in store.db.query("SELECT pupil_id FROM cases")}
    free = [row for row in pupils.caseload(store) if row.pupil_id not in with_cases]
    if len(free) < len(CLOSED) + 2 or not workers:
        return 0
    chosen = rng.sample(free, len(CLOSED) + 2)
    for row, plan in zip(chosen, CLOSED, strict=False):
        _add_closed(store, rng, row.pupil_id, rng.choice(workers), plan, today)

    # A re-referral: closed 8 months ago (disengaged), referred again a fortnight ago.
    again = chosen[len(CLOSED)].pupil_id
    first_closed = _monday(today) - dt.timedelta(weeks=35)
    earlier, earlier_targets = _closed_case(
        store, rng, again, rng.choice(workers), first_closed, "disengaged"
    )
    action = sustainability.add_action(
        store,
        earlier.id,
        ActionDetails(*ACTIONS[0], first_closed + dt.timedelta(weeks=8), earlier_targets[0]),
    )
    for follow_up in sustainability.follow_ups_for_case(store, earlier.id):
        sustainability.complete_follow_up(
            store,
            follow_up.id,
            FollowUpResult(
                held_on=follow_up.scheduled_on,
                observed_on=follow_up.observation_on,
                observation_note="Seemed unsettled; left two lessons early.",
                checks={action.id: "partly" if follow_up.number == 1 else "no"},
                outcome="Family did not come; school to keep the check-in going.",
            ),
        )
    sustainability.mark_end_reviewed(store, action.id)
    start = _monday(today) - dt.timedelta(days=4)
    case = _open(store, rng, again, start, rng.choice(workers))
    targets, aims = _plan(store, rng, case)
    _score(store, rng, case, targets, aims, through="baseline")

    # An open PSP whose mid-point review (4 weeks in) was missed: overdue.
    late = chosen[len(CLOSED) + 1].pupil_id
    case = _open(store, rng, late, _monday(today) - dt.timedelta(weeks=6), rng.choice(workers))
    targets, aims = _plan(store, rng, case)
    _score(store, rng, case, targets, aims, through="baseline")
    return len(chosen)
