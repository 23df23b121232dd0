"""Every kind of bad input gets one line naming the file, exit status 1, and nothing written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Cli

EP1 = "0001-venezuela-guyana-essequibo-claim"
EP2 = "0002-houthis-red-sea-shipping"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def ep_toml(show: Path, episode: str = EP1) -> Path:
    return show / episode / "episode.toml"


def replace_audio(data: bytes) -> Callable[[Path], None]:
    def apply(show: Path) -> None:
        (show / EP1 / "audio.mp3").write_bytes(data)
    return apply


def truncate_audio(episode: str, name: str, keep: float) -> Callable[[Path], None]:
    def apply(show: Path) -> None:
        path = show / episode / name
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
    return apply


PNG_HEADER = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200

CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing audio": (lambda s: (s / EP1 / "audio.mp3").unlink(), "audio.mp3"),
    "audio is a folder": (lambda s: ((s / EP1 / "audio.mp3").unlink(),
                                     (s / EP1 / "audio.mp3").mkdir()), "audio.mp3"),
    "empty audio": (replace_audio(b""), "audio.mp3"),
    "text as audio": (replace_audio(b"this is not audio at all\n" * 40), "audio.mp3"),
    "image renamed .mp3": (replace_audio(PNG_HEADER), "audio.mp3"),
    "truncated mp3": (truncate_audio(EP1, "audio.mp3", 0.5), "audio.mp3"),
    "truncated m4a": (truncate_audio(EP2, "audio.m4a", 0.5), "audio.m4a"),
    "m4a renamed .mp3": (
        lambda s: shutil.copy(s / EP2 / "audio.m4a", s / EP1 / "audio.mp3"), "audio.mp3"),
    "invalid TOML": (lambda s: edit(ep_toml(s), 'title = "', 'title = "unterminated\n#'),
                     "episode.toml"),
    "invalid show TOML": (lambda s: edit(s / "show.toml", "[owner]", "[owner"), "show.toml"),
    "missing required key": (lambda s: edit(ep_toml(s), "guid = ", "# guid = "), "guid"),
    "missing show key": (lambda s: edit(s / "show.toml", "title = ", "# title = "), "title"),
    "unknown category": (lambda s: edit(s / "show.toml", 'category = "News"',
                                        'category = "Warfare"'), "Warfare"),
    "wrong subcategory": (lambda s: edit(s / "show.toml", 'subcategory = "Politics"',
                                         'subcategory = "Drama"'), "Drama"),
    "duplicate guid": (lambda s: edit(ep_toml(s, EP2), 'guid = "7eef7aac',
                                      'guid = "e6ce1aa9-ea2c-435c-8553-1bb483cc4970"\n#'),
                       "duplicate guid"),
    "duplicate number": (lambda s: edit(ep_toml(s, EP2), "number = 2", "number = 1"),
                         "duplicate number"),
    "date without zone": (lambda s: edit(ep_toml(s), "T09:00:00-04:00", "T09:00:00"),
                          "time zone"),
    "audio escaping the show": (lambda s: edit(ep_toml(s), 'audio = "audio.mp3"',
                                               'audio = "../../etc/passwd"'), "outside"),
    "bad folder name": (lambda s: (s / EP1).rename(s / "0001-Bad Name"), "0001-Bad Name"),
    "unknown key (typo)": (lambda s: edit(ep_toml(s), "summary = ", "sumary = "), "sumary"),
    "chapter after the end": (lambda s: edit(ep_toml(s), 'start = "0:56"', 'start = "9:56"'),
                              "chapters"),
    "cover too small": (lambda s: (s / "cover.jpg").write_bytes(_small_png()), "cover"),
    "bad episode type": (lambda s: edit(ep_toml(s), 'type = "full"', 'type = "extra"'),
                         "type"),
    "enormous show notes": (lambda s: (s / EP1 / "notes.md").write_text("x" * 2_000_000),
                            "notes.md"),
    "enormous transcript": (lambda s: _sparse(s / EP1 / "transcript.vtt", 70_000_000),
                            "transcript.vtt"),
    "transcript broken by hand": (lambda s: edit(s / EP1 / "transcript.vtt",
                                                 "00:00:03.220 --> 00:00:06.700",
                                                 "00:00:03,220 -> 00:00:06.700"),
                                  "transcript.vtt"),
    "transcript times backwards": (lambda s: edit(s / EP1 / "transcript.vtt",
                                                  "00:00:03.220 --> 00:00:06.700",
                                                  "00:00:06.700 --> 00:00:03.220"),
                                   "transcript.vtt"),
}


def _sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no room on disk."""
    with path.open("r+b") as handle:
        handle.truncate(size)


def _small_png() -> bytes:
    from warcast.audio.artwork import placeholder_png

    return placeholder_png(side=100)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_cleanly_and_keeps_previous_output(case: str, cli: Cli,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "public"
    first = cli("publish", "--out", str(out))
    assert first.exit_code == 0, first.output
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    breaker, expected = CASES[case]
    breaker(cli.show)
    result = cli("publish", "--out", str(out))

    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert len([p for p in (tmp_path / ".public.d").iterdir() if p.is_dir()]) == 1


@pytest.mark.parametrize("command", [("tag",), ("tag", "--dry-run")])
def test_tag_reports_bad_audio_in_one_line(command: tuple[str, ...], cli: Cli) -> None:
    replace_audio(b"not audio\n" * 50)(cli.show)
    result = cli(*command)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "audio.mp3" in result.stderr


def test_control_characters_never_reach_the_feed(cli: Cli, tmp_path: Path) -> None:
    toml = ep_toml(cli.show)
    edit(toml, 'title = "', 'title = "\\u0001Bell\\u0007 ')
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    feed = (out / "feed.xml").read_bytes()
    assert b"<title>Bell Venezuela" in feed
    assert not any(byte < 32 and byte not in (9, 10, 13) for byte in feed)


def test_url_with_control_character_is_refused(cli: Cli, tmp_path: Path) -> None:
    edit(cli.show / "show.toml", 'url = "https://warcast.example.org/membership"',
         'url = "https://warcast.example.org/member\\u0001ship"')
    result = cli("publish", "--out", str(tmp_path / "public"))
    assert result.exit_code == 1
    assert "funding[0].url" in result.stderr


def test_zero_sample_audio_is_refused(cli: Cli, tmp_path: Path) -> None:
    import wave

    empty = tmp_path / "zero.wav"
    with wave.open(str(empty), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"")
    before = sorted(cli.show.iterdir())
    result = cli("new", str(empty), "--title", "Nothing")
    assert result.exit_code == 1
    assert "zero.wav" in result.stderr and "no audio" in result.stderr
    assert sorted(cli.show.iterdir()) == before
