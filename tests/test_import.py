"""Importing a show from another host's feed: real-world and peer test feeds, a messy feed
served over HTTP, re-imports, resumable audio downloads and hostile input."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner, Result

from warcast.audio.artwork import placeholder_png
from warcast.cli import main
from warcast.imports import values
from warcast.state import BUNDLE_DIR, is_derived

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "imports"
BASE = "https://new.example.org/pod"
#: (file, items apps list, items with a guid of their own)
SHARED = [
    ("podcast-namespace-example.xml", 3),
    ("partytime-example.xml", 3),
    ("podverse-test-feed.xml", 5),
    ("changing-the-tide.xml", 15),
    ("dk-podcast.xml", 59),
    ("podcastparser/episode_podcast_chapters.rss", 1),
    ("podcastparser/episode_podcast_person.rss", 1),
    ("podcastparser/episode_podcast_transcript.rss", 1),
    ("podcastparser/image_and_audio.rss", 1),
]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def imported(tmp_path: Path, feed: str, *extra: str) -> tuple[Path, Result]:
    show = tmp_path / "show"
    return show, run("--show", str(show), "import", feed, "--base-url", BASE, *extra)


def publish(show: Path, out: Path) -> Result:
    result = run("--show", str(show), "publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    return result


# --- the feeds of real shows and of other parsers' tests --------------------------------------


def _apps_view(feed: Path) -> dict[str, tuple[str, int | None, str]]:
    """What feedparser shows of each episode: identity (guid, else the enclosure URL as apps
    use), title, publication time, first audio enclosure URL."""
    parsed = feedparser.parse(str(feed))
    view = {}
    for entry in parsed.entries:
        audio = [e.href for e in entry.get("enclosures", [])
                 if e.get("type", "").startswith(("audio", "video")) or
                 e.href.split("?")[0].endswith((".mp3", ".m4a", ".mp4"))]
        when = entry.get("published_parsed")
        view[entry.get("id") or audio[0]] = (entry.get("title"),
                                             calendar.timegm(when) if when else None, audio[0])
    return view


def _podcastparser_view(feed: Path, url: str) -> dict[str, tuple[str, int, str]]:
    with feed.open("rb") as handle:
        parsed = podcastparser.parse(url, handle)
    return {e["guid"] or e["enclosures"][0]["url"]: (e["title"], e["published"], next(
        x["url"] for x in e["enclosures"] if not x["mime_type"].startswith("image/")))
        for e in parsed["episodes"]}


def _topics(output: str) -> list[tuple[str, str]]:
    """(level, what) of each finding of `warcast validate`, with values taken out; any
    finding about the enclosure length is one topic."""
    found = []
    for line in output.splitlines():
        match = re.match(r"(error|warning): [^\[]*\[(\w[\w-]*)\] (.*)", line)
        if not match:
            continue
        level, rule, message = match.groups()
        topic = "enclosure length" if "enclosure" in message and "length" in message else \
            re.sub(r"'[^']*'|\S+://\S+|\d+", "_", message)
        found.append((level, f"[{rule}] {topic}"))
    return found


@pytest.mark.parametrize("name,items", SHARED, ids=[name for name, _ in SHARED])
def test_shared_feed_survives_import_and_republish(tmp_path: Path, name: str,
                                                   items: int) -> None:
    source = DATA / name
    show, result = imported(tmp_path, str(source), "--no-fetch")
    assert result.exit_code == 0, result.output
    assert f"Imported {items} episodes" in result.output
    assert len([p for p in show.iterdir() if (p / "episode.toml").is_file()]) == items
    out = tmp_path / "public"
    publish(show, out)
    feed = out / "feed.xml"

    before, after = _apps_view(source), _apps_view(feed)
    assert len(after) == items
    for identity, (title, when, enclosure) in before.items():
        assert identity in after, f"{identity} lost"
        new_title, new_when, new_enclosure = after[identity]
        assert new_title == title and new_enclosure == enclosure
        if when is not None:   # an undated item is dated (and reported) by the import
            assert new_when == when
    old_pp = _podcastparser_view(source, "https://old.example.org/feed.xml")
    new_pp = _podcastparser_view(feed, f"{BASE}/feed.xml")
    for guid, (title, when, enclosure) in old_pp.items():
        key = guid if guid in new_pp else enclosure   # an empty guid: the enclosure URL
        assert new_pp[key][0] == title and new_pp[key][2] == enclosure
        assert not when or new_pp[key][1] == when

    original = run("validate", "--no-fetch", str(source))
    if "is not defined" in original.output:   # podcastparser's undeclared prefixes, on purpose
        declared = tmp_path / "declared.xml"
        declared.write_bytes(source.read_bytes().replace(b"<rss>", b'<rss xmlns:itunes="'
                             b'http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="'
                             b'https://podcastindex.org/namespace/1.0">'))
        original = run("validate", "--no-fetch", str(declared))
    republished = run("validate", "--no-fetch", str(feed))
    assert republished.exit_code == 0, republished.output
    old_topics = {topic for _, topic in _topics(original.output)}
    new = [topic for topic in _topics(republished.output) if topic[1] not in old_topics]
    assert new == [], republished.output
    moved = run("validate", "--no-fetch", str(feed), "--previous", str(source))
    assert moved.exit_code == 0 and "[continuity]" not in moved.output, moved.output


def test_partytime_reads_an_imported_show(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "tests" / "js" / "node_modules").is_dir():
        pytest.fail("podcast-partytime is not installed: run the tests through `make test`")
    show, result = imported(tmp_path, str(DATA / "podcast-namespace-example.xml"), "--no-fetch")
    assert result.exit_code == 0, result.output
    publish(show, tmp_path / "public")
    parsed = json.loads(subprocess.run(
        [node, str(ROOT / "tests" / "js" / "parse-feed.js"), str(tmp_path / "public/feed.xml")],
        check=True, capture_output=True, text=True).stdout)
    source = feedparser.parse(str(DATA / "podcast-namespace-example.xml"))
    assert sorted(i["guid"] for i in parsed["items"]) == sorted(e.id for e in source.entries)
    newest = next(i for i in parsed["items"] if i["guid"] == "https://example.com/ep0003")
    assert newest["podcastChapters"]["url"] == "https://example.com/ep3_chapters.json"
    assert {t["url"] for t in newest["podcastTranscripts"]} == {
        "https://example.com/ep3/transcript.txt", "https://example.com/episode1/transcript.vtt"}
    assert "Adam Curry" in {p["name"] for p in newest["podcastPeople"]}
    # Podcasting 2.0 elements warcast does not model are carried over as written.
    assert parsed["value"]["recipients"][0]["split"] == 99
    assert parsed["license"]["identifier"] == "my-podcast-license-v1"
    assert parsed["trailers"][0]["url"] == "https://example.org/trailers/teaser"
    assert newest["podcastSoundbites"][0]["startTime"] == 33.833
    assert len(newest["alternativeEnclosures"]) == 5
    assert newest["value"]["recipients"][-1]["name"] == "Gigi (Guest)"
    assert "podcast:liveItem (1)" in result.output   # live items are not carried over


@pytest.mark.parametrize("xml,message", [
    ("<itunes:block>Yes</itunes:block>", "may hold only podcast: elements"),
    ("<podcast:value>", "is not well-formed XML"),
    ("just text", "has text outside the elements"),
    ('<podcast:value type="x">&bomb;</podcast:value>', "is not well-formed XML")])
def test_feed_xml_must_be_podcast_elements(tmp_path: Path, xml: str, message: str) -> None:
    show, _ = imported(tmp_path, str(DATA / "changing-the-tide.xml"), "--no-fetch")
    toml = _episode(show, "baffe8902e8478c8c8482fd094cedd8c") / "episode.toml"
    toml.write_text(toml.read_text() + f"feed_xml = {json.dumps(xml)}\n")
    result = run("--show", str(show), "publish", "--out", str(tmp_path / "public"))
    assert result.exit_code == 1 and f"key 'feed_xml': {message}" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["episode_podcast_chapters", "episode_podcast_person",
                                  "episode_podcast_transcript", "image_and_audio"])
def test_podcastparser_expectations_hold_after_republishing(tmp_path: Path, name: str) -> None:
    """podcastparser's golden .json for each .rss still describes our republished feed
    (a missing guid was the enclosure URL; a missing length was -1, ours says 0 = unknown)."""
    expected = json.loads((DATA / "podcastparser" / f"{name}.json").read_text())["episodes"]
    show, result = imported(tmp_path, str(DATA / "podcastparser" / f"{name}.rss"), "--no-fetch")
    assert result.exit_code == 0, result.output
    publish(show, tmp_path / "public")
    with (tmp_path / "public" / "feed.xml").open("rb") as handle:
        episodes = podcastparser.parse(f"{BASE}/feed.xml", handle)["episodes"]
    assert len(episodes) == len(expected) == 1
    got, want = episodes[0], expected[0]
    assert got["guid"] == want["guid"] and got["title"] == want["title"]
    audio = [e for e in want["enclosures"] if not e["mime_type"].startswith("image/")]
    assert [e["url"] for e in got["enclosures"]] == [audio[0]["url"]]
    assert got["enclosures"][0]["file_size"] in (0, -1)
    assert got["enclosures"][0]["mime_type"] == "audio/mpeg"   # from the .mp3 extension
    assert got.get("type", "full") == want.get("type", "full")
    # podcastparser 0.6.11 knows the podcast: namespace only by its old GitHub URI, so what
    # it read of those elements in the old feed is checked in ours with lxml.
    from lxml import etree

    item = etree.parse(str(tmp_path / "public" / "feed.xml")).find("channel/item")
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    assert item is not None
    if "chapters_json_url" in want:
        assert item.find("podcast:chapters", ns).get("url") == want["chapters_json_url"]
    if "transcript_url" in want:
        assert item.find("podcast:transcript", ns).get("url") == want["transcript_url"]
    if "persons" in want:
        people = [(p.text, p.get("role"), p.get("group"), p.get("href"), p.get("img"))
                  for p in item.findall("podcast:person", ns)]
        assert people == [(p["name"], p["role"], p["group"], p["href"], p["img"])
                          for p in want["persons"]]


@pytest.mark.parametrize("name", ["duration", "itunes_duration"])
def test_durations_match_podcastparser(name: str) -> None:
    rss = (DATA / "podcastparser" / f"{name}.rss").read_text()
    written = re.search(r"<(?:itunes|it):duration>([^<]*)<", rss).group(1)   # type: ignore[union-attr]
    expected = json.loads((DATA / "podcastparser" / f"{name}.json").read_text())
    assert values.duration(written) == expected["episodes"][0]["total_time"]


@pytest.mark.parametrize("written,seconds", [
    ("3600", 3600), ("1014.708375", 1014.708375), ("60:00", 3600), ("1:00:00", 3600),
    ("01:00:00.500", 3600.5), ("75:30", 4530), ("5:07", 307), (" 00:20:00 ", 1200),
    ("1h 2m 3s", 3723), ("45 min", 2700), ("PT1H2M3S", 3723), ("1:75:00", None),
    ("about an hour", None), ("", None)])
def test_durations_in_every_format(written: str, seconds: float | None) -> None:
    assert values.duration(written) == seconds


# --- a messy feed served over HTTP -----------------------------------------------------------


class _Files(BaseHTTPRequestHandler):
    """Serves ``server.files`` with Range support; ``server.cut`` paths stop half way."""

    def do_GET(self) -> None:
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))  # type: ignore[attr-defined]
        data = server.files.get(self.path.split("?")[0])  # type: ignore[attr-defined]
        if data is None:
            self.send_error(404)
            return
        start = 0
        etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
        stale = self.headers.get("If-Range") not in (None, etag)
        if self.headers.get("Range") and not stale:
            start = int(re.match(r"bytes=(\d+)-", self.headers["Range"]).group(1))  # type: ignore[union-attr]
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        if self.path not in server.bare:  # type: ignore[attr-defined]
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("ETag", etag)
        for name, value in server.headers.get(self.path, {}).items():  # type: ignore[attr-defined]
            self.send_header(name, value)
        self.end_headers()
        body = data[start:]
        if self.path in server.cut:  # type: ignore[attr-defined]
            server.cut.discard(self.path)  # type: ignore[attr-defined]
            body = body[:len(body) // 2]
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.files, httpd.requests, httpd.cut = {}, [], set()  # type: ignore[attr-defined]
    httpd.headers = {}  # type: ignore[attr-defined]
    httpd.bare = set()  # type: ignore[attr-defined]   # paths served without length or ETag
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _serve_messy(server, audio: bytes | None = None) -> str:  # type: ignore[no-untyped-def]
    host = server.url
    feed = (DATA / "messy.xml").read_bytes().replace(b"HOST", host.encode())
    server.files.update({
        "/show/feed.xml": feed,
        "/show/art/cover.png": placeholder_png(seed="messy"),
        "/show/chapters.json": (DATA / "linked" / "chapters.json").read_bytes(),
        "/show/transcript.srt": (DATA / "linked" / "transcript.srt").read_bytes(),
        "/show/transcript.html": (DATA / "linked" / "transcript.html").read_bytes(),
    })
    if audio is not None:
        server.files["/show/media/one.mp3"] = audio
    return f"{host}/show/feed.xml"


def _episode(show: Path, guid: str) -> Path:
    import tomllib

    for folder in sorted(show.iterdir()):
        toml = folder / "episode.toml"
        if toml.is_file() and tomllib.loads(toml.read_text())["guid"] == guid:
            return folder
    raise AssertionError(f"no episode with guid {guid}")


def test_messy_feed_is_handled_and_reported(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    import tomllib

    url = _serve_messy(server)
    show, result = imported(tmp_path, url)
    assert result.exit_code == 0, result.output
    assert "Imported 4 episodes" in result.output
    notes = result.output
    for reported in ("HTML removed from titles", "no guid: the enclosure URL is the guid",
                     "relative enclosure URL resolved", "legacy itunes:explicit 'clean'",
                     "the old Podcasting 2.0 namespace URI", "namespace prefixes used without "
                     "being declared", "repeating an earlier item's guid",
                     "items without an audio enclosure", "enclosure length missing",
                     "unreadable itunes:duration 'about an hour'", "no pubDate",
                     "episode numbers repeated", "show notes sanitized",
                     "not Apple Podcasts categories left out: 'Not A Category'"):
        assert reported in notes, reported
    settings = tomllib.loads((show / "show.toml").read_text())
    assert settings["title"] == "Messy Show"
    assert settings["categories"] == [{"category": "Leisure"}]
    assert settings["language"] == "en" and settings["explicit"] is True
    assert settings["cover"] == "cover.png"
    assert (show / "cover.png").read_bytes() == placeholder_png(seed="messy")   # downloaded

    first = _episode(show, "messy-1")
    data = tomllib.loads((first / "episode.toml").read_text())
    assert data["title"] == "Bold opening & more"
    assert data["audio_url"] == f"{server.url}/show/media/one.mp3"
    assert data["audio_type"] == "audio/mpeg" and data["audio_bytes"] == 0
    assert data["duration"] == 4530 and data["explicit"] is True and data["number"] == 1
    assert [c["title"] for c in data["chapters"]][:2] == ["Intro", "Hearing Aids"]
    assert "chapters_url" not in data and "transcripts" not in data
    assert (first / "transcript.vtt").read_text().startswith("WEBVTT")   # from the SRT
    html = (first / "notes.html").read_text()
    assert "script" not in html and "javascript" not in html and "https://ok.example/" in html

    second = _episode(show, "https://cdn.messy.example/two.mp3?x=1&y=2")
    data = tomllib.loads((second / "episode.toml").read_text())
    assert data["explicit"] is False and "number" not in data and data["duration"] == 3723
    assert [c["title"] for c in data["chapters"]] == ["Start", "Middle"]
    assert (second / "notes.html").read_text() == "<p>Plain notes.</p>\n<p>Second paragraph.</p>\n"
    third = tomllib.loads((_episode(show, "messy-3") / "episode.toml").read_text())
    assert third["type"] == "bonus" and third["title"] == "Third – a bonus"
    assert third["guests"] == [{"name": "Sam Guest", "role": "guest", "group": "cast",
                                "href": "https://people.example/sam"}]
    assert third["audio_type"] == "audio/x-m4a"

    out = tmp_path / "public"
    publish(show, out)
    checked = run("validate", "--no-fetch", str(out / "feed.xml"))
    assert checked.exit_code == 0 and "0 errors" in checked.output
    page = next((out / "episodes").glob("bold-opening-more/index.html")).read_text()
    assert f'src="{server.url}/show/media/one.mp3"' in page


# --- running the import again ----------------------------------------------------------------


def test_reimport_updates_adds_and_leaves_edits_alone(tmp_path: Path) -> None:
    source = tmp_path / "feed.xml"
    original = (DATA / "changing-the-tide.xml").read_text()
    source.write_text(original)
    show, first = imported(tmp_path, str(source), "--no-fetch")
    assert first.exit_code == 0 and "15 new" in first.output
    again = run("--show", str(show), "import", str(source), "--no-fetch")
    assert "0 new, 0 updated, 15 unchanged" in again.output

    newest = _episode(show, "baffe8902e8478c8c8482fd094cedd8c")
    edited = sorted(p for p in show.iterdir() if (p / "episode.toml").is_file())[0]
    (edited / "episode.toml").write_text((edited / "episode.toml").read_text().replace(
        'summary = ""', 'summary = "Corrected by the producer"'))
    edited_title = re.search(r'title = "([^"]*)"', (edited / "episode.toml").read_text()).group(1)  # type: ignore[union-attr]
    changed = original.replace("<title>0.00000015: Andy Schroder, Distributed Charge + A0",
                               "<title>0.00000015: Andy Schroder, renamed on the old host")
    changed = changed.replace(f"<title>{edited_title}", f"<title>{edited_title} (fixed)")
    extra = changed.index("<item>")
    changed = changed[:extra] + """<item><title>A brand new one</title><guid>fresh-1</guid>
      <pubDate>Mon, 28 Feb 2022 10:00:00 +0000</pubDate>
      <enclosure url="https://cdn.example.net/new.mp3" length="5000" type="audio/mpeg"/>
      </item>""" + changed[extra:]
    source.write_text(changed)
    third = run("--show", str(show), "import", str(source), "--no-fetch")
    assert third.exit_code == 0, third.output
    assert "1 new, 1 updated, 13 unchanged" in third.output
    assert f"1 episodes edited since the last import, left alone (--force replaces them): " \
           f"{edited.name}" in third.output
    assert "renamed on the old host" in (newest / "episode.toml").read_text()
    assert "Corrected by the producer" in (edited / "episode.toml").read_text()
    assert len([p for p in show.iterdir() if (p / "episode.toml").is_file()]) == 16

    forced = run("--show", str(show), "import", str(source), "--no-fetch", "--force")
    assert "0 new, 1 updated, 15 unchanged" in forced.output
    assert "(fixed)" in (edited / "episode.toml").read_text()
    assert "Corrected by the producer" not in (edited / "episode.toml").read_text()


def test_import_is_deterministic(tmp_path: Path) -> None:
    feed = str(DATA / "dk-podcast.xml")
    one, _ = imported(tmp_path / "a", feed, "--no-fetch")
    two, _ = imported(tmp_path / "b", feed, "--no-fetch")
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file()
                   and not is_derived(p.relative_to(one).as_posix()))
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file()
                           and not is_derived(p.relative_to(two).as_posix()))
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    publish(one, tmp_path / "p1")
    publish(two, tmp_path / "p2")
    assert (tmp_path / "p1/feed.xml").read_bytes() == (tmp_path / "p2/feed.xml").read_bytes()


# --- downloading the audio -------------------------------------------------------------------


def test_download_audio_resumes_and_checks_length(tmp_path: Path, server, speech_mp3: Path  # type: ignore[no-untyped-def]
                                                  ) -> None:
    audio = speech_mp3.read_bytes()
    url = _serve_messy(server, audio)
    show, result = imported(tmp_path, url)
    assert result.exit_code == 0, result.output
    first = _episode(show, "messy-1")
    part = first / "audio.mp3.part"
    server.cut.add("/show/media/one.mp3")         # the connection drops half way
    stopped = run("--show", str(show), "import", url, "--download-audio")
    assert stopped.exit_code == 1
    assert "audio downloads did not complete" in stopped.output
    assert "Run the same import again to resume them" in stopped.output
    assert part.is_file() and not (first / "audio.mp3").exists()
    half = part.stat().st_size
    assert 0 < half < len(audio)

    server.requests.clear()
    finished = run("--show", str(show), "import", url, "--download-audio")
    assert (first / "audio.mp3").read_bytes() == audio and not part.exists()
    assert ("/show/media/one.mp3", f"bytes={half}-") in server.requests   # resumed
    assert finished.exit_code == 1   # the other episodes' audio is not on this server
    assert "1 audio files downloaded" in finished.output
    assert 'audio = "audio.mp3"' in (first / "episode.toml").read_text()
    assert f"audio_bytes = {len(audio)}\n" in (first / "episode.toml").read_text()

    out = tmp_path / "public"
    publish(show, out)
    entry = next(e for e in feedparser.parse(str(out / "feed.xml")).entries if e.id == "messy-1")
    assert entry.enclosures[0].href == f"{server.url}/show/media/one.mp3"   # the URL stays
    assert int(entry.enclosures[0].length) == len(audio)                    # the size is known
    tagged = run("--show", str(show), "tag", first.name)
    assert "skipped (its audio is served from" in tagged.output


# --- what is not a podcast feed ----------------------------------------------------------------

BAD = {
    "not-xml": (b"this is not a feed\n", "not well-formed XML"),
    "atom": (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>'
             b"</feed>", "an Atom feed"),
    "bomb": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;'
             b'&a;&a;&a;&a;&a;&a;&a;">]><rss version="2.0"><channel><title>&b;</title></channel>'
             b"</rss>", "XML bomb"),
    "html": (b"<!DOCTYPE html><html><head><title>Our podcast</title></head><body>Listen"
             b"</body></html>", "an HTML page"),
    "empty-feed": (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Nothing yet'
                   b"</title></channel></rss>", "has no episodes (0 items)"),
    "no-audio": ((DATA / "podcastparser" / "duration.rss").read_bytes(), "none with audio"),
    "empty-file": (b"", "is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_feed_is_refused_with_nothing_written(tmp_path: Path, case: str) -> None:
    data, message = BAD[case]
    feed = tmp_path / "feed.xml"
    feed.write_bytes(data)
    show, result = imported(tmp_path, str(feed))
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not show.exists()


def test_a_new_show_needs_a_base_url(tmp_path: Path) -> None:
    show = tmp_path / "show"
    result = run("--show", str(show), "import", str(DATA / "dk-podcast.xml"))
    assert result.exit_code == 1 and "Pass --base-url" in result.output
    assert not show.exists()


def test_unreachable_feed_url_is_one_line(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    show, result = imported(tmp_path, f"{server.url}/missing.xml")
    assert result.exit_code == 1 and "404" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not show.exists()


def _forwarded(tmp_path: Path, source: Path) -> tuple[Path, bytes]:
    """Import ``source`` writing a forwarding feed; its path and bytes, checked to name the
    new feed exactly once in the channel."""
    from lxml import etree

    forwarding = tmp_path / "forward.xml"
    _, result = imported(tmp_path, str(source), "--no-fetch", "--forwarding-feed",
                         str(forwarding))
    assert result.exit_code == 0, result.output
    data = forwarding.read_bytes()
    channel = etree.fromstring(data).find("channel")
    assert channel is not None
    moved = channel.findall("{http://www.itunes.com/dtds/podcast-1.0.dtd}new-feed-url")
    assert [m.text for m in moved] == [f"{BASE}/feed.xml"]
    return forwarding, data


@pytest.mark.parametrize("name", ["changing-the-tide.xml", "podcastparser/image_and_audio.rss"])
def test_forwarding_feed_points_apps_at_the_new_one(tmp_path: Path, name: str) -> None:
    source = DATA / name
    forwarding, data = _forwarded(tmp_path, source)
    line = (b'\n    <itunes:new-feed-url xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
            + f"{BASE}/feed.xml".encode() + b"</itunes:new-feed-url>")
    assert data.replace(line, b"") == source.read_bytes()   # nothing else changed
    old, new = _apps_view(source), _apps_view(forwarding)
    assert old == new


def test_an_episode_needs_audio_or_an_audio_url(tmp_path: Path) -> None:
    show, result = imported(tmp_path, str(DATA / "changing-the-tide.xml"), "--no-fetch")
    folder = _episode(show, "baffe8902e8478c8c8482fd094cedd8c")
    toml = folder / "episode.toml"
    toml.write_text(re.sub(r"\naudio_url = .*\n", "\n", toml.read_text()))
    result = run("--show", str(show), "publish", "--out", str(tmp_path / "public"))
    assert result.exit_code == 1
    assert f"{toml}: key 'audio': is required but missing" in result.output
    assert not (tmp_path / "public").exists()


def test_import_into_an_existing_show_keeps_it_publishable(show_dir: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in show_dir.iterdir())
    result = run("--show", str(show_dir), "import", str(DATA / "podcast-namespace-example.xml"),
                 "--no-fetch")
    assert result.exit_code == 0, result.output
    assert "episode numbers another episode of the show has left out" in result.output
    assert (show_dir / "show.toml").read_bytes() == (ROOT / "episodes" / "show.toml").read_bytes()
    added = sorted(set(p.name for p in show_dir.iterdir()) - set(before))
    assert len([name for name in added if (show_dir / name / "episode.toml").is_file()]) == 3
    publish(show_dir, tmp_path / "public")
    guids = {e.id for e in feedparser.parse(str(tmp_path / "public/feed.xml")).entries}
    assert {"https://example.com/ep0001", "https://example.com/ep0002",
            "https://example.com/ep0003"} <= guids
    assert run("validate", "--no-fetch", str(tmp_path / "public/feed.xml")).exit_code == 0


def test_an_undated_item_keeps_its_date_when_the_feed_grows(tmp_path: Path) -> None:
    source = tmp_path / "feed.xml"
    text = (DATA / "messy.xml").read_text().replace("HOST", "https://old.example.org")
    source.write_text(text)
    show, first = imported(tmp_path, str(source), "--no-fetch")
    assert first.exit_code == 0, first.output
    undated = _episode(show, "messy-6") / "episode.toml"
    before = undated.read_bytes()
    at = text.index("<item>")
    source.write_text(text[:at] + """<item><title>Newest</title><guid>messy-new</guid>
      <pubDate>Mon, 03 Feb 2025 10:00:00 +0000</pubDate>
      <enclosure url="https://cdn.messy.example/new.mp3" length="5" type="audio/mpeg"/></item>
      """ + text[at:])
    again = run("--show", str(show), "import", str(source), "--no-fetch")
    assert "1 new, 0 updated, 4 unchanged" in again.output
    assert undated.read_bytes() == before


def test_pages_of_an_imported_show_are_valid_html(tmp_path: Path) -> None:
    import html5lib

    source = tmp_path / "feed.xml"
    source.write_text((DATA / "messy.xml").read_text().replace("HOST", "https://old.example.org"))
    show, result = imported(tmp_path, str(source), "--no-fetch")
    assert result.exit_code == 0, result.output
    out = tmp_path / "public"
    publish(show, out)
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    pages = sorted(out.glob("**/*.html"))
    assert len(pages) >= 6
    for page in pages:
        parser.parse(page.read_bytes())   # raises on any parse error
    undated = (out / "episodes" / "sixth-undated" / "index.html").read_text()
    assert 'src="https://cdn.messy.example/six.mp3"' in undated
    assert 'aria-label="Duration"' not in undated   # the old feed did not say
    data = next(json.loads(s) for s in re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', undated, re.S))
    assert "duration" not in data and data["associatedMedia"]["contentSize"] == "99"
    assert data["associatedMedia"]["contentUrl"] == "https://cdn.messy.example/six.mp3"


@pytest.mark.parametrize("case", ["changed-on-the-server", "not-ours", "longer-than-the-file"])
def test_a_part_file_is_continued_only_when_it_is_sound(tmp_path: Path, server,  # type: ignore[no-untyped-def]
                                                        speech_mp3: Path, case: str) -> None:
    audio = speech_mp3.read_bytes()
    url = _serve_messy(server, audio)
    show, _ = imported(tmp_path, url)
    first = _episode(show, "messy-1")
    part = first / "audio.mp3.part"
    if case == "changed-on-the-server":   # our own half download, then the file changed
        server.cut.add("/show/media/one.mp3")
        run("--show", str(show), "import", url, "--download-audio")
        audio = audio[:-10] + b"\x00" * 10
        server.files["/show/media/one.mp3"] = audio
    elif case == "not-ours":               # bytes warcast did not download
        part.write_bytes(b"\x07" * 2000)
    else:                                  # more bytes than the file has
        part.write_bytes(audio + b"tail")
        (first / "audio.mp3.part.etag").write_text("")
    run("--show", str(show), "import", url, "--download-audio")
    assert (first / "audio.mp3").read_bytes() == audio
    assert not part.exists()


# --- hostile and odd feeds found by fuzzing ------------------------------------------------------

TEMPLATE = ('<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
            'xmlns:podcast="https://podcastindex.org/namespace/1.0" '
            'xmlns:psc="http://podlove.org/simple-chapters"><channel><title>T</title>{channel}'
            '<item><title>E</title><guid>g1</guid><pubDate>{date}</pubDate>'
            '<enclosure url="{url}" length="1000" type="audio/mpeg"/>{item}</item></channel></rss>')
NINES = "9" * 400
ODD = {   # case: (template fields, what the note says, or None)
    "huge-duration": ({"item": f"<itunes:duration>{NINES}</itunes:duration>"},
                      "unreadable itunes:duration"),
    "huge-clock": ({"item": f"<itunes:duration>{NINES}:00:00</itunes:duration>"},
                   "unreadable itunes:duration"),
    "huge-number": ({"item": "<itunes:episode>1e400</itunes:episode>"},
                    "episode number '1e400' is not a whole number"),
    "huge-season": ({"item": f"<itunes:season>{NINES}</itunes:season>"}, "season"),
    "huge-chapter": ({"item": f'<psc:chapters><psc:chapter start="{NINES}" title="x"/>'
                              "</psc:chapters>"}, "Podlove chapters left out"),
    "huge-length": ({}, "enclosure length missing or 0"),
    "ipv6-typo-link": ({"channel": "<link>https://[x/</link>"}, None),
    "ipv6-typo-artwork": ({"channel": '<itunes:image href="https://[x/a.jpg"/>'},
                          "artwork URLs that are not URLs at all"),
    "serial-unnumbered": ({"channel": "<itunes:type>serial</itunes:type>"},
                          "imported as episodic"),
    "transcript-charset": ({"item": '<podcast:transcript url="https://x.example/t.vtt" '
                                    'type="text/vtt; charset=utf-8"/>'}, None),
    "transcript-unknown": ({"item": '<podcast:transcript url="https://x.example/t" '
                                    'type="weird/type"/>'}, "type podcast apps do not know"),
    "double-escaped-title": ({"item": ""}, None),
    "offset-with-colon": ({"date": "Mon, 06 Jan 2025 10:00:00 +05:30"}, None),
    "unknown-zone": ({"date": "Mon, 06 Jan 2025 10:00:00 XYZ"}, "time zone 'XYZ'"),
    "year-one": ({"date": "Mon, 06 Jan 0001 10:00:00 +0000"}, "unreadable pubDate"),
    "guid-newline": ({}, None),
}


@pytest.mark.parametrize("case", sorted(ODD))
def test_odd_feeds_import_publish_and_validate(tmp_path: Path, case: str) -> None:
    fields, note = ODD[case]
    values_ = {"channel": "", "item": "", "url": "https://a.example/a.mp3",
               "date": "Mon, 06 Jan 2025 10:00:00 +0000", **fields}
    text = TEMPLATE.format(**values_)
    if case == "double-escaped-title":
        text = text.replace("<title>E</title>", "<title>&amp;lt;b&amp;gt;Bold&amp;lt;/b&amp;gt; "
                                                "title</title>")
    if case == "guid-newline":
        text = text.replace("<guid>g1</guid>", "<guid>a\nb</guid>")
    if case == "huge-length":
        text = text.replace('length="1000"', f'length="{"9" * 5000}"')
    feed = tmp_path / "feed.xml"
    feed.write_text(text)
    show, result = imported(tmp_path, str(feed), "--no-fetch")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    if note:
        assert note in result.output
    out = tmp_path / "public"
    publish(show, out)
    checked = run("validate", "--no-fetch", str(out / "feed.xml"))
    assert checked.exit_code == 0 and "0 errors" in checked.output, checked.output
    entry = feedparser.parse(str(out / "feed.xml")).entries[0]
    if case == "double-escaped-title":
        assert entry.title == "Bold title"
    if case == "offset-with-colon":
        assert entry.published == "Mon, 06 Jan 2025 10:00:00 +0530"
    if case == "guid-newline":
        assert entry.id == "a\nb"


def _bom_utf16(text: str) -> bytes:
    return ("\ufeff" + text).encode("utf-16")


@pytest.mark.parametrize("case", ["comment-before-rss", "utf-16", "userland", "https-itunes"])
def test_feeds_podcast_apps_read_despite_their_xml(tmp_path: Path, case: str) -> None:
    text = TEMPLATE.format(channel='<itunes:category text="News"/>', item="<itunes:duration>60"
                           "</itunes:duration>", url="https://a.example/a.mp3",
                           date="Mon, 06 Jan 2025 10:00:00 +0000")
    undeclared = text.replace(' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"', "")
    data = {
        "comment-before-rss": ("<!-- made by <rss-o-matic> -->\n" + undeclared).encode(),
        "utf-16": _bom_utf16('<?xml version="1.0" encoding="UTF-16"?>' + undeclared),
        "userland": text.replace("<rss ", '<rss xmlns="http://backend.userland.com/rss2" ')
        .encode(),
        "https-itunes": text.replace("http://www.itunes", "https://www.itunes").encode(),
    }[case]
    feed = tmp_path / "feed.xml"
    feed.write_bytes(data)
    show, result = imported(tmp_path, str(feed), "--no-fetch")
    assert result.exit_code == 0, result.output
    assert '"News"' in (show / "show.toml").read_text()   # the itunes: category was read
    assert 'duration = 60' in next(show.glob("0001-*/episode.toml")).read_text()


@pytest.mark.parametrize("item,message", [
    ("<guid>" + "g" * 3000 + "</guid>", "guid is over 2048 characters"),
    ('<enclosure url="https://[x/a.mp3" type="audio/mpeg"/>', "not URLs at all")])
def test_a_feed_of_unusable_items_is_one_line(tmp_path: Path, item: str, message: str) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text('<rss version="2.0"><channel><title>T</title><item><title>E</title>'
                    f"{item}<enclosure url=\"https://a.example/a.mp3\"/></item></channel></rss>"
                    if "guid" in item else
                    f'<rss version="2.0"><channel><title>T</title><item><title>E</title>{item}'
                    "</item></channel></rss>")
    show, result = imported(tmp_path, str(feed))
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and not show.exists()


def test_an_unwritable_show_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run("--show", str(blocker / "show"), "import", str(DATA / "dk-podcast.xml"),
                 "--base-url", BASE, "--no-fetch")
    assert result.exit_code == 1 and "cannot write" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_feeds_as_servers_send_them(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    import gzip

    text = TEMPLATE.format(channel="", item="", url="https://a.example/a.mp3",
                           date="Mon, 06 Jan 2025 10:00:00 +0000").replace("<title>E<",
                                                                          "<title>Café<")
    server.files["/latin1.xml"] = text.encode("latin-1")
    server.headers["/latin1.xml"] = {"Content-Type": "application/rss+xml; charset=ISO-8859-1"}
    server.files["/gzip.xml"] = gzip.compress(text.encode(), mtime=0)
    server.headers["/gzip.xml"] = {"Content-Encoding": "gzip"}
    for name in ("latin1", "gzip"):
        show, result = imported(tmp_path / name, f"{server.url}/{name}.xml", "--no-fetch")
        assert result.exit_code == 0, result.output
        assert 'title = "Café"' in next(show.glob("0001-*/episode.toml")).read_text()
    server.files["/cut.xml"] = text.encode()
    server.cut.add("/cut.xml")
    show, result = imported(tmp_path / "cut", f"{server.url}/cut.xml", "--no-fetch")
    assert result.exit_code == 1 and "the download stopped after" in result.output
    assert not show.exists()


@pytest.mark.parametrize("case", ["commented-out", "comment-with-channel", "cdata-in-item",
                                  "existing-other-prefix", "existing-self-closing"])
def test_forwarding_feed_changes_only_the_channel(tmp_path: Path, case: str) -> None:
    from lxml import etree

    text = (DATA / "changing-the-tide.xml").read_text()
    itunes = "http://www.itunes.com/dtds/podcast-1.0.dtd"
    text = {
        "commented-out": text.replace("<channel>", "<channel><!-- <itunes:new-feed-url>x"
                                      "</itunes:new-feed-url> -->", 1),
        "comment-with-channel": text.replace("<rss ", "<!-- generated <channel> -->\n<rss ", 1),
        "cdata-in-item": text.replace("<item>", "<item><description><![CDATA[<itunes:new-feed-"
                                      "url>x</itunes:new-feed-url>]]></description>", 1),
        "existing-other-prefix": text.replace("<channel>", f'<channel><it:new-feed-url xmlns:it='
                                              f'"{itunes}">https://old.example/x</it:new-feed-url>',
                                              1),
        "existing-self-closing": text.replace("<channel>", "<channel><itunes:new-feed-url/>", 1),
    }[case]
    source = tmp_path / "old.xml"
    source.write_text(text)
    forwarding, data = _forwarded(tmp_path, source)
    assert _apps_view(source) == _apps_view(forwarding)
    old_items = [etree.tostring(i) for i in etree.fromstring(text.encode()).iter("item")]
    assert [etree.tostring(i) for i in etree.fromstring(data).iter("item")] == old_items
    for comment in re.findall(r"<!--.*?-->", text, re.S):
        assert comment in data.decode()   # comments are as they were


# --- following the old feed: state across imports (found by testing the flows) -----------------


def _feed(server, items: list[tuple[str, str, str]], *, number_of=None) -> str:  # type: ignore[no-untyped-def]
    """Serve a feed of (guid, title, enclosure path) items, newest first; its URL."""
    entries = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid>"
        f"<pubDate>Mon, {6 + n:02d} Jan 2025 10:00:00 +0000</pubDate>"
        + (f"<itunes:episode>{number_of[guid]}</itunes:episode>" if number_of else "")
        + f'<enclosure url="{server.url}{path}" length="0" type="audio/mpeg"/></item>'
        for n, (guid, title, path) in enumerate(items))
    server.files["/feed.xml"] = (
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"<title>Show</title>{entries}</channel></rss>").encode()
    return f"{server.url}/feed.xml"


def test_a_new_enclosure_url_drops_the_old_download(tmp_path: Path, server,  # type: ignore[no-untyped-def]
                                                   speech_mp3: Path, speech_m4a: Path) -> None:
    server.files["/a.mp3"] = speech_mp3.read_bytes()
    server.files["/b.m4a"] = speech_m4a.read_bytes()
    url = _feed(server, [("g1", "One", "/a.mp3")])
    show, first = imported(tmp_path, url, "--download-audio")
    assert first.exit_code == 0, first.output
    folder = _episode(show, "g1")
    assert (folder / "audio.mp3").is_file()
    _feed(server, [("g1", "One", "/b.m4a")])        # the old host replaced the file
    again = run("--show", str(show), "import", url, "--download-audio")
    assert again.exit_code == 0, again.output
    assert "downloaded audio dropped (the enclosure URL changed)" in again.output
    assert not (folder / "audio.mp3").exists() and (folder / "audio.m4a").is_file()
    publish(show, tmp_path / "public")
    entry = feedparser.parse(str(tmp_path / "public/feed.xml")).entries[0]
    assert entry.enclosures[0].href == f"{server.url}/b.m4a"
    assert int(entry.enclosures[0].length) == len(server.files["/b.m4a"])


def test_downloads_named_for_what_they_hold(tmp_path: Path, server, speech_m4a: Path  # type: ignore[no-untyped-def]
                                            ) -> None:
    server.files["/m4a-as.mp3"] = speech_m4a.read_bytes()
    server.files["/page.mp3"] = b"<!DOCTYPE html><html><body>Not found</body></html>"
    url = _feed(server, [("g1", "One", "/m4a-as.mp3"), ("g2", "Two", "/page.mp3")])
    show, result = imported(tmp_path, url, "--download-audio")
    assert (_episode(show, "g1") / "audio.m4a").is_file()
    assert f"{server.url}/page.mp3: the download is not audio" in result.output
    assert not list(_episode(show, "g2").glob("audio*"))
    publish(show, tmp_path / "public")   # the M4A copy, served at its .mp3 URL, publishes


def test_a_deleted_download_is_downloaded_again(tmp_path: Path, server,  # type: ignore[no-untyped-def]
                                                speech_mp3: Path) -> None:
    server.files["/a.mp3"] = speech_mp3.read_bytes()
    url = _feed(server, [("g1", "One", "/a.mp3")])
    show, _ = imported(tmp_path, url, "--download-audio")
    folder = _episode(show, "g1")
    (folder / "audio.mp3").unlink()
    plain = run("--show", str(show), "import", url)
    assert "downloaded audio dropped (the file is gone)" in plain.output
    assert "audio =" not in (folder / "episode.toml").read_text()
    publish(show, tmp_path / "public")   # the episode uses its URL again
    run("--show", str(show), "import", url, "--download-audio")
    assert (folder / "audio.mp3").read_bytes() == speech_mp3.read_bytes()


def test_numbers_swapped_on_the_old_host_follow(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    items = [("g3", "Three", "/3.mp3"), ("g2", "Two", "/2.mp3"), ("g1", "One", "/1.mp3")]
    url = _feed(server, items, number_of={"g1": 1, "g2": 2, "g3": 3})
    show, _ = imported(tmp_path, url, "--no-fetch")
    _feed(server, items, number_of={"g1": 1, "g2": 3, "g3": 2})
    swapped = run("--show", str(show), "import", url, "--no-fetch")
    assert "2 updated" in swapped.output and "left out" not in swapped.output
    assert "number = 3" in (_episode(show, "g2") / "episode.toml").read_text()
    assert "0 updated, 3 unchanged" in run("--show", str(show), "import", url,
                                           "--no-fetch").output
    publish(show, tmp_path / "public")


def test_a_broken_episode_file_is_never_duplicated(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    url = _feed(server, [("g2", "Two", "/2.mp3"), ("g1", "One", "/1.mp3")])
    show, _ = imported(tmp_path, url, "--no-fetch")
    toml = _episode(show, "g1") / "episode.toml"
    toml.write_text(toml.read_text() + "title = = broken\n")
    again = run("--show", str(show), "import", url, "--no-fetch")
    assert "0 new" in again.output and "left alone" in again.output
    assert len([p for p in show.iterdir() if (p / "episode.toml").is_file()]) == 2
    forced = run("--show", str(show), "import", url, "--no-fetch", "--force")
    assert "1 updated" in forced.output and "= broken" not in toml.read_text()
    publish(show, tmp_path / "public")


def test_force_settles_notes_and_keeps_a_transcript_made_here(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    server.files["/feed.xml"] = b""
    url = _feed(server, [("g1", "One", "/1.mp3")])
    server.files["/feed.xml"] = server.files["/feed.xml"].replace(
        b"</title><guid>", b"</title><description>Old notes</description><guid>")
    show, _ = imported(tmp_path, url, "--no-fetch")
    folder = _episode(show, "g1")
    (folder / "transcript.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nMade here.\n")
    assert "1 unchanged" in run("--show", str(show), "import", url, "--no-fetch").output
    (folder / "notes.html").unlink()
    (folder / "notes.md").write_text("Notes written here.\n")
    assert "left alone" in run("--show", str(show), "import", url, "--no-fetch").output
    forced = run("--show", str(show), "import", url, "--no-fetch", "--force")
    assert "notes.md added here removed" in forced.output
    assert not (folder / "notes.md").exists() and (folder / "notes.html").is_file()
    assert "Made here." in (folder / "transcript.vtt").read_text()
    assert "1 unchanged" in run("--show", str(show), "import", url, "--no-fetch").output
    publish(show, tmp_path / "public")


def test_a_planted_record_cannot_reach_outside_the_folder(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    url = _feed(server, [("g1", "One", "/1.mp3")])
    show, _ = imported(tmp_path, url, "--no-fetch")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    record = _episode(show, "g1") / ".imported.json"
    data = json.loads(record.read_text())
    data["files"]["../../victim.txt"] = hashlib.sha256(b"keep me").hexdigest()
    record.write_text(json.dumps(data))
    _feed(server, [("g1", "One, renamed", "/1.mp3")])
    result = run("--show", str(show), "import", url, "--no-fetch")
    assert "not made by an import, left alone" in result.output
    assert victim.read_text() == "keep me"


def test_feed_xml_may_not_repeat_what_warcast_writes(tmp_path: Path) -> None:
    show, _ = imported(tmp_path, str(DATA / "changing-the-tide.xml"), "--no-fetch")
    toml = show / "show.toml"
    toml.write_text(toml.read_text().replace(
        "[owner]", "feed_xml = '<podcast:locked>no</podcast:locked>'\n\n[owner]"))
    result = run("--show", str(show), "publish", "--out", str(tmp_path / "public"))
    assert result.exit_code == 1 and "holds podcast:locked, which warcast writes" in result.output


# --- what big hosts' feeds carry (found by reading feeds in their style) -------------------------

HOSTED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Hosted</title><link>https://old.example/show/</link>
<description>A show.</description><language>en</language>
<itunes:image href="https://art.example/show.png"/>
<item><title>Ep. 212: The Fall of Rome</title><itunes:title>The Fall of Rome</itunes:title>
  <guid isPermaLink="false">h-212</guid><link>https://old.example/show/ep-212/</link>
  <pubDate>Mon, 06 Jan 2025 10:00:00 +0000</pubDate>
  <enclosure url="https://cdn.example/Ep 212 Final.mp3" length="1000" type="audio/mpeg"/>
  <itunes:image href="https://art.example/ep212.jpg"/>
  <itunes:episode>212</itunes:episode>
  <content:encoded><![CDATA[<p>&#8220;Quoted&#8221; notes, <a href="/blog/post-1">a post</a>
    <img src="slides/1.png" alt="Slide"></p><table><tr><td>00:00</td><td>Intro</td></tr></table>
    <p>LONG</p>]]></content:encoded>
</item>
<item><title>Vec&lt;String&gt; vs &amp;str</title><guid>h-213</guid>
  <pubDate>Tue, 07 Jan 2025 10:00:00 +0000</pubDate>
  <enclosure url="https://cdn.example/213.mp3" length="1000" type="audio/mpeg"/>
  <itunes:episode>212</itunes:episode><itunes:episodeType>bonus</itunes:episodeType>
</item>
</channel></rss>"""


