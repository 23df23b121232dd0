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

from warcast.timecode import parse_duration

#: itunes:explicit as written over the years: Apple's current true/false, the older yes/no,
#: and "clean" (which Apple read as "not explicit").
EXPLICIT_VALUES = {"true": True, "yes": True, "explicit": True, "1": True,
                   "false": False, "no": False, "clean": False, "0": False}
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
#: Markup that turns up in titles: only these are taken for HTML (``Vec<String>`` is a title).
_TITLE_TAG = re.compile(r"</?(?:a|abbr|b|big|br|cite|code|del|em|font|i|ins|mark|p|q|s|"
                        r"small|span|strike|strong|sub|sup|u)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ISO_DURATION = re.compile(r"P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)",
                           re.IGNORECASE)
_DATE_FORMATS = ("%d %b %Y %H:%M:%S %z", "%d %B %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M %z",
                 "%d %b %Y %H:%M %z", "%a, %d %b %Y", "%d %b %Y", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d", "%a %b %d %H:%M:%S %Y", "%m/%d/%Y")


MAX_SECONDS = 10_000_000.0     # 115 days: anything longer is a typo, not an episode
MAX_WHOLE = 2_147_483_647      # episode and season numbers apps can hold
_KNOWN_ZONES = {"UT", "UTC", "GMT", "Z", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}


def duration(text: str | None) -> float | None:
    """Seconds from every way feeds write ``itunes:duration``: ``3600``, ``3600.5``, ``60:00``,
    ``1:00:00``, ``01:00:00.000``, ``75:30`` (minutes past 59), ``1h 2m 3s``, ``PT1H2M3S``;
    None for anything else, or for more than :data:`MAX_SECONDS`."""
    value = (text or "").strip()
    if not value or len(value) > 40:
        return None
    try:
        seconds = parse_duration(value)
    except (OverflowError, ValueError):
        return None
    return seconds if seconds is not None and 0 <= seconds <= MAX_SECONDS else None


def whole(text: str | None) -> int | None:
    """A whole number from 1 (``12``, ``12.0``), or None: episode and season numbers."""
    value = (text or "").strip()
    if not re.fullmatch(r"\d{1,10}(?:\.0*)?", value):
        return None
    number = int(value.split(".")[0])
    return number if 1 <= number <= MAX_WHOLE else None


def date(text: str | None) -> dt.datetime | None:
    """A publication date from RFC 822 (what RSS asks for), ISO 8601 or the usual slips (no
    seconds, no zone, ``+05:30``, a wrong weekday); a date without a zone is taken as UTC.
    None when unreadable, or when the year written is not the year read (``0001``)."""
    value = " ".join((text or "").split())
    if not value or len(value) > 80:
        return None
    value = re.sub(r"([+-]\d{2}):(\d{2})$", r"\1\2", value) if not _iso(value) else value
    parsed = _rfc822(value) or _iso(value) or _formats(value)
    if parsed is None:
        return None
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", value)
    if (years and str(parsed.year).zfill(4) not in years) or parsed.year < 1000:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.replace(microsecond=0)


def unknown_zone(text: str | None) -> str | None:
    """The zone name ending an RFC 822 date when it is none Python knows (read as UTC)."""
    tokens = (text or "").split()
    if not tokens or not tokens[-1].isalpha() or tokens[-1].upper() in _KNOWN_ZONES:
        return None
    return tokens[-1] if email.utils.parsedate_tz(" ".join(tokens)) is not None else None


def _rfc822(value: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
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
    """Text without markup or entities (escaped once or twice), on one line; True when there
    was markup to remove (HTML in a title or in the show's description)."""
    raw = current = text or ""
    for _ in range(3):   # markup escaped twice shows up only after one unescape
        stripped = _TITLE_TAG.sub(" ", current)
        unescaped = html.unescape(stripped) if "&" in stripped else stripped
        if unescaped == current:
            break
        current = unescaped
    cleaned = " ".join(_CONTROL.sub("", current).split())
    return cleaned, cleaned != " ".join(raw.split())


def has_markup(text: str) -> bool:
    """True when ``text`` holds HTML tags (show notes written as HTML)."""
    return _TAG.search(text) is not None


def paragraphs(text: str) -> str:
    """Plain-text show notes as HTML paragraphs (line breaks kept)."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    return "\n".join("<p>" + "<br>\n".join(html.escape(line.strip()) for line in block.splitlines())
                     + "</p>" for block in blocks)


def absolute_url(value: str | None, base: str | None, *,
                 keep_spaces: bool = False) -> tuple[str | None, str]:
    """An absolute http(s) URL made from ``value``: resolved against ``base`` when relative,
    spaces percent-encoded (unless ``keep_spaces``: an enclosure URL apps know as written).
    Returns the URL (None when impossible) and what was changed: "relative", "spaces",
    "scheme" (not http(s)) or "invalid" (not a URL at all)."""
    url = (value or "").strip()
    if not url:
        return None, ""
    try:
        return _absolute(url, base, keep_spaces)
    except ValueError:   # e.g. an unclosed "[" (an IPv6 host)
        return None, "invalid"


def _absolute(url: str, base: str | None, keep_spaces: bool) -> tuple[str | None, str]:
    change = ""
    if not urlsplit(url).scheme:
        if not base or urlsplit(base).scheme not in ("http", "https"):
            return None, "relative"
        url, change = urljoin(base, url), "relative"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None, "scheme"
    if any(ord(c) < 32 or ord(c) == 127 or (c.isspace() and not (keep_spaces and c == " "))
           for c in url):
        url = quote(url, safe=":/?#[]@!$&'()*+,;=%~" + (" " if keep_spaces else ""))
        change = change or "spaces"
    return url, change
