"""Closure, sustainability plans, follow-ups, questionnaires, re-referrals and the Due list."""

from __future__ import annotations

import datetime as dt

import pytest

from semh_desktop.closure import closure, questionnaires, sustainability
from semh_desktop.closure.closure import CannotClose, ClosureDetails
from semh_desktop.closure.questionnaires import QuestionnaireEntry
from semh_desktop.closure.sustainability import ActionDetails, FollowUpResult, SignpostDetails
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.errors import StoreError, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.plans import cases, scaling
from semh_desktop.plans.progress import case_progress
from semh_desktop.plans.scaling import MID
from semh_desktop.register import audit, pupils
from semh_desktop.reporting import due

from .closure_fixtures import closed_case, open_case_on, ready_to_close, score_all
from .conftest import sample_details

D = dt.date
TODAY = D(2026, 11, 23)  # the fixed clock: a Monday
SECOND_UPN = "Q801200005002"
THIRD_UPN = "E801200005003"


def closing(**changes: object) -> ClosureDetails:
    details = ClosureDetails(
        closed_on=TODAY, attendees="Mum, Mr Whitlock (class teacher), worker", reason="stepped_down"
    )
    for name, value in changes.items():
        setattr(details, name, value)
    return details


def audit_rows(store: Store, record_type: str) -> list[audit.AuditEntry]:
    return [e for e in audit.entries(store) if e.record_type == record_type]


# Closing -------------------------------------------------------------------------------------


