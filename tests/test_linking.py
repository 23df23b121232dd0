"""Cross-links end to end: import articles, link transcripts, editors decide, publish both ways."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from tests.conftest import Cli
from warcast.state import ARTICLES_STORE, copy_source

EP1 = "0001-venezuela-guyana-essequibo-claim"
ESSEQUIBO = "https://warcast.example.org/analysis/essequibo-dispute-explained"
REFERENDUM = "https://warcast.example.org/analysis/maduro-essequibo-referendum"


@pytest.fixture
def linked(cli: Cli) -> Cli:
    for path in cli.show.glob("*/links.json"):
        path.unlink()
    assert cli("articles", "import", str(cli.show / "articles.jsonl")).exit_code == 0
    result = cli("link")
    assert result.exit_code == 0, result.output
    return cli


def related(cli: Cli, episode: str) -> dict:
    result = cli("related", episode, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_related_json_contract(linked: Cli) -> None:
    data = related(linked, "1")
    assert data["episode"] == "venezuela-guyana-essequibo-claim"
    links = data["links"]
    assert {k["url"] for k in links} >= {ESSEQUIBO}
    for k in links:
        assert set(k) == {"url", "title", "level", "start", "end", "score", "status"}
        assert k["level"] in ("passage", "episode") and k["status"] == "suggested"
        assert isinstance(k["start"], float) and isinstance(k["end"], float)
    passages = [k for k in links if k["level"] == "passage"]
    episodes = [k for k in links if k["level"] == "episode"]
    assert links == passages + episodes
    assert [k["start"] for k in passages] == sorted(k["start"] for k in passages)
    assert [k["score"] for k in episodes] == sorted((k["score"] for k in episodes), reverse=True)
    assert len(episodes) <= 5
    assert "up to date" in linked("link").output


def test_decisions_survive_relinking_and_reimport(linked: Cli) -> None:
    assert linked("links", "reject", "1", ESSEQUIBO).exit_code == 0
    pinned = "https://warcast.example.org/analysis/guyana-oil-security-partners"
    assert linked("links", "pin", "1", pinned, "--at", "0:30").exit_code == 0
    for step in (("link",), ("articles", "import", str(linked.show / "articles.jsonl"))):
        assert linked(*step).exit_code == 0
        statuses = {(k["url"], k["status"]) for k in related(linked, "1")["links"]}
        assert (ESSEQUIBO, "rejected") in statuses
        assert (pinned, "pinned") in statuses
    toml = (linked.show / EP1 / "episode.toml").read_text()
    assert 'status = "rejected"' in toml and 'start = "0:30"' in toml
    assert "# Who speaks from when" in toml  # comments kept


def test_bad_pin_time_changes_nothing(linked: Cli) -> None:
    toml = linked.show / EP1 / "episode.toml"
    before = toml.read_bytes()
    result = linked("links", "pin", "1", ESSEQUIBO, "--at", "99:99:99")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert toml.read_bytes() == before


def test_published_both_ways(linked: Cli, tmp_path: Path) -> None:
    assert linked("links", "reject", "1", REFERENDUM).exit_code == 0
    out = tmp_path / "public"
    assert linked("publish", "--out", str(out)).exit_code == 0
    backlinks = json.loads((out / "backlinks.json").read_text())
    entry = backlinks[ESSEQUIBO]
    (first,) = entry["episodes"]
    assert first["url"].startswith(
        "https://warcast.example.org/episodes/venezuela-guyana-essequibo-claim/?t=")
    snippet = out / entry["snippet"].removeprefix("https://warcast.example.org/")
    assert "Discussed on Warcast" in snippet.read_text()
    html = (out / "episodes" / "venezuela-guyana-essequibo-claim" / "transcript.html").read_text()
    assert f'Read more: <a href="{ESSEQUIBO}">' in html
    # Rejected: in no link warcast made (the show notes may still cite it by hand).
    assert REFERENDUM not in backlinks
    assert f'Read more: <a href="{REFERENDUM}">' not in html
    entries = feedparser.parse((out / "feed.xml").read_bytes()).entries
    content = next(e for e in entries if "Essequibo" in e.title).content[0].value
    related_list = content.split("Related articles:")[1]
    assert ESSEQUIBO in related_list and REFERENDUM not in related_list


def test_members_only_article_shows_title_only(linked: Cli, tmp_path: Path) -> None:
    articles = [json.loads(line) for line in (linked.show / "articles.jsonl").open()]
    target = next(a for a in articles if a["url"] == ESSEQUIBO)
    secret = "The members-only body sentence that must never leak."
    target["access"] = "members"
    target["body"] = secret + "\n\n" + target["body"]
    source = tmp_path / "members.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in articles) + "\n")
    assert linked("articles", "import", str(source)).exit_code == 0
    out = tmp_path / "public"
    assert linked("publish", "--out", str(out)).exit_code == 0
    assert "(members only)" in (out / "feed.xml").read_text()
    for path in out.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_a_copy_without_the_article_store_still_marks_members_only_links(
        linked: Cli, tmp_path: Path) -> None:
    """A link remembers that its article is for members, so a copy of the show's source
    (no article store: a clone, a fixture) publishes the same bytes, marked the same way."""
    articles = [json.loads(line) for line in (linked.show / "articles.jsonl").open()]
    for article in articles:
        if article["url"] == ESSEQUIBO:
            article["access"] = "members"
    source = tmp_path / "members.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in articles) + "\n")
    assert linked("articles", "import", str(source)).exit_code == 0
    assert linked("link").exit_code == 0
    stored = json.loads((linked.show / EP1 / "links.json").read_text())["links"]
    assert {k["url"]: k["members_only"] for k in stored}[ESSEQUIBO] is True
    with_store, without = tmp_path / "with-store", tmp_path / "without"
    assert linked("publish", "--out", str(with_store)).exit_code == 0
    copy = copy_source(linked.show, tmp_path / "copy")
    assert not (copy / ARTICLES_STORE).exists()
    done = subprocess.run([sys.executable, "-m", "warcast", "--show", str(copy), "publish",
                           "--out", str(without), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    feed = (without / "feed.xml").read_text()
    assert "(members only)" in feed
    assert feed == (with_store / "feed.xml").read_text()
    pages = sorted(p.relative_to(without) for p in without.rglob("index.html"))
    assert pages and all((without / p).read_bytes() == (with_store / p).read_bytes()
                         for p in pages)


def test_linking_without_articles_creates_no_store(cli: Cli) -> None:
    result = cli("link")
    assert result.exit_code == 0, result.output
    assert not (cli.show / ARTICLES_STORE).exists()
