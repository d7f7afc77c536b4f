"""How long the cohort impact report takes on a 3,000-case cohort in an encrypted database.

A synthetic school is written straight into a SQLCipher file with bulk inserts (the write
functions' checks and audit rows would only slow the set-up): 12,000 pupils on the register,
2,400 of them supported in 2025/26 with 3,000 cases (600 re-referrals; PSPs with three
targets and family plans with two goals, two case aims each, baseline and final scores),
about 4,000 suspensions, eight attendance figures per supported pupil, questionnaires for
closed cases and impact areas for family plans. Prints the median of several runs for:
  - working out every measure (build_report), for all cases and with a filter,
  - writing the PDF (with its charts) and the CSV.

Run: .venv/bin/python bench/bench_impact_report.py
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from semh_desktop.closure.impact_areas import IMPACT_AREAS
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.store import Store
from semh_desktop.register.database import create_database
from semh_desktop.reporting import impact_report

RUNS = 5
TODAY = dt.datetime(2026, 11, 23, 10, 0)
PUPILS = 12_000
SUPPORTED = 2_400
CASES = 3_000
YEAR_START = dt.date(2025, 9, 1)


def _id() -> str:
    return str(uuid.uuid4())


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _synthetic_pupils(rng: random.Random, now: str) -> list[dict[str, Any]]:
    pupils: list[dict[str, Any]] = []
    for n in range(PUPILS):
        pupils.append(
            {
                "id": _id(),
                "upn": f"Z{n:012d}",
                "legal_forename": "Synthetic",
                "legal_surname": f"Pupil{n}",
                "date_of_birth": "2012-01-01",
                "year_group": 7 + n % 5,
                "sen_provision": rng.choice("NNNNNNKKE"),
                "pupil_premium": int(rng.random() < 0.4),
                "social_care": rng.choice(["", "", "", "", "", "", "", "", "CIN", "CP", "CLA"]),
                "young_carer": int(rng.random() < 0.05),
                "eal": int(rng.random() < 0.15),
                "at_risk_pex": int(rng.random() < 0.03),
                "on_semh_register": int(n < SUPPORTED),
                "created_at": now,
                "updated_at": now,
            }
        )
    return pupils


def _final_review(review_id: str, case_id: str, held_on: dt.date, now: str) -> dict[str, Any]:
    return {
        "id": review_id,
        "case_id": case_id,
        "point": "final",
        "number": 0,
        "held_on": held_on.isoformat(),
        "recorded_at": now,
    }


def fill(store: Store, rng: random.Random) -> None:
    now = TODAY.isoformat()
    workers = [row["id"] for row in store.db.query("SELECT id FROM staff")]
    pupils = _synthetic_pupils(rng, now)
    store.db.table("pupils").insert_all(pupils, batch_size=2000)
    supported = [p["id"] for p in pupils[:SUPPORTED]]

    cases: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    aims: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    questionnaires: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    impact: list[dict[str, Any]] = []
    plan_for = [(pupil, 0) for pupil in supported] + [
        (pupil, 1) for pupil in supported[: CASES - SUPPORTED]
    ]
    for pupil_id, episode in plan_for:
        referral = _weekday(YEAR_START + dt.timedelta(days=rng.randint(0, 150) + 160 * episode))
        start = _weekday(referral + dt.timedelta(days=rng.randint(7, 21)))
        closed = start + dt.timedelta(weeks=8, days=rng.randint(0, 10))
        is_open = (episode == 1 and rng.random() < 0.4) or closed > TODAY.date()
        family = rng.random() < 0.25
        case_id = _id()
        cases.append(
            {
                "id": case_id,
                "pupil_id": pupil_id,
                "referral_date": referral.isoformat(),
                "referred_by": "Head of Year",
                "reason": "Synthetic.",
                "worker_id": rng.choice(workers),
                "plan_type": "family" if family else "psp",
                "start_date": start.isoformat(),
                "length_weeks": 8,
                "status": "open" if is_open else "closed",
                "closed_on": None if is_open else closed.isoformat(),
                "closure_reason": None
                if is_open
                else rng.choice(
                    ["stepped_down"] * 6 + ["stepped_up_csc", "transferred", "disengaged"]
                ),
                "created_at": now,
                "updated_at": now,
            }
        )
        baseline, final = _id(), _id()
        reviews.append(
            {
                "id": baseline,
                "case_id": case_id,
                "point": "baseline",
                "number": 0,
                "held_on": start.isoformat(),
                "recorded_at": now,
            }
        )
        reviews += [] if is_open else [_final_review(final, case_id, closed, now)]
        kinds = (
            ["family_goal"] * 2
            if family
            else ["learning", "behaviour_wellbeing", "behaviour_wellbeing"]
        )
        for position, kind in enumerate(kinds, start=1):
            target_id = _id()
            targets.append(
                {
                    "id": target_id,
                    "case_id": case_id,
                    "position": position,
                    "kind": kind,
                    "created_at": now,
                }
            )
            base = rng.randint(1, 5)
            scores.append(
                {
                    "id": _id(),
                    "review_id": baseline,
                    "target_id": target_id,
                    "score": base,
                    "recorded_at": now,
                }
            )
            if not is_open:
                scores.append(
                    {
                        "id": _id(),
                        "review_id": final,
                        "target_id": target_id,
                        "score": min(10, base + rng.randint(-1, 6)),
                        "recorded_at": now,
                    }
                )
        for position in (1, 2):
            aim_id = _id()
            aims.append(
                {
                    "id": aim_id,
                    "case_id": case_id,
                    "position": position,
                    "aim": "Support emotional regulation",
                    "created_at": now,
                }
            )
            base = rng.randint(1, 4)
            scores.append(
                {
                    "id": _id(),
                    "review_id": baseline,
                    "aim_id": aim_id,
                    "score": base,
                    "recorded_at": now,
                }
            )
            if not is_open:
                scores.append(
                    {
                        "id": _id(),
                        "review_id": final,
                        "aim_id": aim_id,
                        "score": min(10, base + rng.randint(0, 6)),
                        "recorded_at": now,
                    }
                )
        if not is_open:
            for respondent in ("school", "parent"):
                questionnaire_id = _id()
                questionnaires.append(
                    {
                        "id": questionnaire_id,
                        "case_id": case_id,
                        "respondent": respondent,
                        "completed_on": closed.isoformat(),
                        "entered_at": now,
                        "partnership": rng.choice(["improved", "improved", "same", "worse"]),
                    }
                )
                answers += [
                    {
                        "id": _id(),
                        "questionnaire_id": questionnaire_id,
                        "position": position,
                        "item_text": f"{respondent} item {position}",
                        "score": rng.randint(2, 5),
                    }
                    for position in range(1, 6)
                ]
            if family:
                impact += [
                    {
                        "id": _id(),
                        "case_id": case_id,
                        "area": area,
                        "percent": rng.randrange(0, 101, 5),
                        "recorded_at": now,
                    }
                    for area in rng.sample(list(IMPACT_AREAS), 5)
                ]
    # Open cases first would break "one open case per pupil" only for the second episode:
    # a pupil's first case is always closed before the second is referred (160 days later).
    for table, rows in (
        ("cases", cases),
        ("case_reviews", reviews),
        ("targets", targets),
        ("case_aims", aims),
        ("scores", scores),
        ("questionnaires", questionnaires),
        ("questionnaire_answers", answers),
        ("impact_areas", impact),
    ):
        store.db.table(table).insert_all(rows, batch_size=2000)

    suspensions: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    for pupil_id in supported:
        for month in range(0, 14, 2):
            day = _weekday(dt.date(2025, 1, 15) + dt.timedelta(days=60 * month // 2 + 3))
            if rng.random() < 0.12:
                suspensions.append(
                    {
                        "id": _id(),
                        "pupil_id": pupil_id,
                        "start_date": day.isoformat(),
                        "half_days": rng.choice([1, 2, 2, 4, 6]),
                        "reason": "disruption",
                        "created_at": now,
                    }
                )
        for month in range(8):
            day = _weekday(dt.date(2025, 9, 10) + dt.timedelta(days=42 * month))
            snapshots.append(
                {
                    "id": _id(),
                    "pupil_id": pupil_id,
                    "as_of": day.isoformat(),
                    "percent": round(rng.uniform(70, 99), 1),
                    "created_at": now,
                }
            )
    store.db.table("suspensions").insert_all(suspensions, batch_size=2000)
    store.db.table("attendance_snapshots").insert_all(snapshots, batch_size=2000)


def median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        created = create_database(
            path,
            staff_name="Bench SENCO",
            passphrase=Passphrase("bench passphrase"),
            clock=FixedClock(TODAY),
        )
        store = created.store
        started = time.perf_counter()
        with store.atomic():
            fill(store, random.Random(2026))
        fill_seconds = time.perf_counter() - started
        counts = {
            table: next(iter(store.db.query(f"SELECT count(*) AS n FROM {table}")))["n"]
            for table in (
                "pupils",
                "cases",
                "targets",
                "scores",
                "suspensions",
                "attendance_snapshots",
                "questionnaire_answers",
            )
        }
        print(
            f"Synthetic school in an encrypted file ({fill_seconds:.1f} s to fill): "
            + ", ".join(f"{n:,} {table}" for table, n in counts.items())
        )
        everything = impact_report.ReportFilters.for_year("2025/26")
        psp_only = impact_report.ReportFilters.for_year("2025/26", plan_type="psp", year_group=8)
        report = impact_report.build_report(store, everything)
        print(
            f"Cohort: {report.counts.cohort:,} cases active in 2025/26, "
            f"{report.counts.closed:,} closed, {len(report.figures)} figures"
        )
        compute = median_ms(lambda: impact_report.build_report(store, everything))
        filtered = median_ms(lambda: impact_report.build_report(store, psp_only))
        pdf = median_ms(lambda: impact_report.build_pdf(report, Path(folder) / "r.pdf"))
        csv_ms = median_ms(lambda: impact_report.write_csv(report, Path(folder) / "r.csv"))
        steps: dict[str, float] = {}

        def progress(step: int, total: int, what: str) -> None:
            steps[what] = time.perf_counter()

        impact_report.build_report(store, everything, progress=progress)
        names = list(steps)
        slowest = sorted(((steps[b] - steps[a]) * 1000, a) for a, b in itertools.pairwise(names))
        print(
            f"Computation (all {report.counts.cohort:,} cases): {compute:.0f} ms median of {RUNS}"
        )
        print(f"Computation (PSP, year 8 filter):  {filtered:.0f} ms")
        print(f"PDF with charts:                   {pdf:.0f} ms")
        print(f"CSV:                               {csv_ms:.0f} ms")
        print(
            "Slowest measures: "
            + ", ".join(f"{what} {ms:.0f} ms" for ms, what in reversed(slowest[-4:]))
        )
        store.close()


if __name__ == "__main__":
    main()