def test_closing_with_missing_final_scores_is_refused_with_the_list(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    case = open_case_on(store, pupil.id, D(2026, 9, 21))
    # Targets 1, 2 and aims 1, 2 get baselines; only target 1 gets a final score.
    score_all(store, case, baseline_on=D(2026, 9, 28), final_on=D(2026, 11, 16), skip_final=3)
    before = len(audit.entries(store))

    with pytest.raises(CannotClose) as refused:
        closure.close_case(store, case.id, closing())

    assert refused.value.missing == [
        'Target 2 (learning): "I can finish my reading book each week"',
        'Aim 1 (case aim): "Support the pupil\'s emotional regulation"',
        'Aim 2 (case aim): "Help home and school talk every week"',
    ]
    assert refused.value.field == "final_scores"
    assert "I can finish my reading book each week" in refused.value.message
    assert "Target 1" not in refused.value.message
    row = next(iter(store.db.query("SELECT * FROM cases WHERE id = ?", [case.id])))
    assert (row["status"], row["closed_on"], row["closure_reason"]) == ("open", None, None)
    assert store.db.execute("SELECT count(*) FROM follow_ups").fetchone()[0] == 0
    assert len(audit.entries(store)) == before


def test_a_mid_score_is_not_a_final_score(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    case = open_case_on(store, pupil.id, D(2026, 9, 21))
    score_all(store, case, baseline_on=D(2026, 9, 28), final_on=None)
    for item in case_progress(store, case.id):
        if item.item == "target":
            scaling.record_score(
                store, case.id, MID, 6, target_id=item.item_id, held_on=D(2026, 10, 26)
            )
    assert len(closure.missing_final_scores(store, case.id)) == 4


def test_closing_records_the_meeting_and_books_follow_ups_at_3_and_6_weeks(store: Store) -> None:
    case = ready_to_close(store)
    result = closure.close_case(store, case.id, closing())

    assert result.reason_label == "Outcomes achieved: stepped down to school"
    row = next(iter(store.db.query("SELECT * FROM cases WHERE id = ?", [case.id])))
    assert row["status"] == "closed"
    assert row["closed_on"] == "2026-11-23"
    assert row["closure_reason"] == "stepped_down"
    assert row["closure_reason_other"] is None
    assert row["closing_attendees"] == "Mum, Mr Whitlock (class teacher), worker"
    follow_ups = list(
        store.db.query(
            "SELECT number, scheduled_on, observation_on, held_on FROM follow_ups "
            "WHERE case_id = ? ORDER BY number",
            [case.id],
        )
    )
    # 23/11/2026 + 3 weeks = 14/12/2026; + 6 weeks = 04/01/2027; observations a week before.
    assert follow_ups == [
        {
            "number": 1,
            "scheduled_on": "2026-12-14",
            "observation_on": "2026-12-07",
            "held_on": None,
        },
        {
            "number": 2,
            "scheduled_on": "2027-01-04",
            "observation_on": "2026-12-28",
            "held_on": None,
        },
    ]
    case_audit = [e for e in audit.entries(store, case.id) if e.action == "change"]
    assert case_audit[-1].detail.startswith("closed;")
    assert "Mum" not in case_audit[-1].detail
    assert len(audit_rows(store, "follow_up")) == 2
    with pytest.raises(ValidationError, match="already closed"):
        closure.close_case(store, case.id, closing())


def test_follow_up_dates_can_be_chosen_and_moved(store: Store) -> None:
    case = ready_to_close(store)
    closure.close_case(store, case.id, closing(follow_ups=[D(2026, 12, 16), None]))
    first, second = sustainability.follow_ups_for_case(store, case.id)
    assert (first.scheduled_on, first.observation_on) == (D(2026, 12, 16), D(2026, 12, 9))
    assert second.scheduled_on == D(2027, 1, 4)

    moved = sustainability.move_follow_up(
        store, second.id, scheduled_on=D(2027, 1, 11), observation_on=D(2027, 1, 8)
    )
    assert (moved.scheduled_on, moved.observation_on) == (D(2027, 1, 11), D(2027, 1, 8))
    assert audit_rows(store, "follow_up")[-1].detail == "fields: observation_on, scheduled_on"
    with pytest.raises(ValidationError) as after:
        sustainability.move_follow_up(
            store, second.id, scheduled_on=D(2027, 1, 11), observation_on=D(2027, 1, 12)
        )
    assert after.value.field == "observation_on"
    with pytest.raises(ValidationError) as before_closure:
        sustainability.move_follow_up(
            store, second.id, scheduled_on=D(2026, 11, 20), observation_on=None
        )
    assert before_closure.value.field == "scheduled_on"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closed_on": None}, "closed_on"),
        ({"closed_on": D(2026, 11, 24)}, "closed_on"),  # tomorrow
        ({"closed_on": D(2026, 11, 13)}, "closed_on"),  # before the final review (16/11)
        ({"attendees": "  "}, "attendees"),
        ({"reason": ""}, "reason"),
        ({"reason": "other", "reason_other": " "}, "reason_other"),
        ({"follow_ups": [D(2026, 11, 23)]}, "follow_up_1"),
        ({"follow_ups": [D(2026, 12, 20), D(2026, 12, 10)]}, "follow_up_2"),
    ],
)
def test_closing_fields_are_checked(store: Store, changes: dict[str, object], field: str) -> None:
    case = ready_to_close(store)
    with pytest.raises(ValidationError) as refused:
        closure.close_case(store, case.id, closing(**changes))
    assert refused.value.field == field
    assert cases.get_case(store, case.id).is_open


def test_other_reason_keeps_its_words(store: Store) -> None:
    case = ready_to_close(store)
    result = closure.close_case(
        store, case.id, closing(reason="other", reason_other="Family asked to pause")
    )
    assert result.reason_label == "Other: Family asked to pause"


# Re-referral ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"), [(0, True), (364, True), (365, True), (366, False), (380, False)]
)
def test_re_referral_within_12_months(store: Store, days: int, expected: bool) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    first = closed_case(store, pupil.id, D(2025, 9, 1), D(2025, 11, 3))
    referral = D(2025, 11, 3) + dt.timedelta(days=days)
    second = open_case_on(store, pupil.id, referral)

    row = next(
        iter(
            store.db.query(
                "SELECT previous_case_id, is_re_referral FROM cases WHERE id = ?", [second.id]
            )
        )
    )
    assert row["previous_case_id"] == first.id  # linked to the earlier case either way
    assert row["is_re_referral"] == int(expected)
    assert closure.is_re_referral(D(2025, 11, 3), referral) is expected
    first_row = next(
        iter(
            store.db.query(
                "SELECT previous_case_id, is_re_referral FROM cases WHERE id = ?", [first.id]
            )
        )
    )
    assert (first_row["previous_case_id"], first_row["is_re_referral"]) == (None, 0)


