"""`semh-desktop report`: the cohort impact report for an academic year, as PDF or CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from semh_desktop.cli.options import opened
from semh_desktop.core.dates import academic_year
from semh_desktop.plans.plan_types import PLAN_TYPES
from semh_desktop.register import staff
from semh_desktop.reporting import impact_report


def report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--year",
        metavar="YYYY/YY",
        help="the academic year, e.g. 2025/26 (default: the current one)",
    )
    parser.add_argument(
        "--year-group",
        type=int,
        metavar="N",
        help="only pupils in this year group during that year",
    )
    parser.add_argument("--worker", metavar="NAME", help="only cases held by this worker")
    parser.add_argument(
        "--plan-type",
        choices=sorted(PLAN_TYPES),
        help="only PSPs or only family plans",
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="FILE.pdf or FILE.csv"
    )


def cmd_report(args: argparse.Namespace) -> int:
    with opened(args) as store:
        worker = staff.find_staff(store, args.worker) if args.worker else None
        year = args.year or academic_year(store.clock.today())
        filters = impact_report.ReportFilters.for_year(
            year,
            year_group=args.year_group,
            worker_id=worker.id if worker else None,
            worker_name=worker.name if worker else "",
            plan_type=args.plan_type,
        )
        report = impact_report.build_report(store, filters)
        written = impact_report.export_report(store, report, args.out)
    print(f"Wrote the cohort impact report for {filters.label} to {written}.")
    return 0
