"""Ages and starting points typed by the admin: ``7d``, ``12h``, ``2w``, ``180d`` or a date."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw]?)\s*$", re.IGNORECASE)


def parse_age(text: str) -> timedelta:
    """``7d`` → 7 days; a bare number means days. ValueError on anything else."""
    match = _AGE.match(text)
    if not match:
        raise ValueError(f"not an age: {text!r} (use e.g. 30m, 12h, 7d, 2w)")
    unit = _UNITS[(match.group(2) or "d").lower()]
    return timedelta(**{unit: float(match.group(1))})


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An age back from NOW (``7d``) or an ISO date/time (UTC when no zone is given)."""
    now = now or datetime.now(timezone.utc)
    try:
        return now - parse_age(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an age or a date: {text!r} (use e.g. 7d or 2025-01-31)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def day_of(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()
