"""Suspensions, permanent exclusions, attendance figures, impact areas and support windows."""

from __future__ import annotations

import datetime as dt

import pytest

from semh_desktop.attendance import attendance, suspensions
from semh_desktop.attendance.attendance import AttendanceDetails
from semh_desktop.attendance.support_windows import (
    AttendancePoint,
    Window,
    attendance_at,
    case_windows,
    pupil_timeline,
    windows_for_case,
)
from semh_desktop.attendance.suspensions import ExclusionDetails, SuspensionDetails
from semh_desktop.closure import impact_areas
from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.plans import cases
from semh_desktop.plans.cases import CaseDetails
from semh_desktop.register import audit, pupils
from semh_desktop.register.upn import make_upn

from .conftest import sample_details

D = dt.date


@pytest.fixture
def pupil_id(store: Store) -> str:
    return pupils.add_pupil(store, sample_details()).id


def suspend(
    store: Store, pupil_id: str, start: dt.date, half_days: int, reason: str = "disruption"
) -> suspensions.Suspension:
    return suspensions.record_suspension(
        store, pupil_id, SuspensionDetails(start, half_days, reason)
    )


def count(store: Store, table: str) -> int:
    return int(next(iter(store.db.query(f"SELECT count(*) AS n FROM {table}")))["n"])


# School-day arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "halves"),
    [
        ("1", 2),
        ("0.5", 1),
        (".5", 1),
        ("1.5", 3),
        ("1½", 3),
        ("½", 1),
        ("2,5", 5),
        ("lunchtime", 1),
        ("3 days", 6),
        ("45", 90),
        ("1.50", 3),
    ],
)
def test_length_is_read_in_half_days(text: str, halves: int) -> None:
    assert suspensions.parse_length(text) == halves


@pytest.mark.parametrize("text", ["", "1.25", "one", "-1", "1/2", "0.3", "1.5.5"])
def test_odd_lengths_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        suspensions.parse_length(text)


def test_covered_days_skip_the_weekend_and_end_on_a_half() -> None:
    # Thursday 29/10/2026 for 2.5 days: Thu (whole), Fri (whole), Mon (half).
    assert suspensions.covered_days(D(2026, 10, 29), 5) == [
        (D(2026, 10, 29), 2),
        (D(2026, 10, 30), 2),
        (D(2026, 11, 2), 1),
    ]


def test_a_suspension_over_31_august_is_split_between_school_years() -> None:
    # Monday 31/08/2026 for 2 days: the Monday is in 2025/26, Tuesday 01/09 in 2026/27.
    assert suspensions.half_days_by_year(D(2026, 8, 31), 4) == {"2025/26": 2, "2026/27": 2}


def test_reasons_accept_our_words_and_mis_codes() -> None:
    assert suspensions.parse_reason("VA") == "verbal_adult"
    assert suspensions.parse_reason("  persistent or general DISRUPTIVE behaviour ") == "disruption"
    assert suspensions.parse_reason("theft") == "theft"
    with pytest.raises(ValidationError):
        suspensions.parse_reason("XX")


# Suspensions -------------------------------------------------------------------------------


def test_a_suspension_is_stored_and_audited(store: Store, pupil_id: str) -> None:
    recorded = suspend(store, pupil_id, D(2026, 11, 16), 1, "verbal_pupil")
    rows = list(store.db.query("SELECT * FROM suspensions"))
    assert len(rows) == 1
    assert rows[0]["half_days"] == 1 and rows[0]["start_date"] == "2026-11-16"
    assert recorded.is_lunchtime and recorded.days == 0.5
    trail = [e for e in audit.entries(store, recorded.id)]
    assert [(e.action, e.record_type) for e in trail] == [("create", "suspension")]
    assert "Verbal" not in trail[0].detail  # the trail names fields, not values


def test_a_weekend_start_is_refused(store: Store, pupil_id: str) -> None:
    with pytest.raises(ValidationError, match="Saturday") as caught:
        suspend(store, pupil_id, D(2026, 11, 21), 2)
    assert caught.value.field == "start_date"
    assert count(store, "suspensions") == 0


@pytest.mark.parametrize(
    ("start", "halves", "words"),
    [
        (D(2026, 11, 4), 2, "overlaps"),  # Wednesday: the third day of the first one
        (D(2026, 10, 30), 4, "overlaps"),  # Friday + Monday 02/11
        (D(2026, 11, 2), 6, "already recorded"),  # the same suspension entered twice
    ],
)
def test_overlapping_suspensions_are_refused(
    store: Store, pupil_id: str, start: dt.date, halves: int, words: str
) -> None:
    suspend(store, pupil_id, D(2026, 11, 2), 6)  # Mon 02/11 to Wed 04/11/2026
    with pytest.raises(ValidationError, match=words) as caught:
        suspend(store, pupil_id, start, halves)
    assert "02/11/2026" in caught.value.message and "04/11/2026" in caught.value.message
    assert count(store, "suspensions") == 1


