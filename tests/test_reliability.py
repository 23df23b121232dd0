"""Reliability: a publish killed at any moment, two writers at once, changed guids, a full disk."""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from tests.conftest import Cli
from warcast.lock import show_lock
from warcast.publish.releases import FAULT_ENV, live

EP1, EP2 = "0001-venezuela-guyana-essequibo-claim", "0002-houthis-red-sea-shipping"


def _snapshot(out: Path) -> dict[str, str]:
    folder = live(out)
    assert folder is not None
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(show: Path, *args: str, env: dict[str, str] | None = None,
         preexec=None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "warcast", "--show", str(show), *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          preexec_fn=preexec, timeout=300)


def _change(show: Path) -> None:
    toml = show / EP2 / "episode.toml"
    toml.write_text(toml.read_text().replace('title = "The Houthis', 'title = "Houthis'))
    notes = show / EP1 / "notes.md"
    notes.write_text(notes.read_text() + "\nA correction was added after broadcast.\n")


def _check_site(out: Path) -> None:
    """The feed parses and every file of this site it points to exists."""
    folder = live(out)
    assert folder is not None
    feed = feedparser.parse((folder / "feed.xml").read_bytes())
    assert not feed.bozo and feed.entries
    for entry in feed.entries:
        for link in entry.enclosures:
            path = link["href"].split("warcast.example.org/", 1)[1]
            assert (folder / path).is_file(), path


def test_a_publish_killed_anywhere_leaves_the_old_or_the_new_site(show_dir: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert _run(show_dir, "publish", "--out", str(out)).returncode == 0
    old = _snapshot(out)
    _change(show_dir)
    seen, kills = [], 0
    for after in range(1, 400, 3):
        result = _run(show_dir, "publish", "--out", str(out), env={FAULT_ENV: str(after)})
        if result.returncode == 0:
            break
        assert result.returncode == -signal.SIGKILL, result.stderr
        kills += 1
        seen.append(_snapshot(out))
        _check_site(out)
    else:
        pytest.fail("publish never finished")
    assert kills >= 10    # killed at many points across the run
    new = _snapshot(out)
    assert new != old
    assert all(state in (old, new) for state in seen)
    _check_site(out)
    # The result is what an uninterrupted publish makes, byte for byte.
    clean = tmp_path / "clean"
    assert _run(show_dir, "publish", "--out", str(clean)).returncode == 0
    assert _snapshot(clean) == new
    # Nothing half-built is left beside the output.
    generations = sorted(p.name for p in (tmp_path / ".public.d").iterdir() if p.is_dir())
    assert len(generations) <= 2 and live(out).name == generations[-1]


def test_republish_is_byte_identical_and_touches_nothing(show_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert _run(show_dir, "publish", "--out", str(out)).returncode == 0
    first, target = _snapshot(out), os.readlink(out)
    assert _run(show_dir, "publish", "--out", str(out)).returncode == 0
    assert _snapshot(out) == first and os.readlink(out) == target


def test_a_second_writer_stops_with_a_clear_message(show_dir: Path, tmp_path: Path) -> None:
    with show_lock(show_dir, "publish"):
        result = _run(show_dir, "publish", "--out", str(tmp_path / "public"),
                      env={"WARCAST_LOCK_WAIT": "0.3"})
        transcribe = _run(show_dir, "transcribe", env={"WARCAST_LOCK_WAIT": "0.3"})
    assert result.returncode == 1 and transcribe.returncode == 1
    assert "another warcast command is writing to this show (publish (process" in result.stderr
    assert "Traceback" not in result.stderr + transcribe.stderr
    assert not (tmp_path / "public").exists()
    assert _run(show_dir, "publish", "--out", str(tmp_path / "public")).returncode == 0


def test_changed_guid_or_enclosure_url_needs_accept_changes(cli: Cli, show_dir: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    before = _snapshot(out)
    old_feed = tmp_path / "old-feed.xml"
    old_feed.write_bytes((live(out) / "feed.xml").read_bytes())
    toml = show_dir / EP1 / "episode.toml"
    text = toml.read_text()
    toml.write_text(text.replace('guid = "', 'guid = "changed-', 1))
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 1 and "guid changed" in result.output
    assert "--accept-changes" in result.output
    assert _snapshot(out) == before
    assert cli("publish", "--out", str(out), "--accept-changes").exit_code == 0
    new_feed = live(out) / "feed.xml"
    checked = cli("validate", str(new_feed), "--previous", str(old_feed))
    assert checked.exit_code == 1 and "[continuity] guid changed" in checked.output
    assert cli("validate", str(new_feed), "--previous", str(new_feed)).exit_code == 0


def _file_size_limit(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:   # in the child: files may not grow past ``limit`` bytes
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_no_space_for_the_output_keeps_the_previous_site(show_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert _run(show_dir, "publish", "--out", str(out)).returncode == 0
    before = _snapshot(out)
    _change(show_dir)   # pages of about 10 kB to write: more than the disk has room for
    result = _run(show_dir, "publish", "--out", str(out), preexec=_file_size_limit(4_000))
    assert result.returncode == 1, result.stderr
    assert "cannot write the site" in result.stderr and "previous site is intact" in \
        result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _snapshot(out) == before
    _check_site(out)