def test_a_first_case_and_other_pupils_are_not_re_referrals(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    other = pupils.add_pupil(store, sample_details(upn=SECOND_UPN))
    closed_case(store, pupil.id, D(2025, 9, 1), D(2025, 11, 3))
    fresh = open_case_on(store, other.id, D(2026, 1, 5))
    row = next(
        iter(
            store.db.query(
                "SELECT previous_case_id, is_re_referral FROM cases WHERE id = ?", [fresh.id]
            )
        )
    )
    assert (row["previous_case_id"], row["is_re_referral"]) == (None, 0)


def test_case_history_in_order_with_links(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    first = closed_case(store, pupil.id, D(2024, 9, 2), D(2024, 11, 4), reason="disengaged")
    second = closed_case(store, pupil.id, D(2025, 9, 1), D(2025, 11, 3))  # 303 days later
    third = open_case_on(store, pupil.id, D(2026, 11, 16))  # 378 days later

    history = closure.case_history(store, pupil.id)
    assert [h.case.id for h in history] == [first.id, second.id, third.id]
    assert [h.is_re_referral for h in history] == [False, True, False]
    assert [h.previous_case_id for h in history] == [None, first.id, second.id]
    assert [h.days_since_previous for h in history] == [None, 301, 378]
    assert history[0].closure is not None
    assert history[0].closure.reason_label == "Disengaged"
    assert history[2].closure is None
    assert "re-referral (301 days" in history[1].label


# Sustainability plan and follow-ups ----------------------------------------------------------


def test_actions_and_signposting(store: Store) -> None:
    case = ready_to_close(store)
    closure.close_case(store, case.id, closing())
    target = case_progress(store, case.id)[0]
    action = sustainability.add_action(
        store,
        case.id,
        ActionDetails(
            "Morning check-in with a key adult",
            "Mr Whitlock",
            "Every morning",
            D(2027, 2, 12),
            target.item_id,
        ),
    )
    sustainability.add_action(
        store,
        case.id,
        ActionDetails("Calm card kept in planner", "Form tutor", "Every lesson", None, None),
    )
    sustainability.add_signpost(
        store,
        case.id,
        SignpostDetails("Family Hub parenting group", "01632 960 123", "Tuesday evenings"),
    )

    actions = sustainability.actions_for_case(store, case.id)
    assert [(a.position, a.details.who) for a in actions] == [(1, "Mr Whitlock"), (2, "Form tutor")]
    assert actions[0].details.target_id == target.item_id
    assert actions[1].until_label == "No end date"
    assert [s.details.service for s in sustainability.signposts_for_case(store, case.id)] == [
        "Family Hub parenting group"
    ]

    updated = sustainability.update_action(
        store,
        action.id,
        ActionDetails(
            "Morning check-in with a key adult",
            "Mrs Okafor",
            "Every morning",
            D(2027, 2, 12),
            target.item_id,
        ),
    )
    assert updated.details.who == "Mrs Okafor"
    assert audit_rows(store, "sustainability_action")[-1].detail == "fields: who"
    sustainability.remove_action(store, action.id)
    assert [a.position for a in sustainability.actions_for_case(store, case.id)] == [2]
    assert store.db.execute("SELECT count(*) FROM sustainability_actions").fetchone()[0] == 2

    with pytest.raises(ValidationError) as missing:
        sustainability.add_action(store, case.id, ActionDetails("", "x", "daily"))
    assert missing.value.field == "action"
    other = open_case_on(
        store, pupils.add_pupil(store, sample_details(upn=SECOND_UPN)).id, D(2026, 10, 1)
    )
    other_targets = scaling_targets(store, other)
    with pytest.raises(ValidationError) as wrong_target:
        sustainability.add_action(
            store, case.id, ActionDetails("Check-in", "Worker", "Daily", None, other_targets[0])
        )
    assert wrong_target.value.field == "target_id"


def scaling_targets(store: Store, case: cases.Case) -> list[str]:
    from .psp_fixtures import add_targets

    return [t.id for t in add_targets(store, case)]


def test_complete_a_follow_up(store: Store) -> None:
    case = ready_to_close(store, final_on=D(2026, 10, 26))
    closure.close_case(store, case.id, closing(closed_on=D(2026, 10, 26)))
    first_action = sustainability.add_action(
        store, case.id, ActionDetails("Morning check-in", "Mr Whitlock", "Every morning")
    )
    second_action = sustainability.add_action(
        store, case.id, ActionDetails("Lunch club place", "Learning mentor", "Twice a week")
    )
    follow_up = sustainability.follow_ups_for_case(store, case.id)[0]
    assert follow_up.scheduled_on == D(2026, 11, 16)

    with pytest.raises(ValidationError) as unanswered:
        sustainability.complete_follow_up(
            store,
            follow_up.id,
            FollowUpResult(
                held_on=D(2026, 11, 16),
                observation_note="Settled in maths.",
                checks={first_action.id: "yes"},
                outcome="Going well.",
            ),
        )
    assert unanswered.value.field == "checks"

    done = sustainability.complete_follow_up(
        store,
        follow_up.id,
        FollowUpResult(
            held_on=D(2026, 11, 16),
            observed_on=D(2026, 11, 12),
            observation_note="Settled in maths; asked for help twice.",
            checks={first_action.id: "yes", second_action.id: "partly"},
            check_notes={second_action.id: "Club full on Thursdays"},
            outcome="Keep going; review lunch club in spring.",
        ),
    )
    assert done.held_on == D(2026, 11, 16)
    assert [(c.action_id, c.status, c.note) for c in done.checks] == [
        (first_action.id, "yes", ""),
        (second_action.id, "partly", "Club full on Thursdays"),
    ]
    stored = next(iter(store.db.query("SELECT * FROM follow_ups WHERE id = ?", [follow_up.id])))
    assert stored["observed_on"] == "2026-11-12"
    assert stored["completed_by"] == store.staff_id
    assert audit_rows(store, "follow_up")[-1].detail.startswith("held; actions checked: 2")

    with pytest.raises(ValidationError, match="already been recorded"):
        sustainability.complete_follow_up(
            store,
            follow_up.id,
            FollowUpResult(
                held_on=D(2026, 11, 17),
                observation_note="x",
                outcome="y",
                checks={first_action.id: "no", second_action.id: "no"},
            ),
        )
    with pytest.raises(StoreError), store.atomic():
        store.db.execute("UPDATE follow_ups SET outcome = 'changed' WHERE id = ?", [follow_up.id])


def test_observation_recorded_before_the_meeting(store: Store, clock: FixedClock) -> None:
    case = ready_to_close(store, final_on=D(2026, 10, 26))
    closure.close_case(store, case.id, closing(closed_on=D(2026, 10, 26)))
    follow_up = sustainability.follow_ups_for_case(store, case.id)[0]
    observed = sustainability.record_observation(
        store, follow_up.id, D(2026, 11, 10), "Calm at break time."
    )
    assert observed.observed_on == D(2026, 11, 10)
    # With the observation recorded, the meeting needs no new note.
    done = sustainability.complete_follow_up(
        store, follow_up.id, FollowUpResult(held_on=D(2026, 11, 16), outcome="All fine.")
    )
    assert done.observation_note == "Calm at break time."


# Questionnaires ------------------------------------------------------------------------------


def test_questionnaires_school_now_parent_later(store: Store, clock: FixedClock) -> None:
    case = ready_to_close(store)
    closure.close_case(store, case.id, closing())
    entry = questionnaires.blank_entry(store, "school")
    entry.completed_on = TODAY
    entry.answers = [(text, 4) for text, _ in entry.answers]
    entry.partnership = "improved"
    school = questionnaires.record_questionnaire(store, case.id, entry)
    assert school.mean == 4.0

    # The school edits the parent items; the parent's paper form arrives a week later.
    questionnaires.set_item_list(
        store,
        "parent",
        ["I am pleased with my child's progress.", "The worker understood my child's needs."],
    )
    clock.advance(days=7)
    parent = questionnaires.blank_entry(store, "parent")
    parent.completed_on = D(2026, 11, 25)
    parent.answers = [(parent.answers[0][0], 5), (parent.answers[1][0], None)]
    stored = questionnaires.record_questionnaire(store, case.id, parent)
    assert [(a.item_text, a.score) for a in stored.answers] == [
        ("I am pleased with my child's progress.", 5),
        ("The worker understood my child's needs.", None),
    ]
    assert stored.partnership is None
    rows = list(
        store.db.query(
            "SELECT respondent, completed_on, partnership FROM questionnaires ORDER BY respondent"
        )
    )
    assert rows == [
        {"respondent": "parent", "completed_on": "2026-11-25", "partnership": None},
        {"respondent": "school", "completed_on": "2026-11-23", "partnership": "improved"},
    ]
    assert [q.respondent for q in questionnaires.questionnaires_for_case(store, case.id)] == [
        "school",
        "parent",
    ]
    # The school's answers kept the default wording.
    assert school.answers[0].item_text == questionnaires.DEFAULT_ITEMS["school"][0]

    with pytest.raises(ValidationError) as twice:
        questionnaires.record_questionnaire(store, case.id, parent)
    assert twice.value.field == "respondent"
    details = [e.detail for e in audit_rows(store, "questionnaire")]
    assert details[-1].endswith("respondent: parent; items: 2; answered: 1")


def test_questionnaire_answers_are_checked(store: Store) -> None:
    case = ready_to_close(store)
    entry = QuestionnaireEntry("parent", TODAY, [("Pleased with progress", 6)], "same")
    with pytest.raises(ValidationError) as high:
        questionnaires.record_questionnaire(store, case.id, entry)
    assert high.value.field == "answers"
    entry = QuestionnaireEntry("parent", TODAY, [("Pleased with progress", None)], None)
    with pytest.raises(ValidationError, match="Nothing was answered"):
        questionnaires.record_questionnaire(store, case.id, entry)
    with pytest.raises(ValidationError):
        questionnaires.set_item_list(store, "parent", ["  "])


# The Due list --------------------------------------------------------------------------------


def due_fixture(store: Store) -> dict[str, str]:
    """Three pupils: an open PSP, a case closed on 02/11/2026, a case closed on 12/10/2026."""
    ids = {}
    # Open PSP started 05/10/2026 for 8 weeks: mid 02/11 (not held: overdue), final 30/11.
    pupil = pupils.add_pupil(store, sample_details())
    details = cases.CaseDetails(
        referral_date=D(2026, 9, 21),
        referred_by="Head of Year",
        reason="Refusing class",
        plan_type="psp",
        start_date=D(2026, 10, 5),
        length_weeks=8,
    )
    ids["open_case"] = cases.open_case(store, pupil.id, details).id
    ids["open_pupil"] = pupil.id
    # Closed 02/11/2026: follow-ups 23/11 (obs. 16/11) and 14/12 (obs. 07/12).
    second = pupils.add_pupil(
        store, sample_details(upn=SECOND_UPN, legal_forename="Ama", preferred_forename="")
    )
    closed = closed_case(store, second.id, D(2026, 8, 24), D(2026, 11, 2))
    ids["closed_pupil"] = second.id
    ids["ended_action"] = sustainability.add_action(
        store, closed.id, ActionDetails("Lunch club", "Mentor", "Weekly", D(2026, 11, 20))
    ).id
    sustainability.add_action(
        store, closed.id, ActionDetails("Check-in", "Tutor", "Daily", D(2026, 12, 18))
    )
    # Closed 12/10/2026: follow-up 1 held on 02/11; follow-up 2 on 23/11 (obs. 16/11).
    third = pupils.add_pupil(
        store, sample_details(upn=THIRD_UPN, legal_forename="Kai", preferred_forename="")
    )
    old = closed_case(store, third.id, D(2026, 7, 13), D(2026, 10, 12))
    first_follow_up = sustainability.follow_ups_for_case(store, old.id)[0]
    sustainability.complete_follow_up(
        store,
        first_follow_up.id,
        FollowUpResult(held_on=D(2026, 11, 2), observation_note="Fine", outcome="Fine"),
    )
    ids["third_pupil"] = third.id
    return ids


def summary(items: list[due.DueItem]) -> list[tuple[str, str, str, str]]:
    return [(i.due_on.isoformat(), i.kind, i.status, i.pupil_name) for i in items]


def test_due_list_on_a_fixed_monday(store: Store) -> None:
    due_fixture(store)
    # Monday 23/11/2026: this week 23-29/11, next week 30/11-06/12.
    assert summary(due.due_items(store)) == [
        ("2026-11-02", "mid_review", "overdue", "Zoë O'Neill"),
        ("2026-11-16", "observation", "overdue", "Ama O'Neill"),
        ("2026-11-16", "observation", "overdue", "Kai O'Neill"),
        ("2026-11-20", "action_ended", "ended", "Ama O'Neill"),
        ("2026-11-23", "follow_up", "this_week", "Ama O'Neill"),
        ("2026-11-23", "follow_up", "this_week", "Kai O'Neill"),
        ("2026-11-30", "final_review", "next_week", "Zoë O'Neill"),
    ]
    assert due.due_count(store) == 7


def test_due_list_moves_with_the_clock(store: Store, clock: FixedClock) -> None:
    ids = due_fixture(store)
    # Thursday 03/12/2026: window 30/11-13/12.
    clock.moment = dt.datetime(2026, 12, 3, 9, 0)
    items = due.due_items(store)
    assert ("2026-12-07", "observation", "next_week", "Ama O'Neill") in summary(items)
    assert ("2026-11-30", "final_review", "overdue", "Zoë O'Neill") in summary(items)
    # Looking at the ended action takes it off the list; so does holding the mid review.
    sustainability.mark_end_reviewed(store, ids["ended_action"])
    case = cases.get_case(store, ids["open_case"])
    target_id = scaling_targets(store, case)[0]
    scaling.record_score(
        store, case.id, scaling.BASELINE, 3, target_id=target_id, held_on=D(2026, 10, 5)
    )
    scaling.record_score(store, case.id, MID, 5, target_id=target_id, held_on=D(2026, 11, 2))
    kinds = {(i.kind, i.pupil_id) for i in due.due_items(store)}
    assert ("action_ended", ids["closed_pupil"]) not in kinds
    assert ("mid_review", ids["open_pupil"]) not in kinds
    assert ("final_review", ids["open_pupil"]) in kinds


def test_due_list_leaves_out_later_and_archived(store: Store) -> None:
    ids = due_fixture(store)
    # Monday 09/11/2026: window 09/11-22/11; the follow-ups on 23/11 are not shown yet and the
    # action ending on 20/11 has not ended.
    assert summary(due.due_items(store, D(2026, 11, 9))) == [
        ("2026-11-02", "mid_review", "overdue", "Zoë O'Neill"),
        ("2026-11-16", "observation", "next_week", "Ama O'Neill"),
        ("2026-11-16", "observation", "next_week", "Kai O'Neill"),
    ]
    pupils.archive_pupil(store, ids["third_pupil"])
    assert all(i.pupil_id != ids["third_pupil"] for i in due.due_items(store))
