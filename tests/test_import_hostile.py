"""Hostile and broken files: never a crash, never a hang, never a pupil the preview did not show.

Reading and previewing may refuse a file (ValidationError, a SemhError); applying a preview must
then succeed, and every stored pupil that changed must be one the preview listed as new or
updated. Deadlines are hypothesis settings, not timed asserts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.register import pupils, staff

from .conftest import TODAY, sample_details
from .import_helpers import CTF, pupil_rows

FUZZ = settings(
    max_examples=120,
    deadline=dt.timedelta(milliseconds=1500),
    suppress_health_check=[HealthCheck.too_slow],
)


def _fresh_store() -> Store:
    """A store with one pupil already in it, so a file can also match and update."""
    store = open_memory_store(FixedClock(TODAY))
    store.staff_id = staff.add_staff(store, "Fuzz SENCO", "senco").id
    pupils.add_pupil(
        store,
        sample_details(
            upn="P873412713001",
            legal_surname="Halloran",
            legal_forename="Renée",
            date_of_birth=dt.date(2013, 10, 2),
            year_group=8,
        ),
    )
    return store


_SHARED: list[Store] = []


@contextlib.contextmanager
def _scratch_store() -> Iterator[Store]:
    """One store per run; each example works inside a transaction that is then rolled back.

    The import's own transaction nests as a savepoint, so what it writes is still checked,
    and every example starts from the same one-pupil school.
    """
    if not _SHARED:
        _SHARED.append(_fresh_store())
    store = _SHARED[0]
    store.conn.execute("BEGIN")
    try:
        yield store
    finally:
        store.conn.execute("ROLLBACK")


def _import_reports_everything(data: bytes, name: str) -> None:
    with _scratch_store() as store:
        _check_import(store, data, name)


def _check_import(store: Store, data: bytes, name: str) -> None:
    before = pupil_rows(store)
    try:
        source = pupil_import.read_source(data, name)
        preview = pupil_import.preview_import(store, source)
    except ValidationError:
        event("file refused")
        assert pupil_rows(store) == before
        return
    event(
        f"previewed: new {bool(preview.new)}, updated {bool(preview.updated)}, "
        f"errors {bool(preview.errors)}"
    )
    result = pupil_import.apply_import(store, preview)  # a preview that exists must apply
    reported = {p.upn: p for p in (*preview.new, *preview.updated)}
    assert (result.created, result.updated) == (len(preview.new), len(preview.updated))
    for upn, row in pupil_rows(store).items():
        if before.get(upn) == row:
            continue
        assert upn in reported, f"{upn} was stored but not in the preview"
        assert row["id"] in result.pupil_ids
    assert len(pupil_rows(store)) == len(before) + len(preview.new)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.binary(max_size=3000).map(lambda b: b"UPN,Surname,Forename,DOB,Year\r\n" + b),
    )
)
def test_arbitrary_bytes_as_csv(data: bytes) -> None:
    _import_reports_everything(data, "export.csv")


HOSTILE_CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            '"',
            '""',
            ",",
            ";",
            "\n",
            "\r\n",
            "\x00",
            "\ufeff",
            "X",
            "31/02/2013",
            "A873412713003",
            "E - EHC plan",
            "maybe",
        ]
    ),
    st.text(max_size=15),
)
# Plausible values per column, so that many rows are valid and get imported (or update the
# stored pupil), with up to two hostile cells per file.
POOLS = {
    "upn": [
        "P873412713001",
        "D873412713002",
        "T873412713003",
        "G873412713004",
        "W873412713005",
        "K873412713006",
        "E87320461900A",
    ],
    "surname": ["Halloran", "O’Donnell", "Fenlowe", "Nwachukwu-Bell"],
    "forename": ["Renée", "Chloë", "Tobias", "Amara"],
    "dob": ["02/10/2013", "2013-10-02", "19/01/2015", "2012-04-27"],
    "year": ["Y8", "Year 9", "7", "R", "10"],
    "reg": ["8HN", "7RT", "10MK", ""],
    "sen": ["N", "K", "E - EHC plan", "SEN Support"],
    "need": ["SEMH", "Autism", "SLCN", ""],
    "flag": ["Yes", "No", "Y", "N", "1", "0", ""],
    "language": ["English", "Polish", "ENB", "NOT"],
    "sex": ["F", "M", "Female", "X"],
}
HEADERS = [
    (
        ",",
        [
            ("UPN", "upn"),
            ("Surname", "surname"),
            ("Forename", "forename"),
            ("DOB", "dob"),
            ("Year", "year"),
            ("Reg Group", "reg"),
            ("SEN Status", "sen"),
            ("Primary Need", "need"),
            ("Pupil Premium", "flag"),
            ("Looked After", "flag"),
        ],
    ),
    (
        ";",
        [
            ("Legal Surname", "surname"),
            ("Legal Forename", "forename"),
            ("UPN", "upn"),
            ("Date of Birth", "dob"),
            ("NC Year", "year"),
            ("First Language", "language"),
            ("Sex", "sex"),
        ],
    ),
    (",", [("UPN", "upn"), ("Year", "year")]),
]


@st.composite
def plausible_csv(draw: st.DrawFn) -> bytes:
    separator, columns = draw(st.sampled_from(HEADERS))
    count = draw(st.integers(0, 5))
    upns = draw(
        st.lists(st.sampled_from(POOLS["upn"]), min_size=count, max_size=count, unique=True)
    )
    rows = [
        [upns[r] if pool == "upn" else draw(st.sampled_from(POOLS[pool])) for _, pool in columns]
        for r in range(count)
    ]
    for _ in range(draw(st.integers(0, 2)) if rows else 0):
        row = rows[draw(st.integers(0, len(rows) - 1))]
        column = draw(st.integers(0, len(columns)))
        hostile = draw(HOSTILE_CELLS)
        if column == len(columns):
            row.append(hostile)  # a stray extra cell
        else:
            row[column] = hostile
    lines = [separator.join(header for header, _ in columns)]
    lines += [separator.join(cells) for cells in rows]
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return newline.join(lines).encode(encoding, errors="replace")


@FUZZ
@given(plausible_csv())
def test_plausible_csv_with_hostile_cells(data: bytes) -> None:
    _import_reports_everything(data, "export.csv")


TAG_POOLS = {
    "UPN": POOLS["upn"] + ["U873204619001", "H873204619002"],
    "FormerUPN": POOLS["upn"],
    "Surname": POOLS["surname"],
    "Forename": POOLS["forename"],
    "PreferredForename": ["Lula", "Clo"],
    "DOB": ["2013-10-02", "2015-03-12", "2015-02-29"],
    "Sex": ["F", "M", "Q"],
    "Gender": ["F", "M"],
    "NCyearActual": ["7", "8", "R", "X"],
    "Ethnicity": ["WBRI", "MWBA", "REFU"],
    "StartDate": ["2021-09-06", "2024-01-15", "junk"],
    "SENprovision": ["N", "K", "E", "Z"],
    "SENtypeRank": ["1", "2", "-3", "99999"],
    "SENtype": ["SEMH", "SPLD", "ZZZ"],
    "LEA": ["873", "999", "12", ""],
}
PUPIL_TAGS = (
    "UPN",
    "FormerUPN",
    "Surname",
    "Forename",
    "PreferredForename",
    "DOB",
    "Sex",
    "Gender",
    "NCyearActual",
    "Ethnicity",
)
ANY_TEXT = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=12),
    st.text(max_size=4),  # may hold characters XML forbids
)


@st.composite
def ctf_documents(draw: st.DrawFn) -> bytes:
    hostile_left = draw(st.integers(0, 2))

    def tag(name: str, value: str | None = None) -> str:
        nonlocal hostile_left
        text = value if value is not None else draw(st.sampled_from(TAG_POOLS[name]))
        if hostile_left and draw(st.booleans()):
            hostile_left -= 1
            text = draw(ANY_TEXT)
        return f"<{name}>{escape(text)}</{name}>"

    count = draw(st.integers(0, 4))
    upns = draw(
        st.lists(st.sampled_from(TAG_POOLS["UPN"]), min_size=count, max_size=count, unique=True)
    )
    pupils_xml = []
    for upn in upns:
        left_out = draw(st.sets(st.sampled_from(PUPIL_TAGS[1:]), max_size=2))
        inner = tag("UPN", upn) + "".join(tag(t) for t in PUPIL_TAGS[1:] if t not in left_out)
        if draw(st.booleans()):
            inner += (
                "<SENhistory><SEN>"
                + tag("StartDate")
                + tag("SENprovision")
                + "</SEN><SENneeds><SENneed>"
                + tag("SENtypeRank")
                + tag("SENtype")
                + "</SENneed></SENneeds></SENhistory>"
            )
        pupils_xml.append(f"<Pupil>{inner}</Pupil>")
    document = (
        '<?xml version="1.0" encoding="UTF-8"?><CTfile><Header><SourceSchool>'
        + tag("LEA")
        + "</SourceSchool></Header><CTFpupilData>"
        + "".join(pupils_xml)
        + "</CTFpupilData></CTfile>"
    ).encode("utf-8", "replace")
    cut = draw(st.one_of(st.none(), st.integers(0, len(document))))
    return document if cut is None else document[:cut]


@FUZZ
@given(ctf_documents())
def test_generated_ctf_documents(data: bytes) -> None:
    _import_reports_everything(data, "transfer.xml")


HOSTILE_PROLOGS = [
    # billion laughs
    '<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>',
    # external entity to a local file, and to a URL
    '<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>',
    # external DTD and parameter entities
    '<?xml version="1.0"?><!DOCTYPE CTfile SYSTEM "file:///etc/passwd">',
    '<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    "",
]
BODIES = [
    "<CTfile><CTFpupilData><Pupil><UPN>&e;</UPN><Surname>&x;</Surname></Pupil>"
    "</CTFpupilData></CTfile>",
    CTF.read_text(encoding="utf-8").split("?>", 1)[1],
]


@FUZZ
@given(
    st.sampled_from(HOSTILE_PROLOGS),
    st.sampled_from(BODIES),
    st.integers(0, 80),
    st.one_of(st.none(), st.integers(0, 4000)),
    st.binary(max_size=20),
)
def test_hostile_and_broken_xml(
    prolog: str, body: str, depth: int, cut: int | None, noise: bytes
) -> None:
    nested = body.replace("<CTFpupilData>", "<CTFpupilData>" + "<n>" * depth + "</n>" * depth)
    data = (prolog + nested).encode("utf-8")
    if cut is not None:
        data = data[:cut] + noise
    _import_reports_everything(data, "transfer.xml")
