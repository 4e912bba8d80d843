"""Ages and starting points typed by the admin (``7d``, ``12h``, ``2w``, ``180d`` or a date), the
admin's time zone, and times as the admin reads them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def day_of(moment: datetime, tz: tzinfo | None = None) -> date:
    """The day of MOMENT in TZ (default UTC)."""
    return moment.astimezone(tz or timezone.utc).date()


def parse_zone(name: str | None) -> tzinfo:
    """An IANA time zone name (``Asia/Shanghai``, ``UTC``); empty or None: the machine's local zone.
    ValueError for a name that isn't one."""
    if not name or not name.strip():
        return local_zone()
    name = name.strip()
    if name.upper() in ("UTC", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ("Asia"), a name too long
        raise ValueError(f"unknown time zone {name[:60]!r} (use a name like Asia/Shanghai, Europe/Berlin or UTC)") from None


def local_zone() -> tzinfo:
    """The machine's local time zone (its current offset when it has no name Python can look up)."""
    return datetime.now().astimezone().tzinfo or timezone.utc


def zone_name(tz: tzinfo) -> str:
    """A short name for TZ: ``Asia/Shanghai``, ``UTC``, ``CST``, or its offset."""
    return str(getattr(tz, "key", "") or tz.tzname(datetime.now(timezone.utc)) or tz)


def short_time(moment: datetime | None, tz: tzinfo | None = None, now: datetime | None = None) -> str:
    """MOMENT in TZ as an admin scans a column: ``12-02 14:05`` this year, ``2025-12-02`` an older one."""
    if moment is None:
        return "—"
    local = moment.astimezone(tz or timezone.utc)
    this_year = (now or datetime.now(timezone.utc)).astimezone(tz or timezone.utc).year
    return local.strftime("%m-%d %H:%M") if local.year == this_year else local.strftime("%Y-%m-%d")


def local_iso(moment: datetime | None, tz: tzinfo | None = None) -> str:
    """MOMENT in TZ as ISO 8601 with its offset, to the second (``2026-12-02T14:05:09+08:00``); "" for None."""
    return moment.astimezone(tz or timezone.utc).isoformat(timespec="seconds") if moment is not None else ""