def test_the_next_school_day_does_not_overlap(store: Store, pupil_id: str) -> None:
    suspend(store, pupil_id, D(2026, 11, 2), 6)
    suspend(store, pupil_id, D(2026, 11, 5), 2)  # Thursday
    assert count(store, "suspensions") == 2


def test_no_more_than_45_school_days_in_a_school_year(store: Store, pupil_id: str) -> None:
    # 2025/26: eight week-long suspensions (8 x 5 = 40 days) and one of 4 days = 44 days.
    for week in range(8):
        suspend(store, pupil_id, D(2025, 9, 8) + dt.timedelta(weeks=2 * week), 10)
    suspend(store, pupil_id, D(2026, 3, 2), 8)
    assert suspensions.days_in_year(store, pupil_id, "2025/26") == 44
    with pytest.raises(ValidationError, match=r"45\.5 school days") as caught:
        suspend(store, pupil_id, D(2026, 3, 16), 3)  # 44 + 1.5 = 45.5
    assert caught.value.field == "length" and "44 already recorded" in caught.value.message
    suspend(store, pupil_id, D(2026, 3, 16), 2)  # 44 + 1 = 45: allowed
    with pytest.raises(ValidationError, match="at most 45"):
        suspend(store, pupil_id, D(2026, 3, 23), 1)  # a lunchtime would make 45.5
    # Monday 31/08/2026 for 2 days: the Monday would be a 46th day in 2025/26: refused.
    with pytest.raises(ValidationError, match="2025/26"):
        suspend(store, pupil_id, D(2026, 8, 31), 4)
    # A new school year starts from nothing.
    suspend(store, pupil_id, D(2026, 9, 1), 4)
    assert suspensions.days_in_year(store, pupil_id, "2025/26") == 45
    assert suspensions.days_in_year(store, pupil_id, "2026/27") == 2


def test_one_suspension_longer_than_45_days_is_refused(store: Store, pupil_id: str) -> None:
    with pytest.raises(ValidationError, match="45 school days"):
        suspend(store, pupil_id, D(2025, 9, 1), 91)


def test_a_withdrawn_suspension_no_longer_counts(store: Store, pupil_id: str) -> None:
    first = suspend(store, pupil_id, D(2026, 11, 2), 6)
    with pytest.raises(ValidationError):
        suspensions.withdraw_suspension(store, first.id, "  ")
    suspensions.withdraw_suspension(store, first.id, "Entered on the wrong pupil.")
    suspend(store, pupil_id, D(2026, 11, 3), 2)  # would have overlapped the withdrawn one
    assert [s.start_date for s in suspensions.suspensions_for_pupil(store, pupil_id)] == [
        D(2026, 11, 3)
    ]
    assert len(suspensions.suspensions_for_pupil(store, pupil_id, include_withdrawn=True)) == 2
    assert [e.action for e in audit.entries(store, first.id)] == ["create", "archive"]
    with pytest.raises(ValidationError, match="already"):
        suspensions.withdraw_suspension(store, first.id, "again")


# Permanent exclusions ----------------------------------------------------------------------


def test_an_exclusion_keeps_every_decision(store: Store, pupil_id: str) -> None:
    excluded = suspensions.record_exclusion(
        store, pupil_id, ExclusionDetails(exclusion_date=D(2026, 10, 1), reason="assault_adult")
    )
    assert excluded.outcome == "pending" and excluded.decided_on is None
    with pytest.raises(ValidationError, match="before the exclusion") as caught:
        suspensions.decide_exclusion(store, excluded.id, "upheld", D(2026, 9, 30))
    assert caught.value.field == "decided_on"
    upheld = suspensions.decide_exclusion(store, excluded.id, "upheld", D(2026, 10, 12))
    assert upheld.outcome == "upheld"
    rescinded = suspensions.decide_exclusion(
        store, excluded.id, "rescinded", D(2026, 11, 9), "Independent review panel."
    )
    assert rescinded.outcome == "rescinded" and rescinded.decided_on == D(2026, 11, 9)
    outcomes = [
        r["outcome"] for r in store.db.query("SELECT outcome FROM exclusion_decisions ORDER BY seq")
    ]
    assert outcomes == ["pending", "upheld", "rescinded"]
    with pytest.raises(SemhError), store.atomic():
        store.db.execute("UPDATE exclusion_decisions SET outcome = 'upheld'")
    assert [e.action for e in audit.entries(store, excluded.id)] == ["create", "change", "change"]


