"""Members only: nothing leaks into public output; private feeds over real HTTP."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import browser
from tests.conftest import Cli
from warcast.members import MemberStore
from warcast.state import SEARCH_INDEX

EP2 = "0002-houthis-red-sea-shipping"
SECRET_EPISODE_WORD = "zyxquartzite"
SECRET_ARTICLE_WORD = "plumbagoquill"
ARTICLE = "https://warcast.example.org/analysis/members-briefing"


def _make_members_only(cli: Cli, show: Path, tmp_path: Path) -> None:
    """Episode 2 becomes members-only with a marker word in its transcript; a members-only
    article with a marker in its body is pinned to the public episode 1."""
    toml = show / EP2 / "episode.toml"
    toml.write_text(toml.read_text().replace("members_only = false", "members_only = true"))
    vtt = show / EP2 / "transcript.vtt"
    vtt.write_text(vtt.read_text().replace("Red Sea", f"Red Sea {SECRET_EPISODE_WORD}", 1))
    source = tmp_path / "briefing.jsonl"
    source.write_text(json.dumps({
        "url": ARTICLE, "title": "Members briefing on the Essequibo", "authors": ["Staff"],
        "published": "2026-10-01T00:00:00Z", "tags": ["Guyana"], "dek": "For members.",
        "body": f"The confidential detail: {SECRET_ARTICLE_WORD} assessments of Guyana.",
        "access": "members"}) + "\n")
    assert cli("articles", "import", str(source)).exit_code == 0
    assert cli("links", "pin", "1", ARTICLE, "--at", "0:20").exit_code == 0


def _readable(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":          # Pagefind's index files are gzip-compressed
        data = gzip.decompress(data)
    return data.lower()


def test_nothing_members_only_leaks_into_public_output(cli: Cli, show_dir: Path,
                                                        tmp_path: Path) -> None:
    _make_members_only(cli, show_dir, tmp_path)
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".xml", ".html", ".json", ".vtt", ".txt"} <= kinds
    assert any("pagefind" in p.parts for p in files) and (out / "sitemap.xml").is_file()
    for path in files:
        data = _readable(path)
        for marker in (SECRET_EPISODE_WORD, SECRET_ARTICLE_WORD, "houthis-red-sea-shipping",
                       EP2):
            assert marker.encode() not in data, f"{marker} in {path}"
    # The members-only article may be linked by title, marked, never with its text.
    page = (out / "episodes" / "venezuela-guyana-essequibo-claim" / "index.html").read_text()
    assert "Members briefing on the Essequibo" in page and "(members only)" in page
    # The public search index in the show folder holds nothing members-only either.
    for name in (SEARCH_INDEX,):
        data = b"".join(p.read_bytes() for p in show_dir.glob(name + "*"))
        assert SECRET_EPISODE_WORD.encode() not in data
        assert SECRET_ARTICLE_WORD.encode() not in data


# --- over HTTP ----------------------------------------------------------------------------

class Served:
    def __init__(self, base: str, show: Path, cli: Cli, tokens: dict[str, str]) -> None:
        self.base, self.show, self.cli, self.tokens = base, show, cli, tokens

    def get(self, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, bytes, dict[str, str]]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


@pytest.fixture
def served(cli: Cli, show_dir: Path, tmp_path: Path) -> Iterator[Served]:
    _make_members_only(cli, show_dir, tmp_path)
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    tokens = {}
    for name, extra in (("active@example.org", ()), ("revoked@example.org", ()),
                        ("rotated@example.org", ()),
                        ("expired@example.org", ("--expires", "2020-01-01"))):
        result = cli("members", "add", name, "--json", *extra)
        assert result.exit_code == 0, result.output
        tokens[name] = json.loads(result.output)["feed_url"].split("/")[-2]
    assert cli("members", "revoke", "revoked@example.org").exit_code == 0
    assert cli("members", "rotate", "rotated@example.org").exit_code == 0
    with browser.serving(show_dir, out) as base:
        yield Served(base.rstrip("/"), show_dir, cli, tokens)


def test_a_valid_token_gets_the_private_feed_with_every_episode(served: Served,
                                                                 tmp_path: Path) -> None:
    token = served.tokens["active@example.org"]
    status, body, headers = served.get(f"/members/{token}/feed.xml")
    assert status == 200 and headers["content-type"].startswith("application/rss+xml")
    feed = body.decode()
    assert feed.count("<item>") == 2 and "The Houthis" in feed
    assert "<itunes:block>Yes</itunes:block>" in feed
    assert "<podcast:block>yes</podcast:block>" in feed
    assert "placeholder" not in feed
    enclosures = re.findall(r'<enclosure url="([^"]+)"', feed)
    assert all(f"/members/{token}/media/" in url for url in enclosures)
    public = served.get("/feed.xml")[1].decode()
    guids = set(re.findall(r"<guid[^>]*>([^<]+)</guid>", public))
    assert guids < set(re.findall(r"<guid[^>]*>([^<]+)</guid>", feed))
    result = served.cli("validate", f"{served.base}/members/{token}/feed.xml", "--no-fetch")
    assert result.exit_code == 0, result.output
    assert " 0 errors" in result.output


@pytest.mark.parametrize("who", ["revoked@example.org", "rotated@example.org",
                                 "expired@example.org"])
def test_dead_tokens_get_404(served: Served, who: str) -> None:
    status, body, _ = served.get(f"/members/{served.tokens[who]}/feed.xml")
    assert status == 404 and body == b"Not Found"


@pytest.mark.parametrize("token", ["", "abc", "x" * 300, "%00", "..%2F..%2Fshow.toml",
                                   secrets.token_urlsafe(24)])
def test_malformed_empty_long_and_unknown_tokens_get_404(served: Served, token: str) -> None:
    assert served.get(f"/members/{token}/feed.xml")[0] == 404


def test_media_needs_the_token_and_answers_ranges(served: Served) -> None:
    token = served.tokens["active@example.org"]
    feed = served.get(f"/members/{token}/feed.xml")[1].decode()
    url = next(u for u in re.findall(r'<enclosure url="([^"]+)"', feed) if "houthis" in u)
    path = url.split("warcast.example.org", 1)[1]
    audio = (served.show / EP2 / "audio.m4a").read_bytes()
    status, body, headers = served.get(path, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == audio[1000:2000]
    assert headers["content-range"] == f"bytes 1000-1999/{len(audio)}"
    forwarded = path.replace(token, secrets.token_urlsafe(24))
    assert served.get(forwarded)[0] == 404
    assert served.get(path.replace(f"/members/{token}", ""))[0] == 404   # not public
    head = urllib.request.Request(served.base + path, method="HEAD")
    with urllib.request.urlopen(head) as response:
        assert response.status == 200 and int(response.headers["content-length"]) == len(audio)
    transcript = path.replace("media/houthis-red-sea-shipping.m4a",
                              "episodes/houthis-red-sea-shipping/transcript.vtt")
    status, body, _ = served.get(transcript)
    assert status == 200 and SECRET_EPISODE_WORD.encode() in body


def test_members_search_covers_members_only_transcripts(served: Served) -> None:
    token = served.tokens["active@example.org"]
    status, body, _ = served.get(f"/members/{token}/api/search?q={SECRET_EPISODE_WORD}")
    assert status == 200 and json.loads(body)["hits"]
    public = json.loads(served.get(f"/api/search?q={SECRET_EPISODE_WORD}")[1])
    assert public["hits"] == []
    revoked = served.tokens["revoked@example.org"]
    assert served.get(f"/members/{revoked}/api/search?q=Houthis")[0] == 404


def test_revocation_takes_effect_on_the_next_request(served: Served) -> None:
    result = served.cli("members", "add", "late@example.org", "--json")
    token = json.loads(result.output)["feed_url"].split("/")[-2]
    assert served.get(f"/members/{token}/feed.xml")[0] == 200
    assert served.cli("members", "revoke", "late@example.org").exit_code == 0
    assert served.get(f"/members/{token}/feed.xml")[0] == 404


def test_repeated_failures_are_slowed_down(served: Served) -> None:
    started = time.monotonic()
    assert served.get("/members/" + "A" * 32 + "/feed.xml")[0] == 404
    first = time.monotonic() - started
    for _ in range(14):
        served.get("/members/" + "B" * 32 + "/feed.xml")
    started = time.monotonic()
    assert served.get("/members/" + "C" * 32 + "/feed.xml")[0] == 404
    assert time.monotonic() - started > first + 0.5


# --- the command line and the store ---------------------------------------------------------

def test_members_commands(cli: Cli, show_dir: Path, tmp_path: Path) -> None:
    assert "no members yet" in cli("members", "list").output
    added = json.loads(cli("members", "add", "a@example.org", "--expires", "2030-01-31",
                           "--json").output)
    assert set(added) == {"member", "feed_url", "expires"} and added["expires"] == "2030-01-31"
    assert re.fullmatch(r"https://warcast\.example\.org/members/[A-Za-z0-9_-]{32}/feed\.xml",
                        added["feed_url"])
    assert cli("members", "add", "a@example.org").exit_code == 1
    rotated = cli("members", "rotate", "a@example.org").output
    assert added["feed_url"] not in rotated
    export = tmp_path / "export.csv"
    export.write_text("Email,Name,Expires\nb@example.org,B,2031-05-01\na@example.org,A,\n"
                      ",nobody,\n")
    result = cli("members", "import", str(export))
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines[0] == "member,feed_url,expires" and len(lines) == 2
    assert lines[1].startswith("b@example.org,https://") and lines[1].endswith(",2031-05-01")
    listed = [json.loads(line) for line in cli("members", "list", "--json").output.splitlines()]
    assert {m["member"]: m["status"] for m in listed} == {"a@example.org": "active",
                                                          "b@example.org": "active"}
    assert cli("members", "revoke", "nobody@example.org").exit_code == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("id,phone\n1,555\n")
    result = cli("members", "import", str(bad))
    assert result.exit_code == 1 and "email or name column" in result.output


def test_tokens_are_stored_only_as_digests(show_dir: Path) -> None:
    with MemberStore(show_dir, create=True) as store:
        issued = store.add("c@example.org", dt.date(2030, 1, 1))
        assert store.check(issued.token) == "c@example.org"
        assert store.check(issued.token, today=dt.date(2030, 1, 2)) is None
    raw = (show_dir / "members.sqlite").read_bytes()
    assert issued.token.encode() not in raw
    assert len(issued.token) == 32
