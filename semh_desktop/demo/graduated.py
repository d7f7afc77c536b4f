"""Demo graduated responses: phases across all four, checklist answers and APDR cycles."""

from __future__ import annotations

import datetime as dt
import random

from semh_desktop.core.store import Store
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.apdr import ApdrDetails, add_cycle
from semh_desktop.graduated.response import (
    AnswerRequest,
    PhaseChangeRequest,
    change_phase,
    record_answer,
)
from semh_desktop.register import pupils

_DEMO_NOTES = {
    "assess": [
        "Boxall Profile and SDQ completed with the form tutor; lowest scores in self-regulation.",
        "Observation in three lessons; difficulties mostly at unstructured times.",
        "Views gathered from the pupil, parent and two teachers.",
    ],
    "plan": [
        "Two mentor sessions a week and a calm-space pass; targets agreed with the family.",
        "ELSA sessions for six weeks; visual timetable in every lesson.",
        "Nurture group three mornings a week; key adult check-in at 8:40.",
    ],
    "do": [
        "Sessions happened as planned apart from one week of absence.",
        "Plan followed; staff log kept of every use of the calm space.",
        "Most sessions took place; the timetable was changed after the first fortnight.",
    ],
    "review": [
        "Fewer removals from lessons; attendance up slightly.",
        "Some progress with friendships; emotional outbursts still frequent.",
        "Targets partly met; parent reports calmer mornings.",
    ],
}
_DEMO_OUTCOMES = [
    "Continue at this phase with an adjusted plan.",
    "Progress made; step the plan down to universal support.",
    "Limited progress; seek external advice and step up.",
    "Targets met; keep the key adult and review next term.",
]


def add_demo_cycles(
    store: Store, pupil_id: str, rng: random.Random, *, start: dt.date, reviewed: int
) -> None:
    """Reviewed cycles one after another from `start`, then one still running (demo data)."""
    today = store.clock.today()
    day = start
    for _ in range(reviewed):
        assess = day
        plan = assess + dt.timedelta(days=rng.randrange(7, 15))
        do = plan + dt.timedelta(days=rng.randrange(3, 8))
        review = do + dt.timedelta(days=rng.randrange(42, 70))
        if review > today - dt.timedelta(days=60):
            break  # leave room for the cycle now running
        add_cycle(
            store,
            pupil_id,
            ApdrDetails(
                assess,
                plan,
                do,
                review,
                rng.choice(_DEMO_NOTES["assess"]),
                rng.choice(_DEMO_NOTES["plan"]),
                rng.choice(_DEMO_NOTES["do"]),
                rng.choice(_DEMO_NOTES["review"]),
                rng.choice(_DEMO_OUTCOMES),
            ),
        )
        day = review + dt.timedelta(days=rng.randrange(3, 15))
    # The current cycle started in the last few weeks; its review is booked.
    assess = max(day, today - dt.timedelta(days=rng.randrange(20, 50)))
    plan = min(today, assess + dt.timedelta(days=rng.randrange(5, 12)))
    do = min(today, plan + dt.timedelta(days=rng.randrange(3, 8)))
    add_cycle(
        store,
        pupil_id,
        ApdrDetails(
            assess,
            plan,
            do,
            do + dt.timedelta(days=rng.randrange(42, 60)),
            rng.choice(_DEMO_NOTES["assess"]),
            rng.choice(_DEMO_NOTES["plan"]),
            rng.choice(_DEMO_NOTES["do"]),
        ),
    )


_DEMO_REASONS = {
    "universal": [
        "Class teacher raised worries about withdrawal and tearfulness after half-term.",
        "New to the school mid-year; settling-in worries noted at the admission meeting.",
    ],
    "targeted": [
        "Universal strategies tried for a term with little change; frequent removals from lessons.",
        "Two suspensions this term and falling attendance; SEN support agreed with parents.",
    ],
    "targeted-plus": [
        "Reviewed APDR cycle shows limited progress; partnership panel advised "
        "outreach involvement.",
        "Escalating incidents despite the PSP; educational psychology advice requested.",
    ],
    "specialist": [
        "Two reviewed cycles with external advice, needs still not met; EHC needs "
        "assessment request agreed.",
        "Outreach team and educational psychologist both recommend a request for "
        "statutory assessment.",
    ],
}
_DEMO_DECIDERS = {
    "universal": ["senco"],
    "targeted": ["senco", "senco", "educational_psychologist"],
    "targeted-plus": ["partnership_panel", "senco", "outreach_team"],
    "specialist": ["partnership_panel", "educational_psychologist", "outreach_team"],
}
_DEMO_EVIDENCE = [
    "Agreed at the parent meeting; note on file.",
    "Timetable and plan shared with all staff by email.",
    "Record in the pastoral log; reviewed at the half-term check.",
    "Scores filed with the APDR paperwork.",
    "Minutes of the meeting saved in the SEN folder.",
    "Session log kept by the mentor; attendance at sessions 9 of 10.",
    "",
]


def add_demo_graduated_response(store: Store, rng: random.Random) -> int:
    """Give register pupils phases across all four, with histories, answers and APDR cycles.

    Returns how many pupils were given a graduated-response record.
    """
    template = gr_templates.current_template(store).template
    register = pupils.caseload(store)
    if not register:
        return 0
    today = store.clock.today()
    chosen = rng.sample(register, min(len(register), 16))
    staff_names = [
        row["name"]
        for row in store.db.query("SELECT name FROM staff WHERE role != 'read_only' ORDER BY name")
    ] or ["SENCO"]
    for n, row in enumerate(chosen):
        # Every phase is reached by some pupils: 0, 1, 2, 3 steps in turn.
        target = n % len(template.phases)
        start = today - dt.timedelta(days=rng.randrange(420, 560))
        step_days = max(40, (today - start).days // (target + 2))
        day = start
        for index in range(target + 1):
            phase = template.phases[index]
            reasons = _DEMO_REASONS.get(phase.id, ["Needs reviewed at the SEN meeting."])
            deciders = _DEMO_DECIDERS.get(phase.id, ["senco"])
            decider = rng.choice(deciders)
            change_phase(
                store,
                row.pupil_id,
                PhaseChangeRequest(
                    phase.id,
                    day,
                    rng.choice(reasons),
                    decider,
                    "Autumn panel" if decider == "partnership_panel" else "",
                ),
            )
            finished = index < target
            for item in phase.items:
                roll = rng.random()
                if not finished and roll < 0.35:
                    continue  # still to do at the current phase
                status = "not_applicable" if roll > 0.93 else "done"
                answered = min(today, day + dt.timedelta(days=rng.randrange(5, step_days)))
                evidence = rng.choice(_DEMO_EVIDENCE) if status == "done" else ""
                if status == "not_applicable":
                    evidence = "Not relevant to this pupil; agreed with parents."
                if rng.random() < 0.15 and status == "done":
                    record_answer(
                        store,
                        row.pupil_id,
                        item.id,
                        AnswerRequest(
                            "not_yet", answered - dt.timedelta(days=3), rng.choice(staff_names), ""
                        ),
                    )
                record_answer(
                    store,
                    row.pupil_id,
                    item.id,
                    AnswerRequest(status, answered, rng.choice(staff_names), evidence),
                )
            day = min(today, day + dt.timedelta(days=step_days))
        add_demo_cycles(store, row.pupil_id, rng, start=start, reviewed=target + (n % 2))
    return len(chosen)