def test_an_exclusion_needs_a_date_reason_and_past_dates(store: Store, pupil_id: str) -> None:
    errors = suspensions.validate_exclusion(
        store, ExclusionDetails(exclusion_date=D(2026, 12, 1), reason="", outcome="upheld")
    )
    assert set(errors) == {"exclusion_date", "reason", "decided_on"}


# Attendance --------------------------------------------------------------------------------


def test_attendance_from_sessions_is_worked_out(store: Store, pupil_id: str) -> None:
    figure = attendance.record_attendance(
        store,
        pupil_id,
        AttendanceDetails(as_of=D(2026, 11, 20), sessions_possible=120, sessions_attended=107),
    )
    assert figure.percent == 89.2 and figure.persistent_absence  # 107/120 = 89.17%
    row = next(iter(store.db.query("SELECT * FROM attendance_snapshots")))
    assert (row["percent"], row["sessions_possible"], row["sessions_attended"]) == (89.2, 120, 107)


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (AttendanceDetails(as_of=D(2026, 11, 24), percent=90), "as_of"),  # tomorrow
        (AttendanceDetails(as_of=D(2026, 11, 20)), "percent"),
        (AttendanceDetails(as_of=D(2026, 11, 20), percent=101), "percent"),
        (AttendanceDetails(as_of=D(2026, 11, 20), sessions_possible=100), "sessions_attended"),
        (
            AttendanceDetails(as_of=D(2026, 11, 20), sessions_possible=100, sessions_attended=101),
            "sessions_attended",
        ),
        (
            AttendanceDetails(
                as_of=D(2026, 11, 20), sessions_possible=100, sessions_attended=90, percent=95
            ),
            "percent",
        ),
    ],
)
def test_bad_attendance_is_refused(
    store: Store, pupil_id: str, details: AttendanceDetails, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        attendance.record_attendance(store, pupil_id, details)
    assert caught.value.field == field
    assert count(store, "attendance_snapshots") == 0


def test_one_attendance_figure_per_day(store: Store, pupil_id: str) -> None:
    first = attendance.record_attendance(
        store, pupil_id, AttendanceDetails(as_of=D(2026, 11, 20), percent=91)
    )
    with pytest.raises(ValidationError, match="already an attendance figure"):
        attendance.record_attendance(
            store, pupil_id, AttendanceDetails(as_of=D(2026, 11, 20), percent=92)
        )
    attendance.withdraw_attendance(store, first.id, "Typed the wrong figure.")
    attendance.record_attendance(
        store, pupil_id, AttendanceDetails(as_of=D(2026, 11, 20), percent=92)
    )
    assert [s.percent for s in attendance.attendance_for_pupil(store, pupil_id)] == [92.0]


# Impact areas ------------------------------------------------------------------------------


def _case(store: Store, pupil_id: str, plan_type: str) -> str:
    return cases.open_case(
        store,
        pupil_id,
        CaseDetails(
            referral_date=D(2026, 9, 21),
            referred_by="SENCO",
            reason="Test.",
            plan_type=plan_type,
            start_date=D(2026, 10, 5),
        ),
    ).id


@pytest.mark.parametrize(
    ("percent", "band"), [(0, "0-9%"), (9, "0-9%"), (10, "10-19%"), (99, "90-99%"), (100, "100%")]
)
def test_bands_of_ten(percent: int, band: str) -> None:
    assert impact_areas.band_label(percent) == band


def test_impact_areas_belong_to_family_plans(store: Store, pupil_id: str) -> None:
    psp = _case(store, pupil_id, "psp")
    with pytest.raises(ValidationError, match="family plans"):
        impact_areas.record_impact_area(store, psp, "parenting", 50)
    other = pupils.add_pupil(store, sample_details(upn=make_upn(801, 2000, 20, 99))).id
    family = _case(store, other, "family")
    for bad in (-1, 101, 50.5):
        with pytest.raises(ValidationError):
            impact_areas.record_impact_area(store, family, "parenting", bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        impact_areas.record_impact_area(store, family, "world_peace", 50)
    impact_areas.record_impact_area(store, family, "parenting", 30)
    impact_areas.record_impact_area(store, family, "attendance", 100)
    impact_areas.record_impact_area(store, family, "parenting", 80)
    found = impact_areas.impact_areas_for_case(store, family)
    assert [(a.area, a.percent, a.band) for a in found] == [
        ("parenting", 80, "80-89%"),
        ("attendance", 100, "100%"),
    ]
    assert count(store, "impact_areas") == 3  # history kept


# Windows around support -------------------------------------------------------------------


def test_windows_of_a_closed_case() -> None:
    # Referred 15/09/2025, started 22/09/2025, closed 17/11/2025; today 23/11/2026.
    windows = case_windows(D(2025, 9, 15), D(2025, 9, 22), D(2025, 11, 17), D(2026, 11, 23))
    assert {k: (w.first, w.last, w.complete) for k, w in windows.items()} == {
        "before": (D(2024, 9, 15), D(2025, 9, 14), True),
        "during": (D(2025, 9, 22), D(2025, 11, 17), True),
        "after": (D(2025, 11, 18), D(2025, 12, 29), True),  # 17/11 + 42 days
        "rest_of_year": (D(2025, 12, 30), D(2026, 8, 31), True),
    }


def test_windows_of_an_open_case_and_of_a_late_closure() -> None:
    open_case = case_windows(D(2026, 9, 1), D(2026, 9, 14), None, D(2026, 11, 23))
    assert list(open_case) == ["before", "during"]
    assert (open_case["during"].last, open_case["during"].complete) == (D(2026, 11, 23), False)
    # Closed 20/07/2026: its 6 weeks run past 31/08/2026, so there is no "rest of the year".
    late = case_windows(D(2026, 4, 20), D(2026, 5, 4), D(2026, 7, 20), D(2026, 11, 23))
    assert list(late) == ["before", "during", "after"]
    # Closed 12/10/2026, today 23/11/2026: the 6 weeks end today; the rest has not begun.
    recent = case_windows(D(2026, 6, 8), D(2026, 6, 15), D(2026, 10, 12), D(2026, 11, 23))
    assert recent["after"].last == D(2026, 11, 23) and recent["after"].complete
    assert "rest_of_year" not in recent
    # 29 February: the year before starts on 28 February.
    assert case_windows(D(2028, 2, 29), D(2028, 3, 6), None, D(2028, 3, 20))["before"].first == D(
        2027, 2, 28
    )


def test_attendance_at_the_start_and_end_of_a_window() -> None:
    window = Window("during", D(2026, 3, 9), D(2026, 5, 4), True)
    points = [
        AttendancePoint(D(2026, 1, 26), 70.0),  # 42 days before: too early
        AttendancePoint(D(2026, 2, 9), 71.0),  # 28 days before: the start figure
        AttendancePoint(D(2026, 4, 27), 75.0),  # the last inside: the end figure
        AttendancePoint(D(2026, 5, 11), 80.0),
    ]  # after the window
    start, end = attendance_at(window, points)
    assert (start, end) == (points[1], points[2])
    # Only one figure inside and none before: it is the start; there is no end.
    assert attendance_at(window, [points[2]]) == (points[2], None)


def test_windows_for_a_case_count_days_inside_each_window(store: Store, pupil_id: str) -> None:
    case_id = _case(store, pupil_id, "psp")  # referred 21/09/2026, started 05/10/2026, open
    suspend(store, pupil_id, D(2026, 9, 18), 6)  # Fri 18/09 + Mon 21/09 + Tue 22/09
    suspend(store, pupil_id, D(2026, 10, 1), 4)  # Thu 01/10 + Fri 02/10: the gap, no window
    suspend(store, pupil_id, D(2026, 11, 9), 1)
    figures = windows_for_case(store, case_id)
    # Before = 21/09/2025..20/09/2026: one incident (18/09) and only Friday 18/09 (2 halves).
    assert (figures["before"].incidents, figures["before"].half_days) == (1, 2)
    assert (figures["during"].incidents, figures["during"].half_days) == (1, 1)


def test_the_timeline_shows_every_record(store: Store, pupil_id: str) -> None:
    _case(store, pupil_id, "psp")
    suspend(store, pupil_id, D(2026, 11, 9), 1)
    attendance.record_attendance(
        store, pupil_id, AttendanceDetails(as_of=D(2026, 11, 6), percent=88)
    )
    suspensions.record_exclusion(
        store,
        pupil_id,
        ExclusionDetails(
            exclusion_date=D(2026, 11, 16),
            reason="other",
            outcome="rescinded",
            decided_on=D(2026, 11, 20),
        ),
    )
    timeline = pupil_timeline(store, pupil_id)
    assert [i.start for i in timeline.interventions] == [D(2026, 10, 5)]
    assert timeline.interventions[0].end is None
    assert timeline.exclusions == ((D(2026, 11, 16), "rescinded"),)
    assert timeline.date_range() == (D(2026, 10, 5), D(2026, 11, 23))
