"""The cohort impact report: figures about the cases of a period, never about one named pupil.

**The cohort.** The cases active in the period: referred on or before its last day and not
closed before its first day (a case running from June to October belongs to both academic
years). Optional filters: the pupil's year group *in that period* (today's year group moved
back by the years since), the worker, the plan type. Each measure says which cases it uses.

**Measures** (DOMAIN.md "Measures"); each is a function over the store with one SQL query:

- cases referred (referral date in the period), closed (closing date in the period), open at
  the end of the period (or today, if the period has not ended), re-referrals among those
  referred; closure reasons of the cases closed in the period;
- the cohort's vulnerability profile (distinct pupils) against the whole register (every pupil
  not archived, as the register is today);
- targets improved (agreed final score above the agreed baseline) and mean change
  (final - baseline), by kind; targets or aims without both scores are left out of the % and
  the mean, and counted as left out; the same for case aims;
- suspensions in each window around support (see `support_windows`): % of cases with at
  least one suspension starting in the window, incidents, and suspension days per pupil (days
  falling in the window / cases whose window has begun); "after closure" adds the 6 weeks after
  and the rest of that year;
- attendance during the intervention, for cases with a figure at its start and at its end:
  % improved (end above start), mean change, % persistently absent (below 90%) at start and end;
- questionnaire means per item (answers 1-5, blanks left out) and partnership
  improved / same / worse, by respondent;
- family-plan impact areas: family-plan cases per area in each 10% band.

**Small groups.** So that no pupil can be picked out, any count from 1 to 4 is shown as
"fewer than 5" (0 is shown: it describes nobody). A percentage is shown as "fewer than 5"
when the group it is taken of (its base) has fewer than 5 members, or when the group it
counts has 1 to 4 members; a mean, or days per pupil, when its base has fewer than 5.
The rule applies to every count (pupils, cases, targets, incidents, answers) and to the register
column alike. Percentages are rounded half up to whole numbers, means to one decimal place.
A base of 0 is shown as "none".
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semh_desktop.attendance.attendance import PERSISTENT_ABSENCE_BELOW
from semh_desktop.attendance.support_windows import (
    WINDOW_LABELS,
    WINDOWS,
    AttendancePoint,
    SuspensionSpan,
    attendance_at,
    case_windows,
    suspensions_in,
)
from semh_desktop.closure.closure import CLOSURE_REASONS
from semh_desktop.closure.impact_areas import BANDS, IMPACT_AREAS
from semh_desktop.core.dates import (
    academic_year,
    academic_year_start,
    format_date,
    parse_academic_year,
)
from semh_desktop.core.errors import SemhError, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.documents import pdf as documents
from semh_desktop.plans.plan_types import PLAN_TYPES, TARGET_KINDS
from semh_desktop.register.access import requires
from semh_desktop.register.pupils import year_group_label

SMALL_GROUP = 5
SUPPRESSED = "fewer than 5"
NO_BASE = "none"

PROFILE_FACTORS = {
    "pupil_premium": ("Pupil Premium", "pupil_premium = 1"),
    "social_care": ("Children's Social Care (any)", "social_care <> ''"),
    "cin": ("Child in need (CIN)", "social_care = 'CIN'"),
    "cp": ("Child protection plan (CP)", "social_care = 'CP'"),
    "cla": ("Child looked after (CLA)", "social_care = 'CLA'"),
    "ehcp": ("EHC plan", "sen_provision = 'E'"),
    "sen_support": ("SEN support", "sen_provision = 'K'"),
    "eal": ("English as an additional language", "eal = 1"),
    "young_carer": ("Young carer", "young_carer = 1"),
    "at_risk_pex": ("At risk of permanent exclusion", "at_risk_pex = 1"),
}
RESPONDENT_LABELS = {"school": "School", "parent": "Parent or carer"}
PARTNERSHIP_LABELS = {"improved": "Improved", "same": "Stayed the same", "worse": "Got worse"}
AFTER_CLOSURE = "after_closure"
AFTER_CLOSURE_LABEL = "After closure (all)"


class ReportCancelled(SemhError):
    """The person cancelled the report while it was being worked out."""


# Filters and the cohort -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    first: dt.date
    last: dt.date
    label: str  # "2025/26", or the dates of a custom period
    year_group: int | None = None
    worker_id: str | None = None
    worker_name: str = ""
    plan_type: str | None = None

    @classmethod
    def for_year(
        cls,
        year: str,
        *,
        year_group: int | None = None,
        worker_id: str | None = None,
        worker_name: str = "",
        plan_type: str | None = None,
    ) -> ReportFilters:
        first, last = parse_academic_year(year)
        if plan_type is not None and plan_type not in PLAN_TYPES:
            raise ValidationError("The plan type is psp or family.", field="plan_type")
        if year_group is not None and not -2 <= year_group <= 14:
            raise ValidationError("A year group is R or a number from 1 to 14.", field="year_group")
        return cls(first, last, academic_year(first), year_group, worker_id, worker_name, plan_type)

    def describe(self) -> list[tuple[str, str]]:
        lines = [
            ("Period", f"{self.label} ({format_date(self.first)} to {format_date(self.last)})")
        ]
        lines.append(
            (
                "Year group",
                year_group_label(self.year_group) if self.year_group is not None else "All",
            )
        )
        lines.append(("Worker", self.worker_name or ("Chosen worker" if self.worker_id else "All")))
        lines.append(("Plan type", PLAN_TYPES[self.plan_type].label if self.plan_type else "All"))
        return lines


def cohort_cte(filters: ReportFilters, today: dt.date) -> tuple[str, dict[str, Any]]:
    """`WITH cohort AS (...)` and its parameters: the cases the report is about."""
    conditions = ["c.referral_date <= :last", "(c.closed_on IS NULL OR c.closed_on >= :first)"]
    params: dict[str, Any] = {
        "first": filters.first.isoformat(),
        "last": filters.last.isoformat(),
        "as_of": min(filters.last, today).isoformat(),
    }
    if filters.year_group is not None:
        # pupils.year_group is this school year's; move it back to the period's school year.
        conditions.append("p.year_group - :year_shift = :year_group")
        params["year_shift"] = academic_year_start(today) - academic_year_start(filters.first)
        params["year_group"] = filters.year_group
    if filters.worker_id is not None:
        conditions.append("c.worker_id = :worker_id")
        params["worker_id"] = filters.worker_id
    if filters.plan_type is not None:
        conditions.append("c.plan_type = :plan_type")
        params["plan_type"] = filters.plan_type
    sql = (
        "WITH cohort AS (SELECT c.id, c.pupil_id, c.plan_type, c.referral_date, "
        "c.start_date, c.closed_on, c.closure_reason, c.is_re_referral "
        "FROM cases c JOIN pupils p ON p.id = c.pupil_id WHERE " + " AND ".join(conditions) + ")\n"
    )
    return sql, params


def report_years(store: Store) -> list[str]:
    """Academic years with cases, newest first, always including the current one."""
    today = store.clock.today()
    rows = list(store.db.query("SELECT min(referral_date) AS first FROM cases"))
    first = rows[0]["first"] if rows and rows[0]["first"] else None
    newest = academic_year_start(today)
    oldest = min(newest, academic_year_start(dt.date.fromisoformat(first))) if first else newest
    return [academic_year(dt.date(year, 9, 1)) for year in range(newest, oldest - 1, -1)]


def _query(
    store: Store, filters: ReportFilters, sql: str, extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    cte, params = cohort_cte(filters, store.clock.today())
    return list(store.db.query(cte + sql, {**params, **(extra or {})}))


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# Measures: raw numbers, one query each ----------------------------------------------------


@dataclass(frozen=True)
class CaseCounts:
    cohort: int  # cases active in the period
    pupils: int  # distinct pupils among them
    referred: int
    closed: int
    open_at_end: int
    re_referrals: int


def case_counts(store: Store, filters: ReportFilters) -> CaseCounts:
    row = _query(
        store,
        filters,
        """
        SELECT count(*) AS cohort, count(DISTINCT pupil_id) AS pupils,
               coalesce(sum(referral_date >= :first), 0) AS referred,
               coalesce(sum(closed_on IS NOT NULL AND closed_on <= :last), 0) AS closed,
               coalesce(sum(referral_date <= :as_of
                            AND (closed_on IS NULL OR closed_on > :as_of)), 0) AS open_at_end,
               coalesce(sum(referral_date >= :first AND is_re_referral = 1), 0) AS re_referrals
        FROM cohort""",
    )[0]
    return CaseCounts(**{k: int(v) for k, v in row.items()})


def closure_reasons(store: Store, filters: ReportFilters) -> dict[str, int]:
    """Cases closed in the period, by reason (every reason listed, 0 when none)."""
    found = {
        str(r["reason"]): int(r["n"])
        for r in _query(
            store,
            filters,
            """
        SELECT coalesce(closure_reason, 'other') AS reason, count(*) AS n FROM cohort
        WHERE closed_on IS NOT NULL AND closed_on <= :last GROUP BY 1""",
        )
    }
    return {key: found.get(key, 0) for key in CLOSURE_REASONS}


@dataclass(frozen=True)
class ProfileLine:
    factor: str
    label: str
    cohort: int
    cohort_total: int
    register: int
    register_total: int


def vulnerability_profile(store: Store, filters: ReportFilters) -> list[ProfileLine]:
    sums = ", ".join(
        f"coalesce(sum(in_cohort AND ({condition})), 0) AS c_{key}, "
        f"coalesce(sum(in_register AND ({condition})), 0) AS r_{key}"
        for key, (_, condition) in PROFILE_FACTORS.items()
    )
    row = _query(
        store,
        filters,
        f"""
        SELECT coalesce(sum(in_cohort), 0) AS c_total,
               coalesce(sum(in_register), 0) AS r_total, {sums}
        FROM (SELECT p.*, p.id IN (SELECT pupil_id FROM cohort) AS in_cohort,
                     p.archived_at IS NULL AS in_register
              FROM pupils p)""",
    )[0]
    return [
        ProfileLine(
            key,
            label,
            int(row[f"c_{key}"]),
            int(row["c_total"]),
            int(row[f"r_{key}"]),
            int(row["r_total"]),
        )
        for key, (label, _) in PROFILE_FACTORS.items()
    ]


@dataclass(frozen=True)
class ScoreChange:
    items: int  # every target (or aim) of the cohort's cases
    scored: int  # with an agreed baseline and an agreed final score
    improved: int  # final > baseline
    total_change: int  # sum of final - baseline over the scored ones

    @property
    def left_out(self) -> int:
        return self.items - self.scored

    @property
    def mean_change(self) -> float | None:
        return self.total_change / self.scored if self.scored else None


# Per item, the latest agreed score (highest seq) at the case's baseline and at its final
# review, as the current_scores view defines them (a case has one of each), then summed by
# group. Written out rather than joined through the view, whose correlated sub-query per row
# is several times slower on thousands of cases; MATERIALIZED keeps SQLite from working out
# each sub-query once per use in the sums.
_SCORE_CHANGE = """
    , per_item AS MATERIALIZED (
        SELECT {group} AS grp,
               (SELECT s.score FROM scores s WHERE s.{column} = t.id AND s.review_id = rb.id
                ORDER BY s.seq DESC LIMIT 1) AS baseline,
               (SELECT s.score FROM scores s WHERE s.{column} = t.id AND s.review_id = rf.id
                ORDER BY s.seq DESC LIMIT 1) AS final
        FROM {table} t JOIN cohort c ON c.id = t.case_id
        LEFT JOIN case_reviews rb
             ON rb.case_id = t.case_id AND rb.point = 'baseline' AND rb.number = 0
        LEFT JOIN case_reviews rf
             ON rf.case_id = t.case_id AND rf.point = 'final' AND rf.number = 0)
    SELECT grp, count(*) AS items,
           coalesce(sum(baseline IS NOT NULL AND final IS NOT NULL), 0) AS scored,
           coalesce(sum(final > baseline), 0) AS improved,
           coalesce(sum(final - baseline), 0) AS total_change
    FROM per_item GROUP BY 1
