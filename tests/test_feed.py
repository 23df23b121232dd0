"""The published feed, read back by real podcast parsers and compared with a golden file."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import feedparser
import podcastparser
import pytest

from tests.conftest import ROOT, Cli
from warcast.episodes import load_episodes
from warcast.show import derive_podcast_guid, load_show

GOLDEN = ROOT / "tests" / "golden" / "feed.xml"


@pytest.fixture
def published(cli: Cli, tmp_path: Path) -> Path:
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def expected_episodes(show_dir: Path) -> list[dict]:
    """What the source says, read independently of the feed code."""
    show = load_show(show_dir)
    return [
        {"guid": e.guid, "title": e.title, "length": e.audio.path.stat().st_size,
         "seconds": e.audio.seconds, "published": e.published}
        for e in sorted(load_episodes(show), key=lambda e: e.published, reverse=True)
        if not e.members_only
    ]


def test_golden_feed(published: Path, update_golden: bool) -> None:
    feed = (published / "feed.xml").read_bytes()
    if update_golden:
        GOLDEN.write_bytes(feed)
    assert feed == GOLDEN.read_bytes(), "run pytest --update-golden after checking the diff"


def test_same_input_gives_byte_identical_feed(cli: Cli, tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert cli("publish", "--out", str(out)).exit_code == 0
        outputs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*")
                        if p.is_file() and p.name != ".warcast-manifest.json"})
    assert outputs[0] == outputs[1]


def test_feedparser_reads_every_episode(published: Path, show_dir: Path) -> None:
    parsed = feedparser.parse((published / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    expected = expected_episodes(show_dir)
    assert [entry.id for entry in parsed.entries] == [e["guid"] for e in expected]
    for entry, want in zip(parsed.entries, expected, strict=True):
        assert entry.title == want["title"]
        (enclosure,) = entry.enclosures
        assert int(enclosure.length) == want["length"]
        assert int(entry.itunes_duration) == want["seconds"]
        assert not entry.itunes_explicit  # feedparser maps "false" to None
        local = published / "media" / enclosure.href.rsplit("/", 1)[1]
        assert local.stat().st_size == want["length"]
    assert not parsed.feed.itunes_explicit
    assert parsed.feed.title == "Warcast"


def test_podcastparser_reads_every_episode(published: Path, show_dir: Path) -> None:
    with (published / "feed.xml").open("rb") as handle:
        parsed = podcastparser.parse("https://warcast.example.org/feed.xml", handle)
    expected = expected_episodes(show_dir)
    assert [e["guid"] for e in parsed["episodes"]] == [e["guid"] for e in expected]
    for episode, want in zip(parsed["episodes"], expected, strict=True):
        assert episode["title"] == want["title"]
        assert episode["total_time"] == want["seconds"]
        assert episode["published"] == int(want["published"].timestamp())
        (enclosure,) = episode["enclosures"]
        assert enclosure["file_size"] == want["length"]
        assert enclosure["mime_type"] in ("audio/mpeg", "audio/x-m4a")
    assert parsed["title"] == "Warcast"
    assert parsed["type"] == "episodic"


def test_partytime_reads_every_episode(published: Path, show_dir: Path) -> None:
    node = shutil.which("node")
    script = ROOT / "tests" / "js" / "parse-feed.js"
    if node is None or not (ROOT / "tests" / "js" / "node_modules").is_dir():
        pytest.fail("podcast-partytime is not installed: run the tests through `make test`")
    output = subprocess.run([node, str(script), str(published / "feed.xml")], check=True,
                            capture_output=True, text=True).stdout
    parsed = json.loads(output)
    expected = expected_episodes(show_dir)
    assert [item["guid"] for item in parsed["items"]] == [e["guid"] for e in expected]
    for item, want in zip(parsed["items"], expected, strict=True):
        assert item["enclosure"]["length"] == want["length"]
        assert item["duration"] == want["seconds"]
        assert item["podcastChapters"]["type"] == "application/json+chapters"
        assert {p["role"].lower() for p in item["podcastPeople"]} == {"host", "guest"}
    show = load_show(show_dir)
    assert parsed["guid"] == show.podcast_guid == derive_podcast_guid(show.feed_url)
    assert parsed["locked"] is True
    assert parsed["medium"] == "podcast"
    assert parsed["podcastFunding"][0]["url"] == show.funding[0].url


def test_chapters_file_matches_episode(published: Path, show_dir: Path) -> None:
    show = load_show(show_dir)
    for episode in load_episodes(show):
        data = json.loads((published / "episodes" / episode.slug / "chapters.json").read_text())
        assert data["version"] == "1.2.0"
        starts = [c["startTime"] for c in data["chapters"]]
        assert starts == [c.start for c in episode.chapters]
        assert [c["title"] for c in data["chapters"]] == [c.title for c in episode.chapters]


def test_podcast_guid_follows_the_spec_vector() -> None:
    # The example from the Podcasting 2.0 namespace documentation.
    assert derive_podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == \
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert derive_podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == \
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_members_only_episode_never_public(cli: Cli, show_dir: Path, tmp_path: Path) -> None:
    toml = show_dir / "0002-houthis-red-sea-shipping" / "episode.toml"
    toml.write_text(toml.read_text().replace("members_only = false", "members_only = true"))
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 members-only left out" in result.output
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for secret in (b"7eef7aac-84bb-4734-96a7-0c6602bb3ee9", b"Houthis", b"houthis-red-sea"):
        assert secret not in everything
    assert not list(out.rglob("*.m4a"))


def test_transcripts_become_podcast_transcript(cli: Cli, show_dir: Path, tmp_path: Path) -> None:
    folder = show_dir / "0001-venezuela-guyana-essequibo-claim"
    (folder / "transcript.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nHello.\n")
    (folder / "transcript.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nHello.\n")
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    xml = (out / "feed.xml").read_text()
    assert 'type="text/vtt" language="en-us" rel="captions"' in xml
    assert 'type="application/x-subrip"' in xml
    assert (out / "episodes" / "venezuela-guyana-essequibo-claim" / "transcript.vtt").is_file()
    assert len(parsed.entries) == 2
