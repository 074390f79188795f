"""Shift DICOM dates (DA) and date-times (DT) by the subject's date shift; times (TM) are kept."""

from __future__ import annotations

import datetime as dt

DUMMY_DA = "19000101"


def shift_da(value: str, days: int) -> str:
    """Shift a DA value (YYYYMMDD, or a range A-B); an unparseable value becomes the dummy date."""
    value = str(value).strip()
    if not value:
        return value
    if "-" in value:
        return "-".join(shift_da(part, days) if part else "" for part in value.split("-", 1))
    try:
        day = dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return DUMMY_DA
    return (day + dt.timedelta(days=days)).strftime("%Y%m%d")


def shift_dt(value: str, days: int) -> str:
    """Shift the date part of a DT value (YYYYMMDDhhmmss.ffffff&ZZXX), keeping time and offset as they are."""
    value = str(value).strip()
    if len(value) < 8:
        return DUMMY_DA if value else value
    return shift_da(value[:8], days) + value[8:]