"""


def _score_change(row: dict[str, Any]) -> ScoreChange:
    return ScoreChange(
        int(row["items"]), int(row["scored"]), int(row["improved"]), int(row["total_change"])
    )


def targets_by_kind(store: Store, filters: ReportFilters) -> dict[str, ScoreChange]:
    """Targets (and family goals) improved, by kind; kinds with no target are left out."""
    rows = _query(
        store, filters, _SCORE_CHANGE.format(group="t.kind", table="targets", column="target_id")
    )
    found = {str(row["grp"]): _score_change(row) for row in rows}
    return {kind: found[kind] for kind in TARGET_KINDS if kind in found}


def case_aims_change(store: Store, filters: ReportFilters) -> ScoreChange:
    rows = _query(
        store, filters, _SCORE_CHANGE.format(group="'aims'", table="case_aims", column="aim_id")
    )
    return _score_change(rows[0]) if rows else ScoreChange(0, 0, 0, 0)


@dataclass(frozen=True)
class WindowSuspensions:
    window: str
    cases: int  # cases whose window has begun
    with_suspension: int  # of those, with a suspension starting in the window
    incidents: int
    half_days: int

    @property
    def days(self) -> float:
        return self.half_days / 2

    @property
    def days_per_pupil(self) -> float | None:
        return self.days / self.cases if self.cases else None


def _by_case(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[str(row["id"])].append(row)
    return grouped


def suspension_windows(store: Store, filters: ReportFilters) -> dict[str, WindowSuspensions]:
    """Per window (and 'after_closure' = after + rest of year): cases, suspensions, days."""
    today = store.clock.today()
    rows = _query(
        store,
        filters,
        """
        SELECT c.id, c.referral_date, c.start_date, c.closed_on, s.start_date AS s_start,
               s.half_days
        FROM cohort c LEFT JOIN suspensions s
             ON s.pupil_id = c.pupil_id AND s.withdrawn_at IS NULL""",
    )
    keys = (*WINDOWS, AFTER_CLOSURE)
    cases = dict.fromkeys(keys, 0)
    with_suspension = dict.fromkeys(keys, 0)
    incidents = dict.fromkeys(keys, 0)
    halves = dict.fromkeys(keys, 0)
    for case_rows in _by_case(rows).values():
        first = case_rows[0]
        windows = case_windows(
            dt.date.fromisoformat(first["referral_date"]),
            dt.date.fromisoformat(first["start_date"]),
            _date(first["closed_on"]),
            today,
        )
        spans = [
            SuspensionSpan(dt.date.fromisoformat(r["s_start"]), int(r["half_days"]))
            for r in case_rows
            if r["s_start"]
        ]
        after_incidents = after_halves = 0
        for key, window in windows.items():
            found, days = suspensions_in(window, spans)
            cases[key] += 1
            incidents[key] += found
            halves[key] += days
            with_suspension[key] += found > 0
            if key in ("after", "rest_of_year"):
                after_incidents += found
                after_halves += days
        if "after" in windows:
            cases[AFTER_CLOSURE] += 1
            incidents[AFTER_CLOSURE] += after_incidents
            halves[AFTER_CLOSURE] += after_halves
            with_suspension[AFTER_CLOSURE] += after_incidents > 0
    return {
        key: WindowSuspensions(key, cases[key], with_suspension[key], incidents[key], halves[key])
        for key in keys
    }


@dataclass(frozen=True)
class AttendanceChange:
    cases: int  # cohort cases whose intervention has begun
    with_both: int  # with a figure at the start and at the end of the intervention
    improved: int
    total_change: float  # percentage points, summed
    absent_at_start: int  # persistent absence (below 90%) at the start, among with_both
    absent_at_end: int

    @property
    def mean_change(self) -> float | None:
        return self.total_change / self.with_both if self.with_both else None


def attendance_change(store: Store, filters: ReportFilters) -> AttendanceChange:
    today = store.clock.today()
    rows = _query(
        store,
        filters,
        """
        SELECT c.id, c.referral_date, c.start_date, c.closed_on, a.as_of, a.percent
        FROM cohort c LEFT JOIN attendance_snapshots a
             ON a.pupil_id = c.pupil_id AND a.withdrawn_at IS NULL""",
    )  # sorted below:
    # an ORDER BY here makes SQLite walk every case in id order (several times slower)
    cases = with_both = improved = absent_start = absent_end = 0
    total = 0.0
    for case_rows in _by_case(rows).values():
        first = case_rows[0]
        windows = case_windows(
            dt.date.fromisoformat(first["referral_date"]),
            dt.date.fromisoformat(first["start_date"]),
            _date(first["closed_on"]),
            today,
        )
        during = windows.get("during")
        if during is None:
            continue
        cases += 1
        points = sorted(
            (
                AttendancePoint(dt.date.fromisoformat(r["as_of"]), float(r["percent"]))
                for r in case_rows
                if r["as_of"]
            ),
            key=lambda point: point.as_of,
        )
        start, end = attendance_at(during, points)
        if start is None or end is None:
            continue
        with_both += 1
        improved += end.percent > start.percent
        total += end.percent - start.percent
        absent_start += start.percent < PERSISTENT_ABSENCE_BELOW
        absent_end += end.percent < PERSISTENT_ABSENCE_BELOW
    return AttendanceChange(cases, with_both, improved, round(total, 6), absent_start, absent_end)


@dataclass(frozen=True)
class ItemMean:
    respondent: str
    item_text: str
    answers: int
    total: int

    @property
    def mean(self) -> float | None:
        return self.total / self.answers if self.answers else None


def questionnaire_means(store: Store, filters: ReportFilters) -> list[ItemMean]:
    """Per respondent and item wording: answers given (blanks left out) and their total."""
    rows = _query(
        store,
        filters,
        """
        SELECT q.respondent, a.item_text, count(a.score) AS answers,
               coalesce(sum(a.score), 0) AS total
        FROM questionnaires q JOIN cohort c ON c.id = q.case_id
        JOIN questionnaire_answers a ON a.questionnaire_id = q.id
        GROUP BY q.respondent, a.item_text
        ORDER BY CASE q.respondent WHEN 'school' THEN 0 ELSE 1 END, min(a.position),
                 a.item_text""",
    )
    return [
        ItemMean(str(r["respondent"]), str(r["item_text"]), int(r["answers"]), int(r["total"]))
        for r in rows
    ]


def partnership(store: Store, filters: ReportFilters) -> dict[str, dict[str, int]]:
    """Respondent -> improved/same/worse -> questionnaires (unanswered left out)."""
    result = {who: dict.fromkeys(PARTNERSHIP_LABELS, 0) for who in RESPONDENT_LABELS}
    for row in _query(
        store,
        filters,
        """
            SELECT q.respondent, q.partnership, count(*) AS n
            FROM questionnaires q JOIN cohort c ON c.id = q.case_id
            WHERE q.partnership IS NOT NULL GROUP BY 1, 2""",
    ):
        result[str(row["respondent"])][str(row["partnership"])] = int(row["n"])
    return result


def impact_bands(store: Store, filters: ReportFilters) -> dict[str, list[int]]:
    """Family-plan impact area -> cases in each 10% band (BANDS order); unrecorded areas out."""
    result: dict[str, list[int]] = {}
    for row in _query(
        store,
        filters,
        """
            SELECT i.area, min(i.percent / 10, 10) AS band, count(*) AS n
            FROM impact_areas i JOIN cohort c ON c.id = i.case_id
            WHERE c.plan_type = 'family'
              AND i.seq = (SELECT max(seq) FROM impact_areas
                           WHERE case_id = i.case_id AND area = i.area)
            GROUP BY 1, 2""",
    ):
        bands = result.setdefault(str(row["area"]), [0] * len(BANDS))
        bands[int(row["band"])] = int(row["n"])
    order = list(IMPACT_AREAS)
    return dict(
        sorted(result.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    )


# The whole report ------------------------------------------------------------------------


@dataclass
class CohortReport:
    filters: ReportFilters
    produced_on: dt.date
    counts: CaseCounts
    reasons: dict[str, int]
    profile: list[ProfileLine]
    targets: dict[str, ScoreChange]
    aims: ScoreChange
    suspensions: dict[str, WindowSuspensions]
    attendance: AttendanceChange
    questionnaires: list[ItemMean]
    partnership: dict[str, dict[str, int]]
    impact: dict[str, list[int]]
    figures: list[Figure] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.figures:
            self.figures = report_figures(self)

    @property
    def period_over(self) -> bool:
        return self.filters.last < self.produced_on


Progress = Callable[[int, int, str], None]

MEASURE_STEPS = (
    "Counting cases",
    "Closure reasons",
    "Cohort profile",
    "Targets",
    "Case aims",
    "Suspensions",
    "Attendance",
    "Questionnaires",
    "Partnership",
    "Impact areas",
)


def build_report(
    store: Store,
    filters: ReportFilters,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> CohortReport:
    """Work out every measure (progress(step, steps, what) between them; cancel between)."""
    steps: list[Callable[[Store, ReportFilters], Any]] = [
        case_counts,
        closure_reasons,
        vulnerability_profile,
        targets_by_kind,
        case_aims_change,
        suspension_windows,
        attendance_change,
        questionnaire_means,
        partnership,
        impact_bands,
    ]
    results: list[Any] = []
    for number, (step, what) in enumerate(zip(steps, MEASURE_STEPS, strict=True)):
        if cancelled is not None and cancelled():
            raise ReportCancelled("The report was cancelled.")
        if progress is not None:
            progress(number, len(steps), what)
        results.append(step(store, filters))
    if progress is not None:
        progress(len(steps), len(steps), "Done")
    return CohortReport(filters, store.clock.today(), *results)


# Figures: what is shown, after the small-group rule ---------------------------------------


def count_text(n: int) -> str:
    return SUPPRESSED if 0 < n < SMALL_GROUP else str(n)


def _half_up(value: float, places: int = 0) -> float:
    factor: float = 10.0**places
    shifted = abs(value) * factor + 0.5 + 1e-9
    return (1 if value >= 0 else -1) * int(shifted) / factor


def percent_text(part: int, base: int) -> str:
    if base == 0:
        return NO_BASE
    if base < SMALL_GROUP or 0 < part < SMALL_GROUP:
        return SUPPRESSED
    return f"{int(_half_up(100 * part / base))}"


def mean_text(total: float, base: int, *, signed: bool = True) -> str:
    if base == 0:
        return NO_BASE
    if base < SMALL_GROUP:
        return SUPPRESSED
    value = _half_up(total / base, 1)
    if value == 0:
        value = 0.0  # no "-0.0"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


@dataclass(frozen=True)
class Figure:
    section: str
    measure: str
    group: str
    value: str  # a number as text, "fewer than 5" or "none"
    unit: str = ""  # "%" for percentages

    @property
    def display(self) -> str:
        numeric = self.value not in (SUPPRESSED, NO_BASE)
        return f"{self.value}{self.unit}" if numeric and self.unit else self.value

    @property
    def suppressed(self) -> bool:
        return self.value == SUPPRESSED


SECTIONS = (
    "Cases",
    "Closure reasons",
    "Cohort profile",
    "Targets",
    "Case aims",
    "Suspensions",
    "Attendance",
    "Questionnaires",
    "Partnership between school and family",
    "Family-plan impact areas",
)


def report_figures(report: CohortReport) -> list[Figure]:
    out: list[Figure] = []

    def add(section: str, measure: str, group: str, value: str, unit: str = "") -> None:
        out.append(Figure(section, measure, group, value, unit))

    c = report.counts
    end_word = "the end of the period" if report.period_over else "today"
    add("Cases", "Cases referred in the period", "All", count_text(c.referred))
    add("Cases", "Cases closed in the period", "All", count_text(c.closed))
    add("Cases", f"Cases open at {end_word}", "All", count_text(c.open_at_end))
    add("Cases", "Re-referrals (within 12 months of a closure)", "All", count_text(c.re_referrals))
    add("Cases", "Cases active in the period (the cohort)", "All", count_text(c.cohort))
    add("Cases", "Pupils in the cohort", "All", count_text(c.pupils))

    closed = sum(report.reasons.values())
    for key, n in report.reasons.items():
        add("Closure reasons", "Cases closed", CLOSURE_REASONS[key], count_text(n))
        add(
            "Closure reasons",
            "Share of closures (%)",
            CLOSURE_REASONS[key],
            percent_text(n, closed),
            "%",
        )

    if report.profile:
        first = report.profile[0]
        add("Cohort profile", "Pupils", "Cohort", count_text(first.cohort_total))
        add("Cohort profile", "Pupils", "Whole register", count_text(first.register_total))
    for line in report.profile:
        add(
            "Cohort profile",
            f"{line.label} (%)",
            "Cohort",
            percent_text(line.cohort, line.cohort_total),
            "%",
        )
        add(
            "Cohort profile",
            f"{line.label} (%)",
            "Whole register",
            percent_text(line.register, line.register_total),
            "%",
        )

    def score_figures(section: str, group: str, change: ScoreChange, noun: str) -> None:
        add(section, noun, group, count_text(change.items))
        add(section, "Scored at baseline and final", group, count_text(change.scored))
        add(section, "Improved (%)", group, percent_text(change.improved, change.scored), "%")
        add(
            section,
            "Mean change (final - baseline)",
            group,
            mean_text(change.total_change, change.scored),
        )
        add(section, "Left out: no final (or baseline) score", group, count_text(change.left_out))

    for kind, change in report.targets.items():
        score_figures("Targets", TARGET_KINDS[kind], change, "Targets")
    if len(report.targets) > 1:
        everything = ScoreChange(
            sum(t.items for t in report.targets.values()),
            sum(t.scored for t in report.targets.values()),
            sum(t.improved for t in report.targets.values()),
            sum(t.total_change for t in report.targets.values()),
        )
        score_figures("Targets", "All kinds", everything, "Targets")
    score_figures("Case aims", "All case aims", report.aims, "Case aims")

    for key in (*WINDOWS, AFTER_CLOSURE):
        w = report.suspensions[key]
        label = AFTER_CLOSURE_LABEL if key == AFTER_CLOSURE else WINDOW_LABELS[key]
        add("Suspensions", "Cases in the window", label, count_text(w.cases))
        add(
            "Suspensions",
            "With a suspension (%)",
            label,
            percent_text(w.with_suspension, w.cases),
            "%",
        )
        add("Suspensions", "Suspensions (incidents)", label, count_text(w.incidents))
        add(
            "Suspensions",
            "Suspension days per pupil",
            label,
            mean_text(w.days, w.cases, signed=False),
        )

    a = report.attendance
    group = "During the intervention"
    add("Attendance", "Cases with attendance at start and end", group, count_text(a.with_both))
    add("Attendance", "Attendance improved (%)", group, percent_text(a.improved, a.with_both), "%")
    add(
        "Attendance",
        "Mean change (percentage points)",
        group,
        mean_text(a.total_change, a.with_both),
    )
    add(
        "Attendance",
        "Persistent absence at start (%)",
        group,
        percent_text(a.absent_at_start, a.with_both),
        "%",
    )
    add(
        "Attendance",
        "Persistent absence at end (%)",
        group,
        percent_text(a.absent_at_end, a.with_both),
        "%",
    )

    for item in report.questionnaires:
        who = RESPONDENT_LABELS.get(item.respondent, item.respondent)
        add("Questionnaires", "Answers", f"{who}: {item.item_text}", count_text(item.answers))
        add(
            "Questionnaires",
            "Mean agreement (1-5)",
            f"{who}: {item.item_text}",
            mean_text(item.total, item.answers, signed=False),
        )

    section = "Partnership between school and family"
    for who, counts in report.partnership.items():
        for key, label in PARTNERSHIP_LABELS.items():
            add(section, label, RESPONDENT_LABELS[who], count_text(counts[key]))

    for area, bands in report.impact.items():
        for band, n in zip(BANDS, bands, strict=True):
            add("Family-plan impact areas", IMPACT_AREAS.get(area, area), band, count_text(n))
    return out


def figure(report: CohortReport, section: str, measure: str, group: str) -> Figure:
    """One figure by its coordinates (tests and the Reports view)."""
    for item in report.figures:
        if (item.section, item.measure, item.group) == (section, measure, group):
            return item
    raise KeyError((section, measure, group))


# CSV ------------------------------------------------------------------------------------


CSV_HEADER = ("section", "measure", "group", "value")


def write_csv(report: CohortReport, path: Path) -> Path:
    """Tidy CSV: one figure a row (section, measure, group, value); UTF-8 with BOM for Excel."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise ValidationError("The output file must end in .csv.", field="out")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for name, value in report.filters.describe():
            writer.writerow(("Filters", name, "", value))
        writer.writerow(("Filters", "Produced", "", format_date(report.produced_on)))
        for item in report.figures:
            writer.writerow((item.section, item.measure, item.group, item.value))
    return path


