"""Reading the values real feeds hold, however they are written.

Each reader returns the value warcast keeps, or None when the text cannot be read; callers
decide what a missing value falls back to and report it. Nothing here raises.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
from urllib.parse import quote, urljoin, urlsplit

#: itunes:explicit as written over the years: Apple's current true/false, the older yes/no,
#: and "clean" (which Apple read as "not explicit").
EXPLICIT_VALUES = {"true": True, "yes": True, "explicit": True, "1": True,
                   "false": False, "no": False, "clean": False, "0": False}
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2}(?:[.,]\d+)?)")
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNITS = re.compile(rf"(?:{_NUMBER}\s*h(?:ours?|rs?)?)?\s*(?:{_NUMBER}\s*m(?:in(?:utes?|s)?)?)?"
                    rf"\s*(?:{_NUMBER}\s*s(?:ec(?:onds?|s)?)?)?", re.IGNORECASE)
_ISO_DURATION = re.compile(r"P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)",
                           re.IGNORECASE)
_DATE_FORMATS = ("%d %b %Y %H:%M:%S %z", "%d %B %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M %z",
                 "%d %b %Y %H:%M %z", "%a, %d %b %Y", "%d %b %Y", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d", "%a %b %d %H:%M:%S %Y", "%m/%d/%Y")


def duration(text: str | None) -> float | None:
    """Seconds from every way feeds write ``itunes:duration``: ``3600``, ``3600.5``, ``60:00``,
    ``1:00:00``, ``01:00:00.000``, ``75:30`` (minutes past 59), ``1h 2m 3s``, ``PT1H2M3S``."""
    value = (text or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(?:[.,]\d+)?", value):
        return float(value.replace(",", "."))
    clock = _CLOCK.fullmatch(value)
    if clock:
        hours, minutes, seconds = clock.groups()
        if float(seconds.replace(",", ".")) >= 60 or (hours is not None and int(minutes) >= 60):
            return None
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds.replace(",", "."))
    for pattern in (_ISO_DURATION, _UNITS):
        found = pattern.fullmatch(value)
        if found and any(found.groups()):
            hours, minutes, seconds = (float(part or 0) for part in found.groups())
            return hours * 3600 + minutes * 60 + seconds
    return None


def date(text: str | None) -> dt.datetime | None:
    """A publication date from RFC 822 (what RSS asks for), ISO 8601 or the usual slips (no
    seconds, no zone, a wrong weekday); a date without a zone is taken as UTC."""
    value = " ".join((text or "").split())
    if not value:
        return None
    parsed = _rfc822(value) or _iso(value) or _formats(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.replace(microsecond=0)


def _rfc822(value: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _iso(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _formats(value: str) -> dt.datetime | None:
    bare = re.sub(r"^[A-Za-z]{3,9},?\s+", "", value)  # weekday names are often wrong
    for candidate in (value, bare):
        for form in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, form)
            except ValueError:
                continue
    return None


def explicit(text: str | None) -> bool | None:
    """``itunes:explicit`` in any of its spellings; None when absent or unknown."""
    return EXPLICIT_VALUES.get((text or "").strip().lower())


def plain(text: str | None) -> tuple[str, bool]:
    """Text without markup or entities, on one line; True when there was markup to remove
    (HTML in a title or in the show's description)."""
    raw = text or ""
    stripped = _TAG.sub(" ", raw)
    unescaped = html.unescape(html.unescape(stripped)) if "&" in stripped else stripped
    cleaned = " ".join(_CONTROL.sub("", unescaped).split())
    return cleaned, stripped != raw or unescaped != stripped


def has_markup(text: str) -> bool:
    """True when ``text`` holds HTML tags (show notes written as HTML)."""
    return _TAG.search(text) is not None


def paragraphs(text: str) -> str:
    """Plain-text show notes as HTML paragraphs (line breaks kept)."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    return "\n".join("<p>" + "<br>\n".join(html.escape(line.strip()) for line in block.splitlines())
                     + "</p>" for block in blocks)


def absolute_url(value: str | None, base: str | None) -> tuple[str | None, str]:
    """An absolute http(s) URL made from ``value``: resolved against ``base`` when relative,
    spaces percent-encoded. Returns the URL (None when impossible) and what was changed."""
    url = (value or "").strip()
    if not url:
        return None, ""
    change = ""
    if not urlsplit(url).scheme:
        if not base or urlsplit(base).scheme not in ("http", "https"):
            return None, "relative"
        url, change = urljoin(base, url), "relative"
    if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).netloc:
        return None, "scheme"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        url = quote(url, safe=":/?#[]@!$&'()*+,;=%~")
        change = change or "spaces"
    return url, change
