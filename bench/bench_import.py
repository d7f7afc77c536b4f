"""How long importing a whole school's MIS export takes: 2,000 fictional pupils, encrypted file.

Generates a SIMS-style CSV of 2,000 fictional pupils (valid UPNs), then on a fresh SQLCipher
database (passphrase mode, as on a school laptop) times:
  - reading the file (decode, separator, rows) and the preview (match, validate, diff),
  - applying it (2,000 new pupils, one transaction, each audited),
  - re-importing the same file (preview + apply: 2,000 unchanged, no pupil writes),
  - a second file where 200 pupils moved up a year (preview + apply: 200 updates).
Prints the figures; it asserts only the counts, never a time.

Run: /tmp/venv/bin/python bench/bench_import.py [pupils]
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.store import Store
from semh_desktop.demo.school import ETHNICITIES, FORENAMES, SURNAMES
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.pupils import ImportPreview, ImportResult
from semh_desktop.register.database import create_database
from semh_desktop.register.upn import make_upn

T = TypeVar("T")
HEADER = (
    "UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Gender,Year,Reg Group,"
    "SEN Status,Primary Need,Pupil Premium,EAL,Ethnicity"
)


def school_csv(count: int, *, moved_up: int = 0, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    lines = [HEADER]
    for serial in range(count):
        year = 7 + serial % 5
        born = dt.date(2026 - year - 5, 9, 1) + dt.timedelta(days=rng.randrange(365))
        if serial < moved_up:
            year += 1
        sen = rng.choice("NNNNNNKKE")
        need = "" if sen == "N" else rng.choice(["SEMH", "SLCN", "ASD", "SPLD", "MLD"])
        forename = rng.choice(FORENAMES)
        lines.append(
            ",".join(
                [
                    make_upn(873, 4127, 10 + serial // 1000, serial % 1000),
                    rng.choice(SURNAMES),
                    forename,
                    forename if rng.random() < 0.9 else forename[:3],
                    born.strftime("%d/%m/%Y"),
                    rng.choice("FM"),
                    f"Year {year}",
                    f"{year}{'ABCD'[serial % 4]}",
                    sen,
                    need,
                    rng.choice(["Yes", "No", "No"]),
                    rng.choice(["N", "N", "N", "Y"]),
                    rng.choice(ETHNICITIES),
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def timed(work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    outcome = work()
    return outcome, time.perf_counter() - start


def run_import(
    store: Store, data: bytes, name: str
) -> tuple[ImportPreview, ImportResult, float, float]:
    preview, preview_seconds = timed(
        lambda: pupil_import.preview_import(store, pupil_import.read_source(data, name))
    )
    result, apply_seconds = timed(lambda: pupil_import.apply_import(store, preview))
    return preview, result, preview_seconds, apply_seconds


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0))
    first = school_csv(count)
    later = school_csv(count, moved_up=count // 10)
    with tempfile.TemporaryDirectory() as folder:
        created = create_database(
            Path(folder) / "school.db",
            staff_name="Bench SENCO",
            passphrase=Passphrase("bench passphrase"),
            clock=clock,
        )
        store = created.store
        try:
            print(
                f"Importing {count} fictional pupils ({len(first) / 1024:.0f} KB CSV) "
                "into an encrypted database file"
            )
            _preview, result, p_s, a_s = run_import(store, first, "school.csv")
            assert (result.created, result.error_rows) == (count, 0), result
            print(
                f"  first import   read+preview {p_s:6.2f} s   apply {a_s:6.2f} s   "
                f"({result.detail}; {count / (p_s + a_s):.0f} pupils/s overall)"
            )
            _preview, result, p_s, a_s = run_import(store, first, "school.csv")
            assert result.unchanged == count, result
            print(
                f"  same file      read+preview {p_s:6.2f} s   apply {a_s:6.2f} s   "
                f"({result.detail})"
            )
            _preview, result, p_s, a_s = run_import(store, later, "school-later.csv")
            assert result.updated == count // 10, result
            print(
                f"  {count // 10} moved up  read+preview {p_s:6.2f} s   apply {a_s:6.2f} s   "
                f"({result.detail})"
            )
        finally:
            store.close()


if __name__ == "__main__":
    main()