def test_what_big_hosts_write_survives(tmp_path: Path) -> None:
    from lxml import etree

    source = tmp_path / "feed.xml"
    source.write_text(HOSTED.replace("LONG", "word " * 1200))
    show, result = imported(tmp_path, str(source), "--no-fetch")
    assert result.exit_code == 0, result.output
    assert "sanitized" not in result.output and "left out" not in result.output
    out = tmp_path / "public"
    publish(show, out)
    moved = run("validate", "--no-fetch", str(out / "feed.xml"), "--previous", str(source))
    assert moved.exit_code == 0 and "[continuity]" not in moved.output, moved.output
    itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
    items = {i.findtext("guid"): i for i in etree.parse(str(out / "feed.xml")).iter("item")}
    first, second = items["h-212"], items["h-213"]
    assert first.findtext(f"{itunes}title") == "The Fall of Rome"
    assert first.findtext("title") == "Ep. 212: The Fall of Rome"
    assert first.find("enclosure").get("url") == "https://cdn.example/Ep 212 Final.mp3"  # type: ignore[union-attr]
    assert first.find(f"{itunes}image").get("href") == "https://art.example/ep212.jpg"  # type: ignore[union-attr]
    assert second.findtext("title") == "Vec<String> vs &str"
    assert second.findtext(f"{itunes}episode") == "212"   # a bonus may share a full one's number
    description = first.findtext("description") or ""
    assert description.startswith("“Quoted” notes") and 3000 < len(description.encode()) <= 4000
    notes = (next(show.glob("*-ep-212-the-fall-of-rome")) / "notes.html").read_text()
    assert 'href="https://old.example/blog/post-1"' in notes
    assert 'src="https://old.example/show/ep-212/slides/1.png"' in notes and "<table>" in notes
    page = (out / "episodes" / "ep-212-the-fall-of-rome" / "index.html").read_text()
    assert "<img src=" in page and "<td>Intro</td>" in page


