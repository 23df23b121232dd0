"""Tests for warcast.validation: real feeds, crafted broken feeds, real image and JSON files."""

from __future__ import annotations

import functools
import http.server
import re
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from warcast.audio.probe import FORMATS, audio_mime
from warcast.errors import FeedError
from warcast.validation import (
    Finding,
    has_errors,
    parse_feed,
    read_feed,
    validate_feed,
)

DATA = Path(__file__).parent / "data" / "validation"
FEEDS = DATA / "feeds"
CLEAN = (DATA / "clean.xml").read_text(encoding="utf-8")
BASE_URL = "https://example.com/show/"
PODCAST_GUID_NS = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


# --- real image files, written byte by byte -------------------------------------------------


@functools.cache
def make_png(width: int, height: int, colour_type: int = 2) -> bytes:
    """A real, decodable PNG filled with one colour (colour type 0 grey, 2 RGB, 6 RGBA)."""
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    raw = (b"\x00" + b"\x80" * (width * channels)) * height

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(tag + data))
        return struct.pack(">I", len(data)) + tag + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def make_jpeg(width: int, height: int, components: int) -> bytes:
    """A real, decodable baseline JPEG of flat blocks (1 grey, 3 YCbCr, 4 Adobe CMYK).

    Both Huffman tables hold one 1-bit code (DC difference 0, AC end-of-block), so every
    8x8 block of every component is the two bits 00.
    """

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    ids = range(1, components + 1)
    frame = struct.pack(">BHHB", 8, height, width, components)
    frame += b"".join(bytes([i, 0x11, 0]) for i in ids)
    one_code = bytes([1] + [0] * 15) + b"\x00"
    scan = bytes([components]) + b"".join(bytes([i, 0x00]) for i in ids) + b"\x00\x3f\x00"
    bits = -(-width // 8) * -(-height // 8) * components * 2
    entropy = b"\x00" * (bits // 8) + (bytes([0xFF >> (bits % 8)]) if bits % 8 else b"")
    adobe = segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)) if components == 4 else b""
    return (
        b"\xff\xd8" + adobe + segment(0xDB, b"\x00" + b"\x01" * 64) + segment(0xC0, frame)
        + segment(0xC4, b"\x00" + one_code) + segment(0xC4, b"\x10" + one_code)
        + segment(0xDA, scan) + entropy + b"\xff\xd9"
    )


# --- helpers --------------------------------------------------------------------------------


def summary(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.level, f.where, f.rule) for f in findings]


def feed(*edits: tuple[str, str]) -> bytes:
    """The clean feed with (old, new) text replacements applied; each old text must exist."""
    text = CLEAN
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


@pytest.fixture
def staged(tmp_path: Path) -> Path:
    """A staged output folder holding every file the clean feed links to."""
    (tmp_path / "1").mkdir()
    (tmp_path / "artwork.png").write_bytes(make_png(1400, 1400))
    (tmp_path / "1" / "episode.mp3").write_bytes(b"\xff\xfb" * 24000)
    (tmp_path / "1" / "transcript.vtt").write_text("WEBVTT\n", encoding="utf-8")
    chapters = FEEDS / "podcast-namespace" / "chapters" / "example.json"
    (tmp_path / "1" / "chapters.json").write_bytes(chapters.read_bytes())
    return tmp_path


@pytest.fixture
def locate(staged: Path) -> Callable[[str], Path | None]:
    """Map the clean feed's base URL into the staged folder, like publish does."""

    def locate(url: str) -> Path | None:
        return staged / url.removeprefix(BASE_URL) if url.startswith(BASE_URL) else None

    return locate


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder and records each request's path and User-Agent."""

    requests: list[tuple[str, str]]

    def do_GET(self) -> None:
        self.requests.append((self.path, self.headers.get("User-Agent", "")))
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


