"""Publishing: what lands in the site folder, incremental re-publish, and safe switch-over."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli

EP2 = "0002-houthis-red-sea-shipping"


def snapshot(out: Path) -> dict[Path, tuple[int, bytes]]:
    return {p.relative_to(out): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_publish_writes_feed_pages_media_and_chapters(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Published 2 episodes" in result.output
    assert "public/feed.xml" in result.output
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {"feed.xml", "index.html", "media/houthis-red-sea-shipping.m4a",
            "media/venezuela-guyana-essequibo-claim.mp3",
            "episodes/houthis-red-sea-shipping/index.html",
            "episodes/houthis-red-sea-shipping/chapters.json"} <= files
    assert any(name.startswith("cover-") and name.endswith(".jpg") for name in files)


def test_republish_with_nothing_changed_touches_nothing(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    before = snapshot(out)
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0
    assert "0 files written" in result.output
    assert snapshot(out) == before


def test_one_changed_episode_rewrites_only_what_depends_on_it(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    before = snapshot(out)
    toml = cli.show / EP2 / "episode.toml"
    toml.write_text(toml.read_text().replace('title = "The Houthis', 'title = "Houthis'))
    assert cli("publish", "--out", str(out)).exit_code == 0
    after = snapshot(out)
    changed = {str(p) for p in after if after[p] != before.get(p)}
    # The snippets of the articles the episode discusses carry its title too.
    changed -= {s for s in changed if s.startswith("backlinks/")}
    # The search page's index holds titles: its entry file and the touched shards change.
    bundle = {s for s in changed if s.startswith("pagefind/")}
    assert "pagefind/recent/pagefind-entry.json" in bundle and len(bundle) < len(
        [p for p in after if str(p).startswith("pagefind/")])
    changed -= bundle
    assert changed == {"feed.xml", "index.html", "episodes/houthis-red-sea-shipping/index.html",
                       "episodes/index.html",
                       "episodes/houthis-red-sea-shipping/transcript.html",
                       "backlinks.json"}  # names the episodes that discuss each article


def test_removed_episode_disappears_from_the_site(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    toml = cli.show / EP2 / "episode.toml"
    toml.write_text(toml.read_text().replace("members_only = false", "members_only = true"))
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0
    assert "removed" in result.output
    assert not (out / "media" / "houthis-red-sea-shipping.m4a").exists()
    assert not (out / "episodes" / "houthis-red-sea-shipping").exists()
    assert b"Houthis" not in (out / "feed.xml").read_bytes()


def test_refuses_to_publish_over_a_foreign_folder(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "precious.txt").write_text("not ours")
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 1
    assert "did not publish" in result.stderr
    assert (out / "precious.txt").read_text() == "not ours"
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]


def test_read_only_output_fails_cleanly(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    before = snapshot(out)
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    result = cli("publish", "--out", str(blocker / "public"))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(out) == before


def test_podcast_guid_is_pinned_once(cli: Cli, tmp_path: Path) -> None:
    show_toml = cli.show / "show.toml"
    text = "\n".join(line for line in show_toml.read_text().splitlines()
                     if not line.startswith("guid ="))
    show_toml.write_text(text + "\n")
    result = cli("publish", "--out", str(tmp_path / "public"))
    assert "Pinned podcast:guid" in result.output
    pinned = show_toml.read_text()
    assert 'guid = "7e548c61-61db-5693-bae8-8e35d39e929c"' in pinned
    # Moving the site keeps the pinned guid: the derived one would change.
    show_toml.write_text(pinned.replace("https://warcast.example.org", "https://new.example.net"))
    result = cli("publish", "--out", str(tmp_path / "moved"))
    assert result.exit_code == 0
    assert b"7e548c61-61db-5693-bae8-8e35d39e929c" in (tmp_path / "moved" / "feed.xml").read_bytes()


def test_media_hosted_elsewhere_is_not_copied(cli: Cli, tmp_path: Path) -> None:
    show_toml = cli.show / "show.toml"
    show_toml.write_text(show_toml.read_text().replace(
        "medium = ", 'media_base_url = "https://cdn.example.net/warcast"\nmedium = '))
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert not (out / "media").exists()
    assert b'url="https://cdn.example.net/warcast/houthis-red-sea-shipping.m4a"' in \
        (out / "feed.xml").read_bytes()