def test_linked_files_missed_offline_are_fetched_later(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    url = _serve_messy(server)
    show, first = imported(tmp_path, url, "--no-fetch")
    assert first.exit_code == 0, first.output
    episode = _episode(show, "messy-1")
    assert "chapters_url" in (episode / "episode.toml").read_text()
    assert "placeholder" in first.output and (show / "cover.png").is_file()
    server.files["/show/art/cover.png"] = placeholder_png(seed="the real art")
    again = run("--show", str(show), "import", url)
    assert again.exit_code == 0, again.output
    assert "chapters_url" not in (episode / "episode.toml").read_text()
    assert (episode / "transcript.vtt").is_file()
    assert "artwork is now cover.png, in place of the placeholder" in again.output
    assert (show / "cover.png").read_bytes() == placeholder_png(seed="the real art")
    assert "0 updated, 4 unchanged" in run("--show", str(show), "import", url).output


def test_relative_enclosures_follow_the_redirect(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    class Redirect(_Files):
        def do_GET(self) -> None:
            if self.path == "/old/feed.xml":
                self.send_response(301)
                self.send_header("Location", "/podcast/v2/feed.xml")
                self.end_headers()
                return
            super().do_GET()

    server.RequestHandlerClass = Redirect
    server.files["/podcast/v2/feed.xml"] = TEMPLATE.format(
        channel="", item="", url="media/ep2.mp3", date="Mon, 06 Jan 2025 10:00:00 +0000"
    ).encode()
    show, result = imported(tmp_path, f"{server.url}/old/feed.xml", "--no-fetch")
    assert result.exit_code == 0, result.output
    text = next(show.glob("0001-*/episode.toml")).read_text()
    assert f'audio_url = "{server.url}/podcast/v2/media/ep2.mp3"' in text


def test_a_private_feed_imports_members_only(tmp_path: Path) -> None:
    show, result = imported(tmp_path, str(DATA / "changing-the-tide.xml"), "--no-fetch",
                            "--members-only")
    assert result.exit_code == 0, result.output
    out = tmp_path / "public"
    publish(show, out)
    assert feedparser.parse(str(out / "feed.xml")).entries == []
    private = (show / BUNDLE_DIR / "feed.xml").read_bytes()
    assert b"baffe8902e8478c8c8482fd094cedd8c" in private
    import gzip

    def text(path: Path) -> bytes:   # Pagefind's index files are gzip-compressed
        data = path.read_bytes()
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data

    public = b"".join(text(p) for p in out.resolve().rglob("*") if p.is_file())
    assert b"Andy Schroder" not in public and b"Schroder" not in public


def test_a_relative_enclosure_resolves_as_apps_do(tmp_path: Path) -> None:
    text = TEMPLATE.format(channel='<atom:link xmlns:atom="http://www.w3.org/2005/Atom" '
                           'rel="self" href="https://old.example/pod/feed.xml"/>'
                           "<link>https://old.example/</link>", item="", url="media/ep1.mp3",
                           date="Mon, 06 Jan 2025 10:00:00 +0000")
    source = tmp_path / "feed.xml"
    source.write_text(text)
    show, result = imported(tmp_path, str(source), "--no-fetch")
    assert result.exit_code == 0, result.output
    assert 'audio_url = "https://old.example/pod/media/ep1.mp3"' in \
        next(show.glob("0001-*/episode.toml")).read_text()
    publish(show, tmp_path / "public")
    moved = run("validate", "--no-fetch", str(tmp_path / "public/feed.xml"), "--previous",
                str(source))
    assert moved.exit_code == 0 and "[continuity]" not in moved.output, moved.output


def test_a_download_without_a_byte_count_or_etag(tmp_path: Path, server,  # type: ignore[no-untyped-def]
                                                 speech_mp3: Path) -> None:
    audio = speech_mp3.read_bytes()
    server.files["/a.mp3"] = audio
    server.bare.add("/a.mp3")   # no Content-Length, no ETag: the body ends when the server closes
    url = _feed(server, [("g1", "One", "/a.mp3")])
    server.files["/feed.xml"] = server.files["/feed.xml"].replace(b'length="0"', b'length="10"')
    show, result = imported(tmp_path, url, "--download-audio")
    assert result.exit_code == 0, result.output
    folder = _episode(show, "g1")
    assert (folder / "audio.mp3").read_bytes() == audio
    assert "enclosure length differed from the downloaded file" in result.output
    # a part file whose server gives no ETag is resumed only while the size still holds
    (folder / "audio.mp3").unlink()
    changed = audio + b"\x00" * 100
    server.files["/a.mp3"] = changed
    (folder / "audio.mp3.part").write_bytes(audio[:500])
    (folder / "audio.mp3.part.etag").write_text(f"size:{len(audio)}")
    server.bare.discard("/a.mp3")
    run("--show", str(show), "import", url, "--download-audio")
    assert (folder / "audio.mp3").read_bytes() == changed


def test_an_import_killed_between_files_and_record_is_no_edit(tmp_path: Path, server,  # type: ignore[no-untyped-def]
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    import warcast.imports.engine as imports

    url = _feed(server, [("g1", "One", "/1.mp3")])
    show, _ = imported(tmp_path, url, "--no-fetch")
    _feed(server, [("g1", "One, renamed", "/1.mp3")])
    real = imports.write_atomic

    def dies_at_the_record(path: Path, data: bytes, **kwargs: object) -> None:
        if path.name == ".imported.json" and b'"next"' not in data:
            raise KeyboardInterrupt   # killed after the files, before the final record
        real(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(imports, "write_atomic", dies_at_the_record)
    with pytest.raises(KeyboardInterrupt):
        imports.import_feed(show, url, fetch=False)
    monkeypatch.setattr(imports, "write_atomic", real)
    again = run("--show", str(show), "import", url, "--no-fetch")
    assert "left alone" not in again.output
    assert "One, renamed" in (_episode(show, "g1") / "episode.toml").read_text()


def test_force_removes_notes_added_to_an_item_without_notes(tmp_path: Path, server  # type: ignore[no-untyped-def]
                                                          ) -> None:
    url = _feed(server, [("g1", "One", "/1.mp3")])
    show, _ = imported(tmp_path, url, "--no-fetch")
    folder = _episode(show, "g1")
    (folder / "notes.md").write_text("# Added here\n")
    forced = run("--show", str(show), "import", url, "--no-fetch", "--force")
    assert "notes.md added here removed (--force)" in forced.output
    assert not (folder / "notes.md").exists()
    assert "1 unchanged" in run("--show", str(show), "import", url, "--no-fetch").output


def test_a_later_import_never_writes_over_the_producers_cover(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    show = tmp_path / "show"
    show.mkdir()
    (show / "cover.png").write_bytes(b"not an image yet")   # the producer's, unfinished
    url = _serve_messy(server)
    del server.files["/show/art/cover.png"]
    run("--show", str(show), "import", url, "--base-url", BASE, "--no-fetch")
    assert (show / "cover-imported.png").is_file()
    server.files["/show/art/cover.png"] = placeholder_png(seed="the real art")
    again = run("--show", str(show), "import", url)
    assert again.exit_code == 0, again.output
    assert (show / "cover.png").read_bytes() == b"not an image yet"
    assert (show / "cover-imported.png").read_bytes() == placeholder_png(seed="the real art")
