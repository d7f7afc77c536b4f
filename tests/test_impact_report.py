"""The cohort impact report on the hand-built cohort of tests/impact_fixtures.py.

Every expected figure below is worked out by hand in the comments from the fixture's dates
and scores (today is Monday 23/11/2026), never by calling the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from semh_desktop.cli import main as cli
from semh_desktop.core.clock import SystemClock
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.demo import school as demo
from semh_desktop.register import audit, staff
from semh_desktop.reporting import impact_report
from semh_desktop.reporting.impact_report import (
    SUPPRESSED,
    ReportFilters,
    ScoreChange,
    WindowSuspensions,
    count_text,
    figure,
    mean_text,
    percent_text,
)

from .conftest import TODAY
from .impact_fixtures import NAMES, Cohort, build_cohort

YEAR = ReportFilters.for_year("2025/26")
NEXT_YEAR = ReportFilters.for_year("2026/27")


@pytest.fixture
def cohort(store: Store) -> Cohort:
    return build_cohort(store)


# Cases, closure reasons, re-referrals ----------------------------------------------------


def test_case_counts_for_2025_26(store: Store, cohort: Cohort) -> None:
    # 2025/26 = 01/09/2025..31/08/2026. Case G closed 13/01/2025, before the year: out.
    # Active: A, B, C, D, E (closes 12/10/2026), F (open) = 6 cases, 6 pupils.
    # Referred in the year: A 15/09/25, B 06/10/25, C 12/01/26, D 02/02/26, F 02/03/26,
    #   E 08/06/26 = 6. Closed in the year: A, B, C, D = 4 (E closed after 31/08/2026).
    # Open on 31/08/2026: E and F = 2. Re-referrals: A (245 days after G closed) = 1.
    counts = impact_report.case_counts(store, YEAR)
    assert counts == impact_report.CaseCounts(
        cohort=6, pupils=6, referred=6, closed=4, open_at_end=2, re_referrals=1
    )


def test_a_case_across_31_august_counts_in_both_years(store: Store, cohort: Cohort) -> None:
    # 2026/27 so far: E (closed 12/10/2026) and F (open) are active; nobody was referred;
    # E closed; F is open today.
    counts = impact_report.case_counts(store, NEXT_YEAR)
    assert counts == impact_report.CaseCounts(
        cohort=2, pupils=2, referred=0, closed=1, open_at_end=1, re_referrals=0
    )


def test_closure_reasons(store: Store, cohort: Cohort) -> None:
    # Closed in 2025/26: A and B stepped down, C disengaged, D stepped up to CSC.
    # (G's "disengaged" was in 2024/25 and E's closure is in 2026/27.)
    assert impact_report.closure_reasons(store, YEAR) == {
        "stepped_down": 2,
        "stepped_up_csc": 1,
        "transferred": 0,
        "moved_away": 0,
        "disengaged": 1,
        "other": 0,
    }


# Cohort profile ------------------------------------------------------------------------------


def test_profile_against_the_whole_register(store: Store, cohort: Cohort) -> None:
    # Cohort pupils: A-F (6). Register: A-F and H (7); I is archived.
    # Pupil Premium: A, C, D = 3 of 6; register A, C, D, H = 4 of 7.
    # SEN support (K): A, C, D, E, F = 5 of 6; register the same 5 of 7 (H is N, I archived).
    # CIN: A; CLA: D; EHCP: B; EAL: B; young carer: C; CP and at risk: nobody.
    lines = {
        line.factor: (line.cohort, line.cohort_total, line.register, line.register_total)
        for line in impact_report.vulnerability_profile(store, YEAR)
    }
    assert lines["pupil_premium"] == (3, 6, 4, 7)
    assert lines["sen_support"] == (5, 6, 5, 7)
    assert lines["social_care"] == (2, 6, 2, 7)
    assert lines["cin"] == (1, 6, 1, 7)
    assert lines["cp"] == (0, 6, 0, 7)
    assert lines["cla"] == (1, 6, 1, 7)
    assert lines["ehcp"] == (1, 6, 1, 7)
    assert lines["eal"] == (1, 6, 1, 7)
    assert lines["young_carer"] == (1, 6, 1, 7)
    assert lines["at_risk_pex"] == (0, 6, 0, 7)


# Targets and case aims -----------------------------------------------------------------------


def test_targets_improved_by_kind(store: Store, cohort: Cohort) -> None:
    # Learning: A 3->7 (the final was re-entered: 6, then 7; 7 counts) +4, C 5->6 +1,
    #   E 4->9 +5: 3 targets, all scored, 3 improved, total change 10.
    # Behaviour/wellbeing: A 4->4 0, B 2->8 +6, B 5->4 -1, F 3 (mid 5, no final: left out):
    #   4 targets, 3 scored, 1 improved, total 5.
    # Family goals: D 2->7 +5 (the mid of 9 does not count), D 3->3 0: 2, 2, 1, total 5.
    # G's target (2024/25) is not in the cohort.
    assert impact_report.targets_by_kind(store, YEAR) == {
        "learning": ScoreChange(items=3, scored=3, improved=3, total_change=10),
        "behaviour_wellbeing": ScoreChange(items=4, scored=3, improved=1, total_change=5),
        "family_goal": ScoreChange(items=2, scored=2, improved=1, total_change=5),
    }
    behaviour = impact_report.targets_by_kind(store, YEAR)["behaviour_wellbeing"]
    assert behaviour.left_out == 1  # F's target, counted as left out
    assert behaviour.mean_change == pytest.approx(5 / 3)


def test_case_aims_mean_change(store: Store, cohort: Cohort) -> None:
    # A 2->6 +4, B 3->5 +2, C 4->4 0, D 3->7 +4, E 2->5 +3, F 4 (no final: left out).
    # 6 aims, 5 scored, 4 improved, total 13, mean 2.6.
    aims = impact_report.case_aims_change(store, YEAR)
    assert aims == ScoreChange(items=6, scored=5, improved=4, total_change=13)
    assert aims.left_out == 1 and aims.mean_change == pytest.approx(2.6)


# Suspensions ---------------------------------------------------------------------------------


def test_suspensions_in_each_window(store: Store, cohort: Cohort) -> None:
    # Windows (before = a year up to the day before referral; during = start..closure or
    # today; after = 42 days after closure; rest = to 31 August of the closing year):
    #   A before 15/09/24-14/09/25, during 22/09-17/11/25, after 18/11-29/12/25,
    #     rest 30/12/25-31/08/26
    #   B before 06/10/24-05/10/25, during 13/10-08/12/25, after 09/12/25-19/01/26, rest to 31/08
    #   C before 12/01/25-11/01/26, during 19/01-16/03/26, after 17/03-27/04/26, rest to 31/08
    #   D before 02/02/25-01/02/26, during 09/02-04/05/26, after 05/05-15/06/26, rest to 31/08
    #   E before 08/06/25-07/06/26, during 15/06-12/10/26, after 13/10-23/11/26 (ends today),
    #     rest from 24/11/26: not begun
    #   F before 02/03/25-01/03/26, during 09/03/26-today; no after (open)
    # Suspensions (half-days): A s1 10/03/25 x4, s2 Fri 12/09/25 x3 (Fri 2 halves in A's
    #   before; Mon 15/09 half in no window: the referral-to-start gap), s3 20/10/25 x1,
    #   s4 02/02/26 x2; B s5 02/06/25 x10, s6 18/12/25 x4; C none; D s7 03/11/25 x2,
    #   s8 02/03/26 x5; E s9 06/07/26 x2, s10 14/09/26 x4, s11 02/11/26 x1; F s12 10/11/25 x4
    #   (and one withdrawn, which never counts).
    # before: 6 cases; A 2 incidents 4+2 halves, B 1/10, D 1/2, F 1/4 -> with 4, 5 incidents,
    #   22 halves = 11 days.
    # during: 6 cases; A s3 1/1, D s8 1/5, E s9+s10 2/6 -> with 3, 4 incidents, 12 halves = 6 days.
    # after: A-E = 5 cases; B s6 1/4, E s11 1/1 -> with 2, 2 incidents, 5 halves = 2.5 days.
    # rest: A-D = 4 cases; A s4 1/2 -> with 1, 1 incident, 2 halves = 1 day.
    # after closure (after + rest): 5 cases; A 1/2, B 1/4, E 1/1 -> with 3, 3, 7 halves.
    windows = impact_report.suspension_windows(store, YEAR)
    assert windows == {
        "before": WindowSuspensions("before", 6, 4, 5, 22),
        "during": WindowSuspensions("during", 6, 3, 4, 12),
        "after": WindowSuspensions("after", 5, 2, 2, 5),
        "rest_of_year": WindowSuspensions("rest_of_year", 4, 1, 1, 2),
        "after_closure": WindowSuspensions("after_closure", 5, 3, 3, 7),
    }
    assert windows["before"].days_per_pupil == pytest.approx(11 / 6)
    assert windows["after_closure"].days_per_pupil == pytest.approx(0.7)


def test_suspension_windows_of_the_next_year(store: Store, cohort: Cohort) -> None:
    # 2026/27 cohort: E and F. before: E none, F s12 -> 2 cases, 1 with, 1 incident, 4 halves.
    # during: E s9 + s10 (2 incidents, 2+4 halves), F none -> 2 cases, 1 with, 2, 6.
    # after: E only (s11, a lunchtime) -> 1, 1, 1, 1. rest: nobody has begun one.
    windows = impact_report.suspension_windows(store, NEXT_YEAR)
    assert windows["before"] == WindowSuspensions("before", 2, 1, 1, 4)
    assert windows["during"] == WindowSuspensions("during", 2, 1, 2, 6)
    assert windows["after"] == WindowSuspensions("after", 1, 1, 1, 1)
    assert windows["rest_of_year"] == WindowSuspensions("rest_of_year", 0, 0, 0, 0)


# Attendance ----------------------------------------------------------------------------------


def test_attendance_during_the_intervention(store: Store, cohort: Cohort) -> None:
    # Start = the latest figure in the 30 days up to the start, else the first inside;
    # end = the latest inside (not the start figure).
    # A: start 86.0 (19/09/25; 01/09 is earlier), end 92.5 (14/11/25): +6.5, improved.
    # B: start 95.0 (13/10/25, the first day), end 93.0: -2.0.
    # C: 01/12/25 is 49 days before the start; the only figure inside (02/02/26) is the
    #    start, so there is no end: left out.
    # D: start 70.0 (26/01/26, 14 days before), end 75.0: +5.0, improved.
    # E: start 89.0 (01/06/26), end 91.0 (30/09/26): +2.0, improved.
    # F: start 88.0 (02/03/26), end 85.0 (05/10/26; the withdrawn 99.0 never counts): -3.0.
    # With both: A, B, D, E, F = 5; improved 3; total change 6.5-2+5+2-3 = 8.5.
    # Below 90% at the start: A 86, D 70, E 89, F 88 = 4; at the end: D 75, F 85 = 2.
    assert impact_report.attendance_change(store, YEAR) == impact_report.AttendanceChange(
        cases=6, with_both=5, improved=3, total_change=8.5, absent_at_start=4, absent_at_end=2
    )


# Questionnaires, partnership, impact areas --------------------------------------------------


def test_questionnaire_means(store: Store, cohort: Cohort) -> None:
    # School "The pupil made progress": A 4, B 5, C 2, D 4 -> 4 answers, total 15 (G's 1 is
    # outside the cohort). "Staff know what to keep doing": A 5, B 3, C blank, D 4 -> 3, 12.
    # Parent "I am pleased...": A 5, B 4 -> 2 answers, total 9.
    means = impact_report.questionnaire_means(store, YEAR)
    assert [(m.respondent, m.item_text, m.answers, m.total) for m in means] == [
        ("school", "The pupil made progress", 4, 15),
        ("school", "Staff know what to keep doing", 3, 12),
        ("parent", "I am pleased with my child's progress", 2, 9),
    ]
    assert means[1].mean == pytest.approx(4.0)


def test_partnership(store: Store, cohort: Cohort) -> None:
    # School: A improved, B improved, C same, D worse. Parent: A improved, B not answered.
    assert impact_report.partnership(store, YEAR) == {
        "school": {"improved": 2, "same": 1, "worse": 1},
        "parent": {"improved": 1, "same": 0, "worse": 0},
    }


def test_impact_areas_by_band(store: Store, cohort: Cohort) -> None:
    # D only (family plan): parenting 75 then 45 (latest: band 40-49), attendance 100
    # (band "100%", index 10), reduced conflict 5 (band 0-9).
    assert impact_report.impact_bands(store, YEAR) == {
        "parenting": [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        "attendance": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        "reduced_conflict": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    }
    assert impact_report.impact_bands(store, NEXT_YEAR) == {}


# Filters -------------------------------------------------------------------------------------


def test_filters(store: Store, cohort: Cohort) -> None:
    family = ReportFilters.for_year("2025/26", plan_type="family")
    assert impact_report.case_counts(store, family).cohort == 1  # D
    ruth = ReportFilters.for_year("2025/26", worker_id=cohort.worker_id)
    assert impact_report.case_counts(store, ruth).cohort == 2  # B and C
    assert impact_report.closure_reasons(store, ruth)["stepped_down"] == 1  # B
    # Year 8 in 2025/26 = Year 9 today: B and F.
    year8 = ReportFilters.for_year("2025/26", year_group=8)
    assert impact_report.case_counts(store, year8).pupils == 2
    assert impact_report.targets_by_kind(store, year8) == {
        "behaviour_wellbeing": ScoreChange(items=3, scored=2, improved=1, total_change=5)
    }
    # Year 8 in 2026/27 = Year 8 today: A and E; of them only E is active in 2026/27.
    assert (
        impact_report.case_counts(store, ReportFilters.for_year("2026/27", year_group=8)).cohort
        == 1
    )
    with pytest.raises(ValidationError):
        ReportFilters.for_year("2025/27")
    with pytest.raises(ValidationError):
        ReportFilters.for_year("2025/26", plan_type="nurture")


# The small-group rule -----------------------------------------------------------------------


def test_small_group_rule() -> None:
    assert [count_text(n) for n in (0, 1, 4, 5, 17)] == ["0", SUPPRESSED, SUPPRESSED, "5", "17"]
    assert percent_text(5, 6) == "83"  # 83.3
    assert percent_text(5, 8) == "63"  # 62.5 rounds half up
    assert percent_text(0, 6) == "0"  # nobody: shown
    assert percent_text(4, 40) == SUPPRESSED  # counts 4 pupils
    assert percent_text(3, 3) == SUPPRESSED  # taken of 3
    assert percent_text(0, 0) == "none"
    assert mean_text(13, 5) == "+2.6"
    assert mean_text(-5, 10) == "-0.5"
    assert mean_text(0.25, 5) == "+0.1"  # 0.05 rounds half up
    assert mean_text(12, 4) == SUPPRESSED
    assert mean_text(11, 6, signed=False) == "1.8"


def test_figures_apply_the_rule_throughout(store: Store, cohort: Cohort) -> None:
    report = impact_report.build_report(store, YEAR)

    def shown(section: str, measure: str, group: str) -> str:
        return figure(report, section, measure, group).display

    assert shown("Cases", "Cases referred in the period", "All") == "6"
    assert shown("Cases", "Cases closed in the period", "All") == SUPPRESSED  # 4
    assert shown("Cases", "Re-referrals (within 12 months of a closure)", "All") == SUPPRESSED
    assert shown("Cohort profile", "SEN support (%)", "Cohort") == "83%"  # 5 of 6
    assert shown("Cohort profile", "SEN support (%)", "Whole register") == "71%"  # 5 of 7
    assert shown("Cohort profile", "Pupil Premium (%)", "Whole register") == SUPPRESSED  # 4
    assert shown("Cohort profile", "Child protection plan (CP) (%)", "Cohort") == "0%"
    # Targets of every kind: 9, 8 scored, 5 improved (62.5% -> 63), change 20/8 = +2.5.
    assert shown("Targets", "Improved (%)", "All kinds") == "63%"
    assert shown("Targets", "Mean change (final - baseline)", "All kinds") == "+2.5"
    assert shown("Targets", "Left out: no final (or baseline) score", "All kinds") == SUPPRESSED
    assert shown("Targets", "Improved (%)", "Learning") == SUPPRESSED  # taken of 3
    assert shown("Case aims", "Improved (%)", "All case aims") == SUPPRESSED  # 4 of 5
    assert shown("Case aims", "Mean change (final - baseline)", "All case aims") == "+2.6"
    assert shown("Suspensions", "With a suspension (%)", "Year before referral") == SUPPRESSED
    assert shown("Suspensions", "Suspensions (incidents)", "Year before referral") == "5"
    assert shown("Suspensions", "Suspension days per pupil", "Year before referral") == "1.8"
    assert shown("Suspensions", "Suspension days per pupil", "During the intervention") == "1.0"
    assert shown("Suspensions", "Suspension days per pupil", "6 weeks after closure") == "0.5"
    assert (
        shown("Suspensions", "Suspension days per pupil", "Rest of that school year") == SUPPRESSED
    )  # taken of 4 cases
    assert shown("Suspensions", "Suspension days per pupil", "After closure (all)") == "0.7"
    assert (
        shown("Attendance", "Mean change (percentage points)", "During the intervention") == "+1.7"
    )  # 8.5 / 5
    assert shown("Attendance", "Attendance improved (%)", "During the intervention") == SUPPRESSED
    assert (
        shown("Questionnaires", "Mean agreement (1-5)", "School: The pupil made progress")
        == SUPPRESSED
    )  # 4 answers
    assert shown("Family-plan impact areas", "Parenting improved", "40-49%") == SUPPRESSED
    assert shown("Family-plan impact areas", "Parenting improved", "50-59%") == "0"
    # No displayed figure is a count from 1 to 4.
    for item in report.figures:
        assert not re.fullmatch(r"[1-4]", item.value), item


# Exports: CSV, PDF, the command line ----------------------------------------------------------


def _names() -> list[str]:
    return [part for pair in NAMES.values() for part in pair]


def test_csv_is_tidy_has_the_figures_and_no_names(
    store: Store, cohort: Cohort, tmp_path: Path
) -> None:
    report = impact_report.build_report(store, YEAR)
    path = impact_report.export_report(store, report, tmp_path / "cohort.csv")
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["section", "measure", "group", "value"]
    assert all(len(row) == 4 for row in rows)
    assert ["Cases", "Cases referred in the period", "All", "6"] in rows
    assert ["Cohort profile", "SEN support (%)", "Cohort", "83"] in rows
    assert ["Targets", "Mean change (final - baseline)", "All kinds", "+2.5"] in rows
    assert ["Suspensions", "Suspension days per pupil", "Year before referral", "1.8"] in rows
    for name in _names():
        assert name not in text
    exports = [e for e in audit.entries(store) if e.record_type == "cohort_report"]
    assert [(e.action, e.detail) for e in exports] == [
        ("export", "cohort impact report 2025/26 (csv)")
    ]


def test_pdf_has_the_figures_and_no_names(store: Store, cohort: Cohort, tmp_path: Path) -> None:
    report = impact_report.build_report(store, YEAR)
    path = impact_report.export_report(store, report, tmp_path / "cohort.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    flat = " ".join(text.split())
    assert "Cohort impact report 2025/26" in flat
    for expected in (
        "Cases referred in the period 6",
        "SEN support (%) 83% 71%",
        # learning, behaviour, family goals (each fewer than 5 targets), all kinds
        "Mean change (final - baseline) fewer than 5 fewer than 5 fewer than 5 +2.5",
        "Improved (%) fewer than 5 fewer than 5 fewer than 5 63%",
        "Mean change (final - baseline) +2.6",  # case aims
        # before, during, 6 weeks after, rest of year (4 cases), after closure (all)
        "Suspension days per pupil 1.8 1.0 0.5 fewer than 5 0.7",
        "Mean change (percentage points) +1.7",
        "Parenting improved 0 0 0 0 fewer than 5 0 0 0 0 0 0",
    ):
        assert expected in flat, expected
    for name in _names():
        assert name not in flat
    assert any(
        e.record_type == "cohort_report" and e.detail.endswith("(pdf)")
        for e in audit.entries(store)
    )
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(path), str(png)], check=True
    )
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
    assert (tmp_path / "page-2.png").stat().st_size > 10_000


def test_wrong_extension_is_refused(store: Store, tmp_path: Path) -> None:
    report = impact_report.build_report(store, YEAR)
    with pytest.raises(ValidationError, match=r"\.pdf or a \.csv"):
        impact_report.export_report(store, report, tmp_path / "cohort.xlsx")


def test_report_command(
    encrypted_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_cohort(encrypted_store)
    path = encrypted_store.path
    assert path is not None
    encrypted_store.close()
    monkeypatch.setattr(SystemClock, "today", lambda self: TODAY.date())
    monkeypatch.setattr(SystemClock, "now", lambda self: TODAY)
    monkeypatch.setenv("SCHOOL_PASSPHRASE", "correct horse")
    out = tmp_path / "family.csv"
    code = cli.main(
        [
            "report",
            "--db",
            str(path),
            "--passphrase-env",
            "SCHOOL_PASSPHRASE",
            "--year",
            "2025/26",
            "--plan-type",
            "family",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert ["Filters", "Plan type", "", "Family plan"] in rows
    assert ["Cases", "Cases active in the period (the cohort)", "All", SUPPRESSED] in rows
    code = cli.main(
        [
            "report",
            "--db",
            str(path),
            "--passphrase-env",
            "SCHOOL_PASSPHRASE",
            "--worker",
            "Nobody Known",
            "--out",
            str(tmp_path / "x.pdf"),
        ]
    )
    assert code == 1 and "no staff profile" in capsys.readouterr().err


def test_demo_school_report_has_no_pupil_names(store: Store, tmp_path: Path) -> None:
    demo.build_demo(store)
    people = [
        (str(r["legal_forename"]), str(r["legal_surname"]), r["preferred_forename"])
        for r in store.db.query("SELECT * FROM pupils")
    ]
    for year in ("2025/26", "2026/27"):
        report = impact_report.build_report(store, ReportFilters.for_year(year))
        assert report.counts.cohort >= 5  # the demo has cases in both years
        pdf = impact_report.export_report(store, report, tmp_path / f"{year[:4]}.pdf")
        csv_path = impact_report.export_report(store, report, tmp_path / f"{year[:4]}.csv")
        texts = [
            " ".join(p.extract_text() for p in PdfReader(pdf).pages),
            csv_path.read_text(encoding="utf-8-sig"),
        ]
        for text in texts:
            words = set(re.findall(r"[\w'’-]+", text))
            for forename, surname, preferred in people:
                assert f"{forename} {surname}" not in text
                assert surname not in words, surname
                if preferred:
                    assert f"{preferred} {surname}" not in text


def test_report_progress_and_cancel(store: Store, cohort: Cohort) -> None:
    seen: list[tuple[int, int, str]] = []
    impact_report.build_report(store, YEAR, progress=lambda *step: seen.append(step))
    assert seen[0] == (0, 10, "Counting cases") and seen[-1] == (10, 10, "Done")
    with pytest.raises(impact_report.ReportCancelled):
        impact_report.build_report(store, YEAR, cancelled=lambda: True)


def test_staff_names_are_not_pupil_names(store: Store) -> None:
    # The worker filter prints the worker's name (staff, not a pupil): the only name allowed.
    ruth = staff.add_staff(store, "Ruth Filterworker", "pastoral")
    filters = ReportFilters.for_year("2025/26", worker_id=ruth.id, worker_name=ruth.name)
    assert ("Worker", "Ruth Filterworker") in filters.describe()
    assert (filters.first, filters.last) == (dt.date(2025, 9, 1), dt.date(2026, 8, 31))
