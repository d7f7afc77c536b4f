"""Cases, plans, targets, case aims, scoring points and independent scaling (issue 4)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlcipher3

from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.plans import case_aims, cases, progress, scaling, targets
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.plans.scaling import BASELINE, FINAL, MID, ItemScoring, Person, ReviewEntry
from semh_desktop.register import audit

from .psp_fixtures import START, add_aims, add_targets, make_case, wording

# --- review dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weeks", "mid", "final"),
    [
        # Start Monday 05/10/2026.
        # 8 weeks: mid after 4 weeks = 5 Oct + 28 days = 2 Nov; final after 56 days:
        # 26 days to 31 Oct, 30 in November -> 30 Nov.
        (8, dt.date(2026, 11, 2), dt.date(2026, 11, 30)),
        # 12 weeks: mid after 6 weeks = 42 days: 26 to 31 Oct + 16 -> 16 Nov;
        # final after 84 days: 26 (Oct) + 30 (Nov) = 56, + 28 -> 28 Dec.
        (12, dt.date(2026, 11, 16), dt.date(2026, 12, 28)),
        # 16 weeks: mid after 8 weeks = 56 days -> 30 Nov; final after 112 days:
        # 26 (Oct) + 30 (Nov) + 31 (Dec) = 87, + 25 -> 25 Jan 2027.
        (16, dt.date(2026, 11, 30), dt.date(2027, 1, 25)),
    ],
)
def test_review_dates_for_8_12_and_16_weeks(
    store: Store, weeks: int, mid: dt.date, final: dt.date
) -> None:
    case = make_case(store, weeks=weeks)
    assert (case.mid_review, case.final_review) == (mid, final)
    stored = next(iter(store.db.query("SELECT length_weeks, start_date FROM cases")))
    assert stored == {"length_weeks": weeks, "start_date": "2026-10-05"}


def test_psp_length_defaults_to_8_weeks_and_family_plan_to_12(store: Store) -> None:
    psp = make_case(store)
    assert psp.length_weeks == 8
    assert psp.final_review == dt.date(2026, 11, 30)
    family = make_case(store, plan_type="family", upn="M801200006001")
    assert family.length_weeks == 12


def test_odd_length_keeps_the_mid_point_on_the_meeting_weekday() -> None:
    # 9 weeks: half is 4.5, rounded down to 4 whole weeks -> still a Monday.
    mid, final = cases.review_dates(START, 9)
    assert mid == dt.date(2026, 11, 2)
    assert final == dt.date(2026, 12, 7)


def test_review_dates_can_be_moved_and_put_back(store: Store) -> None:
    case = make_case(store)
    moved = cases.move_review_dates(store, case.id, mid=dt.date(2026, 11, 4), final=None)
    assert moved.mid_review == dt.date(2026, 11, 4)
    assert moved.final_review == dt.date(2026, 11, 30)
    row = next(iter(store.db.query("SELECT mid_review_moved_to, final_review_moved_to FROM cases")))
    assert row == {"mid_review_moved_to": "2026-11-04", "final_review_moved_to": None}
    back = cases.move_review_dates(store, case.id, mid=None, final=None)
    assert back.mid_review == dt.date(2026, 11, 2)
    details = [e.detail for e in audit.entries(store, case.id) if e.action == "change"]
    assert details == ["fields: mid_review_moved_to", "fields: mid_review_moved_to"]
    with pytest.raises(ValidationError, match="after the mid-point"):
        cases.move_review_dates(store, case.id, mid=dt.date(2026, 12, 1), final=None)


# --- cases ---------------------------------------------------------------------------------


def test_case_records_the_referral_consent_worker_and_plan(store: Store) -> None:
    case = make_case(store)
    row = next(iter(store.db.query("SELECT * FROM cases")))
    assert row["referral_date"] == "2026-09-21"
    assert row["referred_by"] == "Head of Year 8"
    assert row["consent_date"] == "2026-09-28"
    assert row["consent_by"] == "Mum (Ms Tamsin Ellwood)"
    assert row["worker_id"] == store.staff_id
    assert row["plan_type"] == "psp"
    assert row["status"] == "open"
    created = [e for e in audit.entries(store, case.id) if e.action == "create"]
    assert len(created) == 1 and "Ellwood" not in created[0].detail


def test_case_validation_names_every_bad_field(store: Store) -> None:
    errors = cases.validate(
        store,
        CaseDetails(
            referral_date=dt.date(2027, 1, 1),
            consent_by="Dad",
            plan_type="psp",
            start_date=None,
            length_weeks=60,
        ),
    )
    assert set(errors) == {
        "referral_date",
        "referred_by",
        "reason",
        "consent_date",
        "start_date",
        "length_weeks",
    }


def test_one_open_case_per_pupil(store: Store) -> None:
    case = make_case(store)
    details = case.details
    with pytest.raises(ValidationError, match="already has an open case"):
        cases.open_case(store, case.pupil_id, details)
    assert len(list(store.db.query("SELECT id FROM cases"))) == 1


def test_plan_type_fixed_once_targets_exist(store: Store) -> None:
    case = make_case(store)
    add_targets(store, case)
    changed = CaseDetails(**{**case.details.__dict__, "plan_type": "family"})
    with pytest.raises(ValidationError, match="plan type cannot change"):
        cases.update_case(store, case.id, changed)


def test_network_around_the_child(store: Store) -> None:
    case = make_case(store)
    mum = cases.add_network_member(store, case.id, "Parent/carer", "Ms Tamsin Ellwood")
    cases.add_network_member(store, case.id, "Class teacher", "Mrs Okafor", "Daily check-in")
    cases.remove_network_member(store, mum.id)
    assert [m.label for m in cases.network(store, case.id)] == ["Mrs Okafor (Class teacher)"]
    assert len(list(store.db.query("SELECT id FROM case_network"))) == 2  # kept, hidden
    with pytest.raises(ValidationError, match="role"):
        cases.add_network_member(store, case.id, "  ")


# --- targets ---------------------------------------------------------------------------------


def test_fourth_target_is_refused_with_a_clear_message(store: Store) -> None:
    case = make_case(store)
    add_targets(store, case)
    targets.add_target(store, case.id, "learning", wording("I can ask for help in maths"))
    with pytest.raises(ValidationError) as refused:
        targets.add_target(store, case.id, "learning", wording("I can read aloud to my group"))
    assert "at most 3 targets" in refused.value.message
    assert "already has 3" in refused.value.message
    assert len(list(store.db.query("SELECT id FROM targets"))) == 3
    assert len(list(store.db.query("SELECT id FROM target_versions"))) == 3


def test_target_kind_and_text_are_checked(store: Store) -> None:
    case = make_case(store)
    with pytest.raises(ValidationError, match="learning or behaviour / wellbeing"):
        targets.add_target(store, case.id, "family_goal", wording("I can tidy my room"))
    with pytest.raises(ValidationError) as empty:
        targets.add_target(store, case.id, "learning", wording("   "))
    assert empty.value.field == "target_text"
    family = make_case(store, plan_type="family", upn="M801200006001")
    goal = targets.add_target(store, family.id, "family_goal", wording("Mornings are calm"))
    assert goal.kind_label == "Family goal"


def test_text_edits_after_baseline_keep_the_old_text(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    scaling.record_score(
        store, case.id, BASELINE, 3, target_id=target.id, held_on=dt.date(2026, 10, 5)
    )
    edited = targets.edit_target(
        store,
        target.id,
        wording(
            "I can stay in class for the whole lesson, using my calm card",
            school_actions="Calm card and a quiet corner in every lesson.",
        ),
    )
    assert edited.version == 2
    assert edited.text.endswith("using my calm card")
    history = targets.target_history(store, target.id)
    assert [v.wording.target_text for v in history] == [
        "I can stay in class for the whole lesson",
        "I can stay in class for the whole lesson, using my calm card",
    ]
    assert history[0].wording.school_actions == "Check in with me at the start of each day."
    change = [e for e in audit.entries(store, target.id) if e.action == "change"]
    assert change[-1].detail == "fields: target_text, school_actions"
    with pytest.raises(sqlcipher3.DatabaseError, match="history"):
        store.conn.execute("UPDATE target_versions SET target_text = 'x'")
    # Unchanged words do not add a version.
    assert targets.edit_target(store, target.id, edited.wording).version == 2


def test_kind_changes_only_before_scoring(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    changed = targets.edit_target(store, target.id, target.wording, kind="learning")
    assert changed.kind == "learning" and changed.version == 1
    scaling.record_score(store, case.id, BASELINE, 4, target_id=target.id)
    with pytest.raises(ValidationError, match="cannot change once it has a score"):
        targets.edit_target(store, target.id, target.wording, kind="behaviour_wellbeing")


# --- scales ----------------------------------------------------------------------------------


def test_score_outside_the_psp_scale_is_refused(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    for bad in (11, 0):
        with pytest.raises(ValidationError) as refused:
            scaling.record_score(store, case.id, BASELINE, bad, target_id=target.id)
        assert "use 1 to 10" in refused.value.message
    assert list(store.db.query("SELECT id FROM scores")) == []
    assert list(store.db.query("SELECT id FROM case_reviews")) == []


def test_score_outside_the_family_plan_scale_is_refused(store: Store) -> None:
    case = make_case(store, plan_type="family")
    goal = add_targets(store, case)[0]
    with pytest.raises(ValidationError) as refused:
        scaling.record_score(store, case.id, BASELINE, -1, target_id=goal.id)
    assert "use 0 to 10 on the Signs of Safety 0-10 scale" in refused.value.message
    with pytest.raises(ValidationError):
        scaling.record_score(store, case.id, BASELINE, 11, target_id=goal.id)
    scaling.record_score(store, case.id, BASELINE, 0, target_id=goal.id)  # 0 is on this scale
    assert [r["score"] for r in store.db.query("SELECT score FROM scores")] == [0]


def test_case_aims_are_scored_1_to_10_even_on_a_family_plan(store: Store) -> None:
    case = make_case(store, plan_type="family")
    aim = add_aims(store, case)[0]
    with pytest.raises(ValidationError, match="use 1 to 10"):
        scaling.record_score(store, case.id, BASELINE, 0, aim_id=aim.id)


def test_independent_scores_are_checked_against_the_scale(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    entry = ReviewEntry(
        BASELINE,
        dt.date(2026, 10, 5),
        [Person("pupil")],
        [ItemScoring(target.id, agreed=5, independent={0: 12})],
    )
    with pytest.raises(ValidationError, match="Pupil's score of 12"):
        scaling.record_review(store, case.id, entry)
    assert list(store.db.query("SELECT id FROM review_people")) == []


# --- scores over time ------------------------------------------------------------------------


def test_review_scores_append_and_the_latest_counts(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    scaling.record_score(
        store, case.id, BASELINE, 3, target_id=target.id, held_on=dt.date(2026, 10, 5)
    )
    scaling.record_score(store, case.id, MID, 5, target_id=target.id, held_on=dt.date(2026, 11, 2))
    # The mid-point entered again (a correction): a new row, the old one kept.
    scaling.record_score(store, case.id, MID, 6, target_id=target.id, held_on=dt.date(2026, 11, 2))
    scaling.record_score(store, case.id, FINAL, 8, target_id=target.id)
    rows = [r["score"] for r in store.db.query("SELECT score FROM scores ORDER BY seq")]
    assert rows == [3, 5, 6, 8]
    history = scaling.score_history(store, target_id=target.id)
    assert [(h.point.point, h.score, h.counts) for h in history] == [
        ("baseline", 3, True),
        ("mid", 5, False),
        ("mid", 6, True),
        ("final", 8, True),
    ]
    item = progress.case_progress(store, case.id)[0]
    assert (item.baseline, item.mid, item.final, item.change) == (3, 6, 8, 5)
    assert len(list(store.db.query("SELECT id FROM case_reviews"))) == 3
    with pytest.raises(sqlcipher3.DatabaseError, match="history"):
        store.conn.execute("UPDATE scores SET score = 1")
    with pytest.raises(sqlcipher3.DatabaseError, match="history"):
        store.conn.execute("DELETE FROM scores")


def test_extra_reviews_are_numbered(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    scaling.record_score(
        store, case.id, BASELINE, 2, target_id=target.id, held_on=dt.date(2026, 10, 5)
    )
    first = scaling.record_score(
        store, case.id, scaling.extra(), 4, target_id=target.id, held_on=dt.date(2026, 10, 19)
    )
    second = scaling.record_score(store, case.id, scaling.extra(), 5, target_id=target.id)
    assert (first.point.label, second.point.label) == ("Extra review 1", "Extra review 2")
    item = progress.case_progress(store, case.id)[0]
    assert item.extras == ((1, 4), (2, 5))
    assert item.change is None and item.change_so_far == 3
    assert scaling.next_point(store, case) == MID


def test_a_review_needs_a_baseline_first(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    with pytest.raises(ValidationError, match="no baseline score yet"):
        scaling.record_score(store, case.id, MID, 5, target_id=target.id)


def test_future_meeting_and_closed_case_are_refused(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    with pytest.raises(ValidationError, match="future"):
        scaling.record_score(
            store, case.id, BASELINE, 5, target_id=target.id, held_on=dt.date(2026, 11, 24)
        )
    store.db["cases"].update(case.id, {"status": "closed"})
    with pytest.raises(ValidationError, match="closed"):
        scaling.record_score(store, case.id, BASELINE, 5, target_id=target.id)
    with pytest.raises(ValidationError, match="closed"):
        targets.add_target(store, case.id, "learning", wording("I can read"))


# --- independent scaling ---------------------------------------------------------------------


def test_independent_scores_spread_and_disagreement(store: Store) -> None:
    case = make_case(store)
    first, second = add_targets(store, case)
    aim = add_aims(store, case)[0]
    people = [
        Person("pupil", "Zoë"),
        Person("parent_carer", "Ms Ellwood"),
        Person("class_teacher", "Mrs Okafor"),
    ]
    entry = ReviewEntry(
        BASELINE,
        dt.date(2026, 10, 5),
        people,
        [
            ItemScoring(first.id, agreed=4, independent={0: 6, 1: 4, 2: 3}, note="Agreed 4."),
            ItemScoring(second.id, agreed=5, independent={0: 5, 1: 6}),
            ItemScoring(aim_id=aim.id, agreed=3, independent={1: 2, 2: 8}),
        ],
        notes="Contracting meeting in the library.",
    )
    review = scaling.record_review(store, case.id, entry)
    assert [p.label for p in review.people] == [
        "Pupil (Zoë)",
        "Parent/carer (Ms Ellwood)",
        "Class teacher (Mrs Okafor)",
    ]
    assert scaling.agreed_score(store, review.id, target_id=first.id) == 4
    mine = scaling.independent_scores(store, review.id, target_id=first.id)
    assert [(s.person.role, s.score) for s in mine] == [
        ("pupil", 6),
        ("parent_carer", 4),
        ("class_teacher", 3),
    ]
    first_spread = scaling.item_spread(store, review.id, target_id=first.id)
    assert first_spread is not None
    assert (first_spread.low, first_spread.high, first_spread.range) == (3, 6, 3)
    assert first_spread.disagreement  # 6 - 3 = 3: flagged
    assert "disagree" in first_spread.describe()
    second_spread = scaling.item_spread(store, review.id, target_id=second.id)
    assert second_spread is not None and not second_spread.disagreement  # 6 - 5 = 1
    aim_spread = scaling.item_spread(store, review.id, aim_id=aim.id)
    assert aim_spread is not None and aim_spread.range == 6
    # Only the agreed scores count in measures.
    measured = {p.item_id: p.baseline for p in progress.case_progress(store, case.id)}
    assert (measured[first.id], measured[second.id], measured[aim.id]) == (4, 5, 3)
    assert len(list(store.db.query("SELECT id FROM independent_scores"))) == 7
    last = audit.entries(store, review.id)[-1]
    assert last.detail == "agreed scores: 3; independent scores: 7; people present: 3"
    assert "Zoë" not in last.detail


def test_spread_edges() -> None:
    assert scaling.spread([]) is None
    two = scaling.spread([7, 5])
    assert two is not None and not two.disagreement and two.range == 2
    assert scaling.spread([5]) is not None


def test_adjusted_actions_at_a_review_become_a_new_version(store: Store) -> None:
    case = make_case(store)
    target = add_targets(store, case)[0]
    scaling.record_score(
        store, case.id, BASELINE, 3, target_id=target.id, held_on=dt.date(2026, 10, 5)
    )
    adjusted = wording(target.text, school_actions="Meet me at the gate on Mondays too.")
    review = scaling.record_review(
        store,
        case.id,
        ReviewEntry(
            MID, dt.date(2026, 11, 2), [], [ItemScoring(target.id, agreed=6, adjusted=adjusted)]
        ),
    )
    history = targets.target_history(store, target.id)
    assert history[-1].review_id == review.id
    assert history[-1].wording.school_actions == "Meet me at the gate on Mondays too."
    assert history[0].wording.school_actions == "Check in with me at the start of each day."


# --- case aims -------------------------------------------------------------------------------


def test_case_aims_suggested_and_free_text(store: Store) -> None:
    case = make_case(store)
    suggested, free = add_aims(store, case)
    assert suggested.suggested == "emotional_regulation"
    assert suggested.aim == "Support the pupil's emotional regulation"
    assert free.suggested is None
    with pytest.raises(ValidationError, match="already has that aim"):
        case_aims.add_aim(store, case.id, "support the pupil's emotional regulation")
    case_aims.edit_aim(store, free.id, "Help home and school talk twice a week")
    scaling.record_score(store, case.id, BASELINE, 2, aim_id=free.id)
    with pytest.raises(ValidationError, match="cannot change"):
        case_aims.edit_aim(store, free.id, "Something else")
    scaling.record_score(store, case.id, FINAL, 7, aim_id=free.id)
    aim_progress = progress.case_progress(store, case.id)[-1]
    assert (aim_progress.baseline, aim_progress.final, aim_progress.change) == (2, 7, 5)
    assert aim_progress.label == "Aim 2"
