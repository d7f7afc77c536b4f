"""Dates as schools write them: dd/mm/yyyy, academic years '2025/26' (September to August)."""

from __future__ import annotations

import datetime as dt

from semh_desktop.core.errors import ValidationError


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def parse_date(text: str, *, field: str = "date") -> dt.date:
    """Read dd/mm/yyyy (as typed by staff) or ISO yyyy-mm-dd (as in files)."""
    cleaned = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise ValidationError(
        f"'{cleaned}' is not a date. Write it as dd/mm/yyyy, for example 03/09/2025.", field=field
    )


def academic_year_start(day: dt.date) -> int:
    """The calendar year in which the academic year containing `day` began."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year(day: dt.date) -> str:
    start = academic_year_start(day)
    return f"{start}/{(start + 1) % 100:02d}"


def parse_academic_year(text: str) -> tuple[dt.date, dt.date]:
    """'2025/26' -> (01/09/2025, 31/08/2026)."""
    try:
        first, second = text.strip().split("/")
        start = int(first)
        if len(first) != 4 or (start + 1) % 100 != int(second):
            raise ValueError
    except ValueError:
        raise ValidationError(
            f"'{text}' is not an academic year. Write it like 2025/26.", field="year"
        ) from None
    return dt.date(start, 9, 1), dt.date(start + 1, 8, 31)


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    return (
        day.year
        - date_of_birth.year
        - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
    )
