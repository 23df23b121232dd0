"""The command line as producers use it: a new show from nothing to a valid feed."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from tests.conftest import Cli
from warcast.cli import main


def test_new_show_from_init_to_valid_feed(tmp_path: Path, speech_mp3: Path,
                                          speech_m4a: Path) -> None:
    show = tmp_path / "myshow"
    run = Cli(show)
    result = CliRunner().invoke(main, ["init", str(show), "--title", "Field Notes",
                                       "--base-url", "https://pod.example.org/"])
    assert result.exit_code == 0, result.output
    assert (show / "cover.png").is_file()

    first = run("new", str(speech_mp3), "--title", "First: Hello, World!",
                "--published", "2026-11-02T08:00:00+01:00")
    assert first.exit_code == 0, first.output
    second = run("new", str(speech_m4a), "--title", "Second", "--members-only")
    assert second.exit_code == 0, second.output
    folders = sorted(p.name for p in show.iterdir() if p.is_dir())
    assert folders == ["0001-first-hello-world", "0002-second"]
    toml = (show / "0002-second" / "episode.toml").read_text()
    assert "number = 2" in toml and "members_only = true" in toml
    uuid.UUID(toml.split('guid = "')[1].split('"')[0])

    assert run("tag").exit_code == 0
    out = tmp_path / "public"
    published = run("publish", "--out", str(out))
    assert published.exit_code == 0, published.output
    assert "1 members-only left out" in published.output
    checked = run("validate", str(out / "feed.xml"))
    assert checked.exit_code == 0, checked.output
    assert "0 errors" in checked.output
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert [e.title for e in parsed.entries] == ["First: Hello, World!"]
    assert parsed.entries[0].link == "https://pod.example.org/episodes/first-hello-world/"


def test_new_refuses_to_overwrite(cli: Cli, speech_mp3: Path) -> None:
    first = cli("new", str(speech_mp3), "--title", "Extra")
    assert first.exit_code == 0, first.output
    again = cli("new", str(speech_mp3), "--title", "Extra")
    assert again.exit_code == 1
    assert "exists" in again.stderr


def test_new_rejects_non_audio_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp3"
    fake.write_text("just words " * 100)
    before = sorted(cli.show.iterdir())
    result = cli("new", str(fake), "--title", "Nope")
    assert result.exit_code == 1
    assert "notes.mp3" in result.stderr
    assert sorted(cli.show.iterdir()) == before


def test_new_slug_cannot_escape_the_show(cli: Cli, speech_mp3: Path) -> None:
    result = cli("new", str(speech_mp3), "--title", "../../../etc/passwd")
    assert result.exit_code == 0
    assert (cli.show / "0003-etc-passwd" / "episode.toml").is_file()


def test_init_refuses_existing_show(cli: Cli) -> None:
    result = CliRunner().invoke(main, ["init", str(cli.show), "--title", "X",
                                       "--base-url", "https://x.example.org"])
    assert result.exit_code == 1
    assert "already exists" in result.stderr


@pytest.mark.parametrize("args", [["publish", "--nope"], ["tag", "--dry-run", "--x"],
                                  ["new"], ["init", "dir"], ["frobnicate"]])
def test_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    assert cli(*args).exit_code == 2


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name in main.commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output, name
        assert "warcast " in result.output.split("Example:")[1], name


def test_python_dash_m_and_show_from_environment(show_dir: Path, tmp_path: Path) -> None:
    env = {"WARCAST_SHOW": str(show_dir), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "warcast", "tag", "--dry-run"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # The committed sample audio is already tagged, so `make demo` changes no tracked file.
    assert "0001-venezuela-guyana-essequibo-claim: up to date" in result.stdout
    assert "0002-houthis-red-sea-shipping: up to date" in result.stdout


def test_validate_reports_errors_with_exit_1(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                    "<item><title>a</title></item></channel></rss>")
    result = CliRunner().invoke(main, ["validate", str(feed)])
    assert result.exit_code == 1
    assert "error:" in result.output


def test_every_command_is_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"warcast --show myshow {name}" in readme or f"warcast {name} " in readme, name