Server = tuple[str, Path, list[tuple[str, str]]]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A real HTTP server on localhost: (base URL, folder it serves, requests it saw)."""
    root = tmp_path / "www"
    root.mkdir()
    requests: list[tuple[str, str]] = []
    handler = type("Handler", (_RecordingHandler,), {"requests": requests})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", root, requests
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- the clean feed -------------------------------------------------------------------------


def test_clean_feed_has_no_findings() -> None:
    assert validate_feed(CLEAN.encode()) == []


def test_clean_feed_with_staged_files_has_no_findings(locate: Callable[[str], Path | None]) -> None:
    assert validate_feed(CLEAN.encode(), locate=locate) == []


def test_clean_feed_guid_is_uuid5_of_its_self_url() -> None:
    guid = re.search(r"<podcast:guid>(.*)</podcast:guid>", CLEAN).group(1)
    self_url = re.search(r'<atom:link href="([^"]+)"', CLEAN).group(1)
    assert uuid.UUID(guid) == uuid.uuid5(PODCAST_GUID_NS, self_url.removeprefix("https://"))


# --- crafted feeds, one mistake each ----------------------------------------------------------

ITEM = "item 1 'Episode 1: Hello'"
FUTURE = "Mon, 06 Jan 2098 10:00:00 +0000"
SELF_LINK = (
    '<atom:link href="https://example.com/show/feed.xml" rel="self" '
    'type="application/rss+xml"/>'
)
LENGTH = 'length="48000" '
MP3_TYPE = 'type="audio/mpeg"'
DURATION = "<itunes:duration>00:30:00</itunes:duration>"
ITEM_EXPLICIT = "</itunes:episodeType>\n      <itunes:explicit>false</itunes:explicit>"
CHANNEL_EXPLICIT = "<itunes:explicit>false</itunes:explicit>\n    <itunes:type>"
CLEAN_GUID = "ea04a966-8a79-565b-b550-b6e12ae3c7b8"
GUID = f"<podcast:guid>{CLEAN_GUID}</podcast:guid>"
LEGACY_NS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
ITEM_DATE = "<pubDate>Mon, 06 Jan 2025 10:00:00 +0000</pubDate>\n      <description>"
TRANSCRIPT = 'type="text/vtt" rel="captions"'
CHAPTERS_TYPE = 'type="application/json+chapters"'

#: (id, edits, expected findings as (level, where, rule, text in the message)).
CRAFTED: list[tuple[str, list[tuple[str, str]], list[tuple[str, str, str, str]]]] = [
    ("rss-version", [('version="2.0"', 'version="0.91"')],
     [("error", "feed", "rss", "version '0.91'")]),
    ("missing-enclosure-length", [(LENGTH, "")],
     [("error", ITEM, "apple", "enclosure has no length attribute")]),
    ("zero-enclosure-length", [(LENGTH, 'length="0" ')],
     [("warning", ITEM, "apple", "enclosure length is 0 (size unknown)")]),
    ("negative-enclosure-length", [(LENGTH, 'length="-1" ')],
     [("error", ITEM, "apple", "length '-1' is not a positive number")]),
    ("mime-does-not-match-extension", [(MP3_TYPE, 'type="video/mp4"')],
     [("error", ITEM, "apple", "type is video/mp4 but a .mp3 file is audio/mpeg")]),
    ("unknown-mime", [("episode.mp3", "episode"), (MP3_TYPE, 'type="application/x-foo"')],
     [("warning", ITEM, "apple", "not a known podcast audio/video type")]),
    ("enclosure-not-http", [("https://example.com/show/1/episode.mp3", "ftp://x/e.mp3")],
     [("error", ITEM, "apple", "is not an http(s) URL")]),
    ("bad-duration", [(DURATION, "<itunes:duration>half an hour</itunes:duration>")],
     [("error", ITEM, "apple", "'half an hour' is not seconds or HH:MM:SS")]),
    ("fractional-duration", [(DURATION, "<itunes:duration>1800.25</itunes:duration>")],
     [("warning", ITEM, "apple", "has fractions")]),
    ("explicit-maybe", [(ITEM_EXPLICIT, ITEM_EXPLICIT.replace("false", "maybe"))],
     [("error", ITEM, "apple", "<itunes:explicit> is 'maybe'; use true or false")]),
    ("explicit-legacy", [(CHANNEL_EXPLICIT, CHANNEL_EXPLICIT.replace("false", "clean"))],
     [("warning", "channel", "apple", "is 'clean'; use true or false")]),
    ("explicit-missing", [(CHANNEL_EXPLICIT, "<itunes:type>")],
     [("error", "channel", "apple", "no <itunes:explicit>")]),
    ("unknown-category", [('text="Technology"', 'text="Tech"')],
     [("error", "channel", "apple", "'Tech' is not an Apple Podcasts category")]),
    ("wrong-case-category", [('text="Technology"', 'text="technology"')],
     [("error", "channel", "apple", "did you mean 'Technology'?")]),
    ("wrong-subcategory", [('text="Tech News"', 'text="Film Reviews"')],
     [("error", "channel", "apple", "'Film Reviews' is not a subcategory of 'News'")]),
    ("guid-not-uuid", [(GUID, "<podcast:guid>my-show</podcast:guid>")],
     [("error", "channel", "podcast", "'my-show' is not a UUID")]),
    ("guid-uuid4", [(GUID, "<podcast:guid>c2f0a4a3-6c8e-4b8f-9d8e-2f1e6f7a9b10</podcast:guid>")],
     [("error", "channel", "podcast", "is a version 4 UUID")]),
    # A show that moved keeps its podcast:guid: one derived from an earlier URL is no finding.
    ("guid-from-earlier-url", [("show/feed.xml", "show/rss")], []),
    ("missing-self-link", [(SELF_LINK, "")],
     [("error", "channel", "psp-1", 'no <atom:link rel="self">')]),
    ("self-link-type", [(' type="application/rss+xml"', "")],
     [("warning", "channel", "psp-1", 'type="application/rss+xml"')]),
    ("bad-date", [(ITEM_DATE, ITEM_DATE.replace("Mon, 06 Jan 2025 10:00:00 +0000",
                                                "2025-01-06T10:00:00Z"))],
     [("error", ITEM, "rss", "is not an RFC 2822 date")]),
    ("date-without-zone", [(ITEM_DATE, ITEM_DATE.replace(" +0000", ""))],
     [("error", ITEM, "rss", "has no time zone")]),
    ("date-in-future", [(ITEM_DATE, ITEM_DATE.replace("Mon, 06 Jan 2025", "Mon, 06 Jan 2098"))],
     [("warning", ITEM, "rss", "is in the future")]),
    ("missing-pubdate", [(ITEM_DATE, "<description>")],
     [("warning", ITEM, "psp-1", "no <pubDate>")]),
    ("missing-title", [("<title>Episode 1: Hello</title>", "")],
     [("error", "item 1", "psp-1", "no <title>")]),
    ("empty-guid", [(">warcast-test-1<", "><")],
     [("error", ITEM, "psp-1", "<guid> is empty")]),
    ("missing-language", [("<language>en-us</language>", "")],
     [("error", "channel", "psp-1", "no <language>")]),
    ("odd-language", [("<language>en-us</language>", "<language>English</language>")],
     [("warning", "channel", "psp-1", "'English' is not a language code")]),
    ("long-description", [("A show that exists", "é" * 2001)],
     [("error", "channel", "psp-1", "shorten it to 4000")]),
    ("long-item-description", [("The first episode.<", "x" * 4001 + "<")],
     [("warning", ITEM, "psp-1", "<description> is 4001 bytes")]),
    ("long-txt", [("warcast-test<", "t" * 4001 + "<")],
     [("error", "channel", "podcast", "<podcast:txt> is 4001 characters")]),
    ("artwork-as-text", [('<itunes:image href="https://example.com/show/artwork.png"/>',
                          "<itunes:image>https://example.com/show/artwork.png</itunes:image>")],
     [("error", "channel", "apple", "no href attribute (Apple ignores a URL given as text)")]),
    ("artwork-extension", [("artwork.png", "artwork.gif")],
     [("warning", "channel", "apple", "should end in .jpg, .jpeg or .png")]),
    ("itunes-type", [("<itunes:type>episodic<", "<itunes:type>weekly<")],
     [("error", "channel", "apple", "'weekly'; use episodic or serial")]),
    ("serial-without-numbers", [("<itunes:type>episodic<", "<itunes:type>serial<"),
                                ("<itunes:episode>1</itunes:episode>", "")],
     [("warning", "channel", "apple", "1 item(s) have no <itunes:episode>")]),
    ("episode-type", [(">full<", ">regular<")],
     [("error", ITEM, "apple", "'regular'; use full, trailer or bonus")]),
    ("episode-zero", [("<itunes:episode>1<", "<itunes:episode>0<")],
     [("error", ITEM, "apple", "<itunes:episode> is '0'; use a positive whole number")]),
    ("block-no", [("<itunes:type>", "<itunes:block>no</itunes:block><itunes:type>")],
     [("warning", "channel", "apple", "only 'Yes' has an effect")]),
    ("owner-without-email", [("<itunes:email>owner@example.com</itunes:email>", "")],
     [("warning", "channel", "apple", "<itunes:owner> has no <itunes:email>")]),
    ("locked-true", [(">yes</podcast:locked>", ">true</podcast:locked>")],
     [("error", "channel", "podcast", "<podcast:locked> is 'true'; use yes or no")]),
    ("locked-without-owner", [(' owner="owner@example.com"', "")],
     [("warning", "channel", "podcast", "no owner attribute")]),
    ("medium", [(">podcast</podcast:medium>", ">radio</podcast:medium>")],
     [("error", "channel", "podcast", "<podcast:medium> is 'radio'")]),
    ("medium-list", [(">podcast</podcast:medium>", ">musicL</podcast:medium>")], []),
    ("funding-without-url", [(' url="https://example.com/show/support"', "")],
     [("error", "channel", "podcast", "<podcast:funding> has no url attribute")]),
    ("person-unknown-role", [('role="host"', 'role="overlord"')],
     [("warning", "channel", "podcast", "role 'overlord' is not in the Podcast Taxonomy")]),
    ("person-role-any-case", [('role="guest" group="cast"', 'role="Guest" group="Cast"')], []),
    ("person-bad-href", [("https://example.com/jane", "mailto:jane@example.com")],
     [("error", "channel", "podcast", "href 'mailto:jane@example.com' is not an http(s) URL")]),
    ("transcript-type", [(TRANSCRIPT, 'type="text/srt"')],
     [("error", ITEM, "podcast", "type 'text/srt' is not one of")]),
    ("transcript-rel", [(TRANSCRIPT, 'type="text/vtt" rel="subtitles"')],
     [("warning", ITEM, "podcast", "rel 'subtitles' is not 'captions'")]),
    ("chapters-plain-json", [(CHAPTERS_TYPE, 'type="application/json"')],
     [("warning", ITEM, "podcast", "type should be application/json+chapters")]),
    ("chapters-wrong-type", [(CHAPTERS_TYPE, 'type="text/plain"')],
     [("error", ITEM, "podcast", "type must be application/json+chapters")]),
    ("podcast-episode", [("<podcast:episode>1<", "<podcast:episode>one<")],
     [("error", ITEM, "podcast", "<podcast:episode> is 'one'; use a number")]),
    ("item-link", [("<link>https://example.com/show/1/</link>", "<link>/show/1/</link>")],
     [("warning", ITEM, "rss", "'/show/1/' is not an http(s) URL")]),
    ("control-character", [("Episode 1: Hello", "Episode 1: Hello\u0092")],
     [("warning", "item 1 'Episode 1: Hello\u0092'", "rss", "control character U+0092")]),
    ("legacy-namespace", [("https://podcastindex.org/namespace/1.0", LEGACY_NS)],
     [("warning", "feed", "podcast", "legacy podcast namespace URI")]),
    ("no-atom-namespace", [(SELF_LINK, ""), (' xmlns:atom="http://www.w3.org/2005/Atom"', "")],
     [("error", "feed", "psp-1", "no atom namespace"),
      ("error", "channel", "psp-1", 'no <atom:link rel="self">')]),
    ("two-channels", [("</channel>", "</channel><channel/>")],
     [("error", "feed", "rss", "has 2 <channel> elements")]),
]


@pytest.mark.parametrize(
    ("edits", "expected"), [pytest.param(e, x, id=i) for i, e, x in CRAFTED]
)
def test_crafted_feed(
    edits: list[tuple[str, str]], expected: list[tuple[str, str, str, str]]
) -> None:
    findings = validate_feed(feed(*edits))
    assert summary(findings) == [(level, where, rule) for level, where, rule, _ in expected]
    for finding, (_, _, _, text) in zip(findings, expected, strict=True):
        assert text in finding.message


def test_itunes_namespace_with_wrong_case_hides_itunes_tags() -> None:
    findings = validate_feed(feed(("podcast-1.0.dtd", "Podcast-1.0.dtd")))
    assert findings[0].where == "feed"
    assert "xmlns:itunes is 'http://www.itunes.com/dtds/Podcast-1.0.dtd'" in findings[0].message
    assert ("error", "channel", "apple") in summary(findings)
    assert any("no <itunes:image>" in f.message for f in findings)


def test_duplicate_guids_and_enclosures() -> None:
    start = CLEAN.index("<item>")
    end = CLEAN.index("</item>") + len("</item>")
    second = CLEAN[start:end].replace("Episode 1: Hello", "Episode 2: Again")
    data = (CLEAN[:end] + "\n    " + second + CLEAN[end:]).encode()
    findings = validate_feed(data)
    assert [str(f) for f in findings] == [
        "error: item 2 'Episode 2: Again': [rss] guid 'warcast-test-1' is also used by item 1; "
        "give each episode its own",
        "warning: item 2 'Episode 2: Again': [rss] enclosure "
        "https://example.com/show/1/episode.mp3 is also used by item 1",
    ]


def test_spec_guid_examples_match_their_feed_urls() -> None:
    # The two examples given by the podcast:guid spec; one with a trailing slash to strip.
    for url, guid in [
        ("https://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
        ("http://podnews.net/rss/", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
    ]:
        data = feed(("https://example.com/show/feed.xml", url), (CLEAN_GUID, guid))
        assert validate_feed(data) == []


# --- files found through locate ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("artwork.png", partial(make_png, 100, 100), ["is 100x100 pixels; podcast"]),
        ("artwork.png", partial(make_png, 1400, 1500), ["must be square"]),
        ("artwork.png", partial(make_png, 3200, 3200, 6), ["is 3200x3200 pixels"]),
        ("artwork.png", partial(make_png, 1400, 1400, 0), ["uses the gray colour model"]),
        ("artwork.jpg", partial(make_jpeg, 1400, 1400, 4), ["uses the cmyk colour model"]),
        ("artwork.jpg", partial(make_jpeg, 1400, 1400, 1), ["uses the gray colour model"]),
        ("artwork.jpg", partial(make_jpeg, 1400, 1400, 3), []),
        ("artwork.jpeg", partial(make_jpeg, 3000, 3000, 3), []),
        ("artwork.jpg", partial(make_png, 1400, 1400), ["is a PNG file named .jpg"]),
        ("artwork.png", lambda: b"GIF89a not really", ["is not a PNG or JPEG image"]),
    ],
    ids=["small", "not-square", "too-big", "grey-png", "cmyk-jpeg", "grey-jpeg", "rgb-jpeg",
         "jpeg-suffix", "png-named-jpg", "not-an-image"],
)
def test_artwork_checked_through_locate(
    staged: Path, locate: Callable[[str], Path | None], name: str,
    content: Callable[[], bytes], expected: list[str],
) -> None:
    (staged / name).write_bytes(content())
    findings = validate_feed(feed(("artwork.png", name)), locate=locate)
    assert len(findings) == len(expected)
    for finding, text in zip(findings, expected, strict=True):
        assert (finding.level, finding.where, finding.rule) == ("error", "channel", "apple")
        assert text in finding.message


def test_missing_staged_files_are_errors(
    staged: Path, locate: Callable[[str], Path | None]
) -> None:
    for name in ("artwork.png", "1/episode.mp3", "1/transcript.vtt", "1/chapters.json"):
        (staged / name).unlink()
    findings = validate_feed(CLEAN.encode(), locate=locate)
    assert summary(findings) == [("error", "channel", "apple")] + [("error", ITEM, "rss")] + [
        ("error", ITEM, "podcast")
    ] * 2
    assert "artwork https://example.com/show/artwork.png cannot be read" in findings[0].message
    assert "enclosure file is missing" in findings[1].message
    assert "transcript file https://example.com/show/1/transcript.vtt is missing" in (
        findings[2].message
    )
    assert findings[3].message == "chapters file chapters.json is missing"


def test_enclosure_length_must_match_the_file(
    staged: Path, locate: Callable[[str], Path | None]
) -> None:
    (staged / "1" / "episode.mp3").write_bytes(b"\x00" * 47999)
    findings = validate_feed(CLEAN.encode(), locate=locate)
    assert [str(f) for f in findings] == [
        f"error: {ITEM}: [rss] enclosure length is 48000 but episode.mp3 is 47999 bytes"
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"version": "1.2.0", "chapters": [', "is not valid JSON"),
        (b"[]", 'has no "version" string'),
        (b'{"version": "1.2.0"}', 'has no "chapters" list'),
        (b'{"version": "1.2.0", "chapters": [{"title": "Intro"}]}',
         "chapter 1 has no numeric startTime"),
        (b'{"version": "1.2.0", "chapters": [{"startTime": "0"}]}',
         "chapter 1 has no numeric startTime"),
        (b'{"version": "1.2.0", "chapters": [{"startTime": 10}, {"startTime": 5.5}]}',
         "chapter 2 starts at 5.5, before the chapter above it"),
        (b'{"version": "1.2.0", "chapters": [{"startTime": 0, "title": 3}]}',
         "chapter 1 title is not a string"),
        (b'{"version": "1.2.0", "chapters": [{"startTime": 0}, {"startTime": 1.5, "toc": false}]}',
         None),
    ],
    ids=["truncated", "array", "no-chapters", "no-start", "string-start", "backwards",
         "numeric-title", "valid"],
)
def test_chapters_file_checked_through_locate(
    staged: Path, locate: Callable[[str], Path | None], content: bytes, problem: str | None
) -> None:
    (staged / "1" / "chapters.json").write_bytes(content)
    findings = validate_feed(CLEAN.encode(), locate=locate)
    if problem is None:
        assert findings == []
        return
    assert summary(findings) == [("error", ITEM, "podcast")]
    assert findings[0].message.startswith(f"chapters file chapters.json {problem}")


def test_locate_is_only_asked_about_links(locate: Callable[[str], Path | None]) -> None:
    asked: list[str] = []

    def recording(url: str) -> Path | None:
        asked.append(url)
        return locate(url)

    validate_feed(CLEAN.encode(), locate=recording)
    assert asked == [
        "https://example.com/show/artwork.png",
        "https://example.com/show/1/episode.mp3",
        "https://example.com/show/1/transcript.vtt",
        "https://example.com/show/1/chapters.json",
    ]


# --- the types warcast itself publishes -------------------------------------------------------


PUBLISHED_TYPES = sorted((ext, audio_mime(ext)) for exts in FORMATS.values() for ext in exts)


@pytest.mark.parametrize(("suffix", "mime"), PUBLISHED_TYPES)
def test_types_warcast_publishes_pass_its_enclosure_rules(suffix: str, mime: str) -> None:
    url = f"https://example.com/show/1/episode{suffix}"
    findings = validate_feed(feed(
        ('url="https://example.com/show/1/episode.mp3"', f'url="{url}"'),
        ('type="audio/mpeg"', f'type="{mime}"'),
    ))
    assert findings == []


# --- remote artwork and feeds over real HTTP --------------------------------------------------


def test_fetch_remote_downloads_only_the_channel_artwork(server: Server) -> None:
    base, root, requests = server
    (root / "art.png").write_bytes(make_png(100, 100))
    data = feed(("https://example.com/show/artwork.png", f"{base}art.png"))
    assert validate_feed(data) == []
    assert requests == []
    findings = validate_feed(data, fetch_remote=True)
    assert [f.message for f in findings] == [
        f"artwork {base}art.png is 100x100 pixels; podcast artwork must be 1400 to 3000 "
        "pixels square"
    ]
    assert [path for path, _ in requests] == ["/art.png"]


def test_fetch_remote_failure_is_a_warning(server: Server) -> None:
    base, _, _ = server
    data = feed(("https://example.com/show/artwork.png", f"{base}missing.png"))
    findings = validate_feed(data, fetch_remote=True)
    assert summary(findings) == [("warning", "channel", "apple")]
    assert "could not download the artwork" in findings[0].message
    assert "404" in findings[0].message


def test_read_feed_over_http_sends_a_user_agent(server: Server) -> None:
    base, root, requests = server
    (root / "feed.xml").write_text(CLEAN, encoding="utf-8")
    assert read_feed(f"{base}feed.xml") == CLEAN.encode()
    assert requests[0][1].startswith("warcast/")


def test_read_feed_over_http_refuses_too_big_and_missing(server: Server) -> None:
    base, root, _ = server
    (root / "feed.xml").write_text(CLEAN, encoding="utf-8")
    with pytest.raises(FeedError, match="larger than 100 bytes"):
        read_feed(f"{base}feed.xml", max_bytes=100)
    with pytest.raises(FeedError, match="404"):
        read_feed(f"{base}nothing.xml")


def test_read_feed_unreachable_url() -> None:
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"http://127.0.0.1:9/feed.xml: cannot be reached"):
        read_feed("http://127.0.0.1:9/feed.xml", timeout=5)
    assert time.monotonic() - started < 6


def test_read_feed_local_files(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(CLEAN, encoding="utf-8")
    assert read_feed(str(path)) == CLEAN.encode()
    with pytest.raises(FeedError, match="larger than 100 bytes") as too_big:
        read_feed(str(path), max_bytes=100)
    assert too_big.value.path == path
    with pytest.raises(FeedError, match="cannot read the feed"):
        read_feed(str(tmp_path / "missing.xml"))
    with pytest.raises(FeedError, match="cannot read a 'ftp' URL"):
        read_feed("ftp://example.com/feed.xml")


# --- feeds that cannot be read at all ---------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%s;" % (b"" if i == 1 else b"%d" % (i - 1))) * 10)
        for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title></channel></rss>\n'
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "declares XML entities in a DOCTYPE"),
        (BILLION_LAUGHS.decode().encode("utf-16"), "declares XML entities in a DOCTYPE"),
        (b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>',
         "declares XML entities"),
        (b"<!DOCTYPE html>\n<html><head><title>Not found</title></head><body><p>Sorry</body>"
         b"</html>", "is an HTML page, not a feed"),
        (b"<html><body>hello</body></html>", "is an HTML page, not a feed"),
        (b"", "is empty"),
        (b"  \n\t", "is empty"),
        (b"just some text", "is not well-formed XML"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</channel></rss>',
         "is not well-formed XML"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
         "is an Atom feed, not an RSS 2.0 feed"),
        (b"<rss><channel><title>a\x01</title></channel></rss>", "Remove the control characters"),
    ],
    ids=["billion-laughs", "billion-laughs-utf16", "external-entity", "html-page", "html-bare",
         "empty", "whitespace", "text", "broken-xml", "atom", "control-character"],
)
def test_unreadable_feeds_raise_feed_error(tmp_path: Path, data: bytes, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(FeedError) as raised:
        validate_feed(data, source=str(tmp_path / "feed.xml"))
    assert time.monotonic() - started < 1
    assert message in str(raised.value)
    assert raised.value.path == tmp_path / "feed.xml"


def test_url_source_is_named_in_the_message() -> None:
    with pytest.raises(FeedError) as raised:
        parse_feed(b"", source="https://example.com/feed.xml")
    assert raised.value.path is None
    assert str(raised.value).startswith("https://example.com/feed.xml: is empty.")


def test_doctype_without_entities_is_accepted_offline() -> None:
    doctype = (
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
    )
    data = CLEAN.encode().replace(b"<rss ", doctype + b"<rss ", 1)
    assert validate_feed(data) == []


# --- real feeds -------------------------------------------------------------------------------

NOT_NAMESPACE_WELL_FORMED = {
    "podcastparser/episode_podcast_chapters.rss",
    "podcastparser/episode_podcast_person.rss",
    "podcastparser/episode_podcast_transcript.rss",
}
REAL_FEEDS = sorted(
    str(path.relative_to(FEEDS)) for path in FEEDS.rglob("*") if path.suffix in (".xml", ".rss")
)


def test_every_shared_feed_was_copied() -> None:
    assert len(REAL_FEEDS) == 11


@pytest.mark.parametrize("name", REAL_FEEDS)
def test_real_feed_validates_or_is_refused_on_purpose(name: str) -> None:
    data = (FEEDS / name).read_bytes()
    if name in NOT_NAMESPACE_WELL_FORMED:
        # Undeclared prefixes break Namespaces in XML, and strict apps refuse the feed too, so
        # it is a FeedError naming the declaration to add rather than a guess at the meaning.
        with pytest.raises(FeedError, match=r'Declare xmlns:itunes="http://www\.itunes\.com/'):
            validate_feed(data, source=name)
        return
    findings = validate_feed(data, source=name)
    assert findings == validate_feed(data, source=name)
    wheres = [f.where for f in findings]
    order = [0 if w == "feed" else 1 if w == "channel" else 1 + int(w.split()[1]) for w in wheres]
    assert order == sorted(order)
    for finding in findings:
        assert finding.level in ("error", "warning")
        assert finding.rule in ("rss", "apple", "psp-1", "podcast")
        assert "\n" not in finding.message


def test_podcast_namespace_example_findings() -> None:
    text = (FEEDS / "podcast-namespace" / "example.xml").read_text(encoding="utf-8")
    findings = validate_feed(text.encode())
    expected = [
        ("error", "feed", "psp-1"),  # no xmlns:atom
        ("error", "channel", "psp-1"),  # no atom:link rel="self"
    ]
    guid = re.search(r"<podcast:guid>(.*)</podcast:guid>", text).group(1)
    try:
        guid_is_v5 = uuid.UUID(guid).version == 5
    except ValueError:
        guid_is_v5 = False
    if not guid_is_v5:
        expected.append(("error", "channel", "podcast"))
    titles = re.findall(r"<item>\s*<title>(.*)</title>", text)
    expected += [
        ("warning", f"item {n} '{title}'", "podcast")  # chapters type application/json
        for n, title in enumerate(titles, start=1)
    ]
    assert summary(findings) == expected
    assert not any("podcast:person" in f.message for f in findings)
    assert not any("transcript" in f.message for f in findings)
    assert has_errors(findings)


def test_partytime_example_uses_the_legacy_namespace() -> None:
    findings = validate_feed((FEEDS / "partytime" / "example.xml").read_bytes())
    assert findings[0] == Finding(
        "warning", "feed", "podcast",
        'uses the legacy podcast namespace URI; declare '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0" instead',
    )
    # The legacy URI still counts: its podcast:* elements are checked (chapters type).
    assert sum("podcast:chapters" in f.message for f in findings) == 3


def test_dk_podcast_empty_guid_and_item_count() -> None:
    findings = validate_feed((FEEDS / "partytime" / "dk-podcast.xml").read_bytes())
    errors = [str(f) for f in findings if f.level == "error"]
    assert errors == [
        'error: feed: [psp-1] no podcast namespace; add '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0" to <rss>',
        "error: item 42 '01.02.2022 – Langsam gesprochene Nachrichten': [psp-1] <guid> is "
        "empty; add a <guid> that never changes",
    ]
    assert {f.where.split()[1] for f in findings if f.where.startswith("item")} == {
        str(n) for n in range(1, 60)
    }


def test_changing_the_tide_querystring_enclosures_are_urls() -> None:
    findings = validate_feed((FEEDS / "partytime" / "changing-the-tide.xml").read_bytes())
    enclosure = [f for f in findings if "enclosure" in f.message]
    assert len(enclosure) == 15
    assert all("type is audio/mp3 but a .mp3 file is audio/mpeg" in f.message for f in enclosure)


# --- the Finding type -------------------------------------------------------------------------


def test_finding_str_and_has_errors() -> None:
    error = Finding("error", "item 2 'Foo'", "apple", "enclosure has no length attribute")
    warning = Finding("warning", "channel", "psp-1", "no <itunes:author>")
    assert str(error) == "error: item 2 'Foo': [apple] enclosure has no length attribute"
    assert has_errors([warning, error])
    assert not has_errors([warning])
    assert not has_errors([])
    assert sorted([warning, error]) == [error, warning]


def test_findings_come_back_in_document_order() -> None:
    data = feed(
        ('version="2.0"', 'version="2"'),
        (LENGTH, ""),
        ("<language>en-us</language>", ""),
    )
    assert summary(validate_feed(data)) == [
        ("error", "feed", "rss"), ("error", "channel", "psp-1"), ("error", ITEM, "apple"),
    ]

