"""A fictional school for trying the app: every capability shows on several pupils.

All names are invented combinations; the generator is seeded, so the same school is built
every time (tests rely on that).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from semh_desktop.core.store import Store
from semh_desktop.demo import attendance as attendance_demo
from semh_desktop.demo import closure as closure_demo
from semh_desktop.demo import graduated as demo_graduated
from semh_desktop.demo import psp as psp_demo
from semh_desktop.register import pupils, staff
from semh_desktop.register.pupils import PupilDetails
from semh_desktop.register.upn import make_upn

SCHOOL_NAME = "Harbour Lane Academy (fictional)"
LA_CODE = 873
ESTABLISHMENT = 4127

FORENAMES = [
    "Amelia",
    "Oliver",
    "Isla",
    "Noah",
    "Ava",
    "Leo",
    "Freya",
    "Arthur",
    "Siân",
    "Zoë",
    "Mohammed",
    "Aisha",
    "Kacper",
    "Zofia",
    "Chidi",
    "Adaeze",
    "Rhys",
    "Niamh",
    "Callum",
    "Eilidh",
    "Ishaan",
    "Priya",
    "Yusuf",
    "Maryam",
    "Tomás",
    "Inés",
    "Kwame",
    "Ama",
    "Harvey",
    "Poppy",
    "Jayden",
    "Lacey",
    "Reuben",
    "Martha",
    "Kai",
    "Esme",
    "Dylan",
    "Bethan",
    "Hamza",
    "Sana",
    "Jakub",
    "Lena",
    "Finley",
    "Ruby",
    "Ezra",
    "Matilda",
    "Theo",
    "Imogen",
    "Ciarán",
    "Aoife",
    "Joel",
    "Maisie",
    "Rohan",
    "Anika",
    "Bilal",
    "Hafsa",
    "Luca",
    "Elsie",
    "Sami",
    "Nell",
    "Tyler",
    "Demi",
    "Owen",
    "Seren",
    "Ibrahim",
    "Layla",
    "Mason",
    "Skye",
    "Jude",
]
SURNAMES = [
    "O'Neill",
    "Ashdown",
    "Brennan",
    "Castellano",
    "Dunmore",
    "Ellwood",
    "Fairbairn",
    "Garside",
    "Holloway",
    "Ibekwe",
    "Jastrzębski",
    "Kettering",
    "Lindqvist",
    "Mbatha",
    "Northcote",
    "Okafor",
    "Penhallow",
    "Quayle",
    "Rushworth",
    "Sandoval",
    "Thorncroft",
    "Underhill",
    "Varga",
    "Whitcombe",
    "Yardley",
    "Zielinski",
    "Abernathy",
    "Birtwistle",
    "Coldwell",
    "Dervish",
    "Eastleigh",
    "Fenwick",
    "Greenhalgh",
    "Haverstock",
    "Iqbal",
    "Joplin-Reed",
    "Kaczmarek",
    "Loveridge",
    "Mackintosh",
    "Nakamura-Hale",
    "Osei",
    "Pickersgill",
    "Ravensworth",
    "Sutcliffe",
    "Tregarthen",
    "Umeh",
    "Vickerstaff",
    "Wadsworth",
    "Xuereb",
    "Yeoman",
    "Achterberg",
    "Blackwood",
    "Chaudhry",
    "D'Souza",
    "Esterhuizen",
    "Farquhar",
    "Gwynedd",
    "Hussain",
    "Ilić",
    "Jovanović",
    "Kowalczyk",
    "Llewellyn",
    "McGillivray",
    "Nørgaard",
    "Ó Briain",
    "Pemberton",
    "Rasheed",
    "Stanhope",
]
ETHNICITIES = [
    "WBRI",
    "WIRI",
    "WOTH",
    "MWBC",
    "MWBA",
    "AIND",
    "APKN",
    "ABAN",
    "BAFR",
    "BCRB",
    "CHNE",
    "WROM",
    "AOTH",
    "OOTH",
    "REFU",
]
STAFF = [
    ("Farah Okonjo", "senco"),
    ("Daniel Whitlock", "pastoral"),
    ("Ruth Adeyemi", "pastoral"),
    ("Visiting outreach worker", "read_only"),
]


@dataclass(frozen=True)
class DemoSummary:
    pupils: int
    on_register: int
    staff: int


def _pupil(
    rng: random.Random, serial: int, year_group: int, today: dt.date, semh: bool
) -> PupilDetails:
    # Age on 1 September of this academic year is year group + 4 (Year 7 are 11).
    start_year = today.year if today.month >= 9 else today.year - 1
    born_after = dt.date(start_year - year_group - 5, 9, 1)
    birth = born_after + dt.timedelta(days=rng.randrange(365))
    forename = rng.choice(FORENAMES)
    preferred = rng.choice(["Millie", "Alfie", "Jess", "Sam", "Mo"]) if rng.random() < 0.04 else ""
    sen = ("K" if rng.random() < 0.75 else "E") if semh else ("K" if rng.random() < 0.12 else "N")
    need = None
    if sen != "N":
        need = (
            "SEMH"
            if semh and rng.random() < 0.8
            else rng.choice(["SPLD", "MLD", "SLCN", "ASD", "SEMH"])
        )
    return PupilDetails(
        upn=make_upn(LA_CODE, ESTABLISHMENT, start_year - year_group + 7, serial),
        legal_forename=forename,
        legal_surname=rng.choice(SURNAMES),
        preferred_forename=preferred,
        date_of_birth=birth,
        year_group=year_group,
        sex=rng.choice("FM"),
        reg_group=f"{year_group}{rng.choice('HLAC')}",
        sen_provision=sen,
        primary_need=need,
        pupil_premium=rng.random() < (0.7 if semh else 0.38),
        social_care=rng.choices(
            ["", "CIN", "CP", "CLA"], [80, 10, 5, 5] if semh else [96, 2, 1, 1]
        )[0],
        young_carer=rng.random() < (0.1 if semh else 0.03),
        eal=rng.random() < 0.15,
        at_risk_pex=semh and rng.random() < 0.2,
        ethnicity=rng.choice(ETHNICITIES) if rng.random() < 0.92 else "",
        on_semh_register=semh,
    )


def build_demo(
    store: Store,
    *,
    pupil_count: int = 600,
    register_count: int = 40,
    seed: int = 2025,
    progress: Callable[[int, int], None] | None = None,
    passphrase: str | None = None,
) -> DemoSummary:
    """Fill an empty store with the fictional school.

    Every profile signs in with
    `passphrase` (the demo's published one), so each role can be tried.
    """
    rng = random.Random(seed)
    today = store.clock.today()
    with store.atomic():
        existing = {profile.name for profile in staff.list_staff(store)}
        for name, role in STAFF:
            if name not in existing:
                staff.add_staff(store, name, role, passphrase, must_change=False)
        profiles = staff.list_staff(store)
        store.staff_id = store.staff_id or profiles[0].id
        register = set(rng.sample(range(pupil_count), register_count))
        for index in range(pupil_count):
            year_group = 7 + index % 5
            details = _pupil(rng, index + 1, year_group, today, index in register)
            pupils.add_pupil(store, details)
            if progress and index % 50 == 0:
                progress(index, pupil_count)
        demo_graduated.add_demo_graduated_response(store, rng)
        psp_demo.add_demo_psp(store, rng)
        closure_demo.add_demo_closure(store, rng)
        attendance_demo.add_demo_attendance(store, rng)
    if progress:
        progress(pupil_count, pupil_count)
    return DemoSummary(pupil_count, register_count, len(profiles))
