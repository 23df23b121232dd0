"""Times written as text: every way warcast writes a time, and every way it reads one.

Formats: ``clock`` (``M:SS`` / ``H:MM:SS``, what people read on pages and in messages),
``stamp`` (``HH:MM:SS.mmm``, WebVTT; ``HH:MM:SS,mmm`` with ``separator=","``, SRT), ``precise``
(``H:MM:SS.mmm``, tag descriptions) and ``iso_duration`` (``PT1H2M3S``, JSON-LD). Parsers:
``parse_time`` (episode.toml times), ``parse_stamp`` (a WebVTT timestamp) and
``parse_duration`` (every way feeds write ``itunes:duration``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_STAMP = re.compile(r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})")
_SIMPLE = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)|(\d+(?:\.\d+)?)")
_LOOSE = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2}(?:[.,]\d+)?)")
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNITS = re.compile(rf"(?:{_NUMBER}\s*h(?:ours?|rs?)?)?\s*(?:{_NUMBER}\s*m(?:in(?:utes?|s)?)?)?"
                    rf"\s*(?:{_NUMBER}\s*s(?:ec(?:onds?|s)?)?)?", re.IGNORECASE)
_ISO_DURATION = re.compile(r"P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)",
                           re.IGNORECASE)
#: An SRT timestamp (comma before the milliseconds), for turning SRT into WebVTT.
SRT_STAMP = re.compile(r"(\d{1,2}:\d{2}:\d{2}),(\d{3})")


def ms(seconds: float) -> int:
    """Seconds as whole milliseconds, halves rounded up, never negative."""
    return max(0, int((Decimal(repr(float(seconds))) * 1000).to_integral_value(ROUND_HALF_UP)))


def clock(seconds: float) -> str:
    """``H:MM:SS`` or ``M:SS``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def stamp(millis: int, separator: str = ".") -> str:
    """Milliseconds as ``HH:MM:SS.mmm`` (WebVTT), or with ``separator=","`` (SRT)."""
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def precise(millis: int) -> str:
    """Milliseconds as ``H:MM:SS.mmm``."""
    seconds, rest = divmod(millis, 1000)
    return f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}.{rest:03}"


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration, e.g. PT1H2M3S."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + \
        f"{secs}S"


def parse_time(value: object) -> float | None:
    """Seconds from a number or from ``H:MM:SS(.fff)`` / ``M:SS``; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _SIMPLE.fullmatch(value.strip())
    if not match:
        return None
    hours, minutes, seconds, plain = match.groups()
    if plain is not None:
        return float(plain)
    if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def parse_stamp(token: str) -> float | None:
    """Seconds from a WebVTT timestamp (``HH:MM:SS.mmm`` or ``MM:SS.mmm``); None if malformed."""
    match = _STAMP.fullmatch(token)
    if not match:
        return None
    hours, minutes, seconds, millis = (int(group or 0) for group in match.groups())
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + millis) / 1000


def parse_duration(value: str) -> float | None:
    """Seconds from ``3600``, ``3600.5``, ``60:00``, ``1:00:00``, ``01:00:00.000``, ``75:30``
    (minutes past 59), ``1h 2m 3s`` or ``PT1H2M3S``; None for anything else."""
    if re.fullmatch(r"\d+(?:[.,]\d+)?", value):
        return float(value.replace(",", "."))
    found = _LOOSE.fullmatch(value)
    if found:
        hours, minutes, seconds = found.groups()
        if float(seconds.replace(",", ".")) >= 60 or (hours is not None and int(minutes) >= 60):
            return None
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds.replace(",", "."))
    for pattern in (_ISO_DURATION, _UNITS):
        found = pattern.fullmatch(value)
        if found and any(found.groups()):
            hours, minutes, seconds = (float(part or 0) for part in found.groups())
            return hours * 3600 + minutes * 60 + seconds
    return None