# PDF ------------------------------------------------------------------------------------

# How each section's figures are laid out: rows are measures (columns are groups), or the
# other way round when the groups are the long list.
_ROWS_ARE_GROUPS = {"Closure reasons", "Questionnaires", "Partnership between school and family"}
_CHART_FILL = ("#555555", "#999999")


def pivot(figures: list[Figure], *, rows_are_groups: bool) -> list[list[str]]:
    """A section's figures as a table: a header row, then one row per measure (or group)."""
    row_keys: list[str] = []
    col_keys: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for item in figures:
        row, col = (item.group, item.measure) if rows_are_groups else (item.measure, item.group)
        if row not in row_keys:
            row_keys.append(row)
        if col not in col_keys:
            col_keys.append(col)
        cells[(row, col)] = item.display
    header = ["", *(["Figure"] if col_keys == ["All"] else col_keys)]
    return [header, *[[row, *[cells.get((row, col), "") for col in col_keys]] for row in row_keys]]


def _numeric(item: Figure) -> float:
    try:
        return float(item.value)
    except ValueError:
        return 0.0  # suppressed or no base: no bar, the label says why


def bar_chart(title: str, bars: list[tuple[str, Figure]], width: float, height: float = 150) -> Any:
    """A grey bar chart (legible in black and white) with each bar labelled by its figure."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    regular = documents.styles()["body"].fontName
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, title, fontName=regular, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y = 34, 34
    chart.width, chart.height = width - 44, height - 64
    chart.data = [[_numeric(item) for _, item in bars]]
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[item.display for _, item in bars]]
    chart.barLabels.fontName = regular
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    chart.valueAxis.valueMin = 0
    top = (
        max([100.0, *chart.data[0]])
        if all(i.unit == "%" for _, i in bars)
        else max([1.0, *chart.data[0]]) * 1.25
    )
    chart.valueAxis.valueMax = top
    chart.valueAxis.labels.fontName = regular
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.categoryNames = [label for label, _ in bars]
    chart.categoryAxis.labels.fontName = regular
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.bars[0].fillColor = colors.HexColor(_CHART_FILL[0])
    chart.bars[0].strokeColor = colors.black
    drawing.add(chart)
    return drawing


_NOTES = [
    "The cohort is every case active in the period: referred by its last day and not closed "
    "before its first day. A case that runs across two school years counts in both.",
    "Groups smaller than 5 are shown as \u201cfewer than 5\u201d: any count from 1 to 4, and "
    "any percentage or mean taken of fewer than 5, or counting 1 to 4. \u201cnone\u201d means "
    "there was nothing to count.",
    "Targets and case aims count when both an agreed baseline and an agreed final score exist; "
    "the others are left out and counted as left out. Improved means final above baseline.",
    "Suspension windows: the year before referral; the intervention (start to closure, or "
    "today); the 6 weeks after closure; the rest of that school year. A case counts in a "
    "window once the window has begun. Days per pupil divide the suspension days falling in "
    "the window by the cases in it. School days are weekdays (holidays are not known).",
    "Attendance: the figure nearest the start of the intervention (up to 30 days before) and "
    "the latest figure before its end. Persistent absence is attendance below 90%.",
    "The register column is every pupil on the register today, not archived.",
]


def pdf_story(report: CohortReport) -> list[Any]:
    from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer

    st = documents.styles()
    width = documents.content_width()
    story: list[Any] = [
        Paragraph(documents.escape(f"Cohort impact report {report.filters.label}"), st["title"]),
        documents.key_values(
            [
                *report.filters.describe(),
                ("Produced", format_date(report.produced_on)),
                (
                    "Contains",
                    "Figures only: no names. Groups smaller than 5 "
                    "are shown as \u201cfewer than 5\u201d.",
                ),
            ]
        ),
    ]
    by_section: dict[str, list[Figure]] = defaultdict(list)
    for item in report.figures:
        by_section[item.section].append(item)
    for section in SECTIONS:
        items = by_section.get(section, [])
        block: list[Any] = [Paragraph(documents.escape(section), st["h2"])]
        if not items:
            story += [*block, Paragraph("Nothing recorded for this cohort.", st["body"])]
            continue
        if section == "Suspensions":
            bars = [
                (
                    _short_window(k),
                    figure(report, section, "With a suspension (%)", WINDOW_LABELS[k]),
                )
                for k in WINDOWS
            ]
            block.append(bar_chart("Cases with a suspension in each window (%)", bars, width))
        if section == "Targets" and report.targets:
            groups = [TARGET_KINDS[k] for k in report.targets]
            groups += ["All kinds"] if len(groups) > 1 else []
            bars = [(group, figure(report, section, "Improved (%)", group)) for group in groups]
            block.append(bar_chart("Targets improved, by kind (%)", bars, width * 0.7))
        rows = pivot(items, rows_are_groups=section in _ROWS_ARE_GROUPS)
        block += [Spacer(1, 4), _table(rows, width)]
        story += [KeepTogether(block)] if len(rows) <= 14 else block
    story += [CondPageBreak(80), Paragraph("How these figures are made", st["h2"])]
    story += [Paragraph(documents.escape(note), st["small"]) for note in _NOTES]
    return story


def _table(rows: list[list[str]], width: float) -> Any:
    """A section's table; wide ones (the impact bands) get small type and tight padding."""
    from reportlab.platypus import TableStyle

    columns = len(rows[0])
    if columns <= 4:
        first, scale, padding = width * 0.42, 1.0, 6
    elif columns <= 7:
        first, scale, padding = width * 0.30, 0.9, 4
    else:
        first, scale, padding = width * 0.24, 0.75, 2
    widths = [first] + [(width - first) / (columns - 1)] * (columns - 1)
    result = documents.table(rows, widths, scale=scale)
    result.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
            ]
        )
    )
    return result


def _short_window(key: str) -> str:
    return {
        "before": "Year before",
        "during": "During",
        "after": "6 weeks after",
        "rest_of_year": "Rest of year",
    }[key]


def build_pdf(report: CohortReport, path: Path) -> Path:
    """Write the report as a PDF without auditing (benchmarks and previews)."""
    return documents.write_pdf(
        Path(path),
        pdf_story(report),
        title=f"Cohort impact report {report.filters.label}",
        initials="Cohort figures",
        produced_on=report.produced_on,
    )


@requires("export")
def export_report(store: Store, report: CohortReport, path: Path) -> Path:
    """Write the report as .pdf or .csv (by the file's extension) and audit the export."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        written = build_pdf(report, path)
    elif suffix == ".csv":
        written = write_csv(report, path)
    else:
        raise ValidationError("Save the report as a .pdf or a .csv file.", field="out")
    what = f"cohort impact report {report.filters.label}"
    details = [
        f"year group {report.filters.year_group}" if report.filters.year_group is not None else "",
        "worker filter" if report.filters.worker_id else "",
        f"plan type {report.filters.plan_type}" if report.filters.plan_type else "",
    ]
    extra = ", ".join(d for d in details if d)
    documents.record_export(
        store, "cohort_report", None, f"{what}{'; ' + extra if extra else ''}", written
    )
    return written
