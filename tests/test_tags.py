"""warcast.audio.tags on real speech audio: every field read back, idempotence, safety,
bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from mutagen.id3 import APIC, COMM, ID3, TXXX, CTOCFlags, PictureType
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

from tests.conftest import make_speech
from warcast.audio.tags import (
    Artwork,
    TagChange,
    TagChapter,
    TagSet,
    audio_payload_digest,
    plan_tags,
    write_tags,
)
from warcast.errors import AudioError

if any(shutil.which(tool) is None for tool in ("espeak-ng", "ffmpeg", "ffprobe")):
    pytest.skip("needs espeak-ng, ffmpeg and ffprobe on PATH", allow_module_level=True)

pytestmark = pytest.mark.system

MP3 = ("-codec:a", "libmp3lame", "-b:a", "48k")
AAC = ("-c:a", "aac", "-b:a", "48k")
ALL_FIELDS = {
    "title", "artist", "album", "track", "season", "published", "genre", "description",
    "long_description", "cover", "podcast", "feed_url", "guid", "episode_url", "copyright",
    "category", "keywords",
}


# --- real inputs -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Short speech clips (tagged, untagged, with ID3v1) and two tiny images, made once."""
    folder = tmp_path_factory.mktemp("tags-audio")
    text = "This is the warcast tags test."
    made = {
        "mp3": make_speech(folder, "clip.mp3", text, MP3),
        "v1.mp3": make_speech(folder, "clip-v1.mp3", text,
                              (*MP3, "-write_id3v1", "1", "-metadata", "title=Old")),
        "m4a": make_speech(folder, "clip.m4a", text, AAC),
        # no tag at all (and no Xing header), so warcast must create one
        "bare.mp3": make_speech(folder, "bare.mp3", text,
                                (*MP3, "-id3v2_version", "0", "-write_xing", "0")),
        "bare.m4a": make_speech(folder, "bare.m4a", text, (*AAC, "-fflags", "+bitexact")),
    }
    for image in ("png", "jpg"):
        made[image] = folder / f"cover.{image}"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=16x16",
                        "-frames:v", "1", str(made[image])], check=True)
    return made


def fresh(sources: dict[str, Path], tmp_path: Path, kind: str) -> Path:
    """A private copy of one source clip, named ``episode.<suffix>``."""
    target = tmp_path / f"episode.{kind.rsplit('.', 1)[-1]}"
    shutil.copyfile(sources[kind], target)
    return target


def artwork(sources: dict[str, Path], kind: str) -> Artwork:
    mime = {"png": "image/png", "jpg": "image/jpeg"}[kind]
    return Artwork(sources[kind].read_bytes(), mime)


def full_tags(sources: dict[str, Path], cover: str = "png") -> TagSet:
    """Every field set, chapters with a link and an image, a non-UTC publication time."""
    return TagSet(
        title="Episode 7: Tags",
        artist="Ann Host",
        album="The Warcast Show",
        published=datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),
        track=7,
        season=2,
        description="A short summary.",
        long_description="Long show notes,\nover two lines.",
        cover=artwork(sources, cover),
        feed_url="https://example.com/feed.xml",
        guid="urn:uuid:6c1b3d1e-7b56-4d2b-9f0e-6b1c2b2f0a11",
        episode_url="https://example.com/7",
        copyright="© 2024 Ann Host",
        category="Technology",
        keywords=("audio", "tags"),
        chapters=(
            TagChapter(0, 600, "Intro", url="https://example.com/intro"),
            TagChapter(600, 1200, "Main part", image=artwork(sources, "jpg")),
        ),
    )


def probe(path: Path) -> dict:
    """ffprobe's view of chapters and container tags."""
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_chapters",
                          "-show_format", str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def snapshot(path: Path) -> tuple[bytes, int]:
    """File bytes and mtime, after pinning the mtime to a recognisable old value."""
    os.utime(path, ns=(10**18, 10**18))
    return path.read_bytes(), path.stat().st_mtime_ns


def unchanged_since(path: Path, before: tuple[bytes, int]) -> bool:
    return (path.read_bytes(), path.stat().st_mtime_ns) == before


# --- every field read back -------------------------------------------------------------------


def test_mp3_fields_read_back_with_mutagen(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "mp3")
    changes = write_tags(path, full_tags(sources))
    assert {change.field for change in changes} == ALL_FIELDS | {"chapters"}
    tags = ID3(path)
    assert tags.version == (2, 4, 0)
    texts = {key: str(tags[key]) for key in ("TIT2", "TPE1", "TPE2", "TALB", "TRCK", "TCON",
                                             "TDES", "TGID", "TCOP", "TCAT", "TKWD")}
    assert texts == {
        "TIT2": "Episode 7: Tags", "TPE1": "Ann Host", "TPE2": "Ann Host",
        "TALB": "The Warcast Show", "TRCK": "7", "TCON": "Podcast",
        "TDES": "Long show notes,\nover two lines.",
        "TGID": "urn:uuid:6c1b3d1e-7b56-4d2b-9f0e-6b1c2b2f0a11", "TCOP": "© 2024 Ann Host",
        "TCAT": "Technology", "TKWD": "audio,tags",
    }
    assert str(tags["TXXX:SEASON"]) == "2"
    assert b"2024-05-01T12:30:00" in path.read_bytes()  # TDRC, in UTC
    comm = tags.getall("COMM")[0]
    assert (comm.lang, comm.desc, str(comm)) == ("eng", "", "A short summary.")
    cover = tags["APIC:"]
    assert (cover.type, cover.mime, cover.data) == (
        PictureType.COVER_FRONT, "image/png", sources["png"].read_bytes())
    assert tags["PCST"].value == 1
    assert (tags["WFED"].url, tags["WOAF"].url) == (
        "https://example.com/feed.xml", "https://example.com/7")


def test_m4a_fields_read_back_with_mutagen(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "m4a")
    changes = write_tags(path, full_tags(sources, cover="jpg"))
    assert {change.field for change in changes} == ALL_FIELDS  # no chapters in MP4
    tags = MP4(path).tags
    assert {key: tags[key] for key in (
        "\xa9nam", "\xa9ART", "aART", "\xa9alb", "trkn", "tves", "tvsn", "\xa9day", "\xa9gen",
        "desc", "ldes", "pcst", "stik", "purl", "egid", "cprt", "catg", "keyw")} == {
        "\xa9nam": ["Episode 7: Tags"], "\xa9ART": ["Ann Host"], "aART": ["Ann Host"],
        "\xa9alb": ["The Warcast Show"], "trkn": [(7, 0)], "tves": [7], "tvsn": [2],
        "\xa9day": ["2024-05-01T12:30:00Z"], "\xa9gen": ["Podcast"],
        "desc": ["A short summary."], "ldes": ["Long show notes,\nover two lines."],
        "pcst": True, "stik": [21], "purl": ["https://example.com/feed.xml"],
        "egid": ["urn:uuid:6c1b3d1e-7b56-4d2b-9f0e-6b1c2b2f0a11"],
        "cprt": ["© 2024 Ann Host"], "catg": ["Technology"], "keyw": ["audio,tags"],
    }
    assert tags["covr"] == [MP4Cover(sources["jpg"].read_bytes(), MP4Cover.FORMAT_JPEG)]
    assert tags["----:com.apple.iTunes:EPISODE_URL"] == [MP4FreeForm(b"https://example.com/7")]
    assert probe(path)["chapters"] == []


def test_m4a_format_tags_read_back_with_ffprobe(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "m4a")
    write_tags(path, full_tags(sources, cover="jpg"))
    seen = probe(path)["format"]["tags"]
    assert (seen["title"], seen["artist"], seen["album"], seen["date"]) == (
        "Episode 7: Tags", "Ann Host", "The Warcast Show", "2024-05-01T12:30:00Z")
    assert (seen["podcast"], seen["media_type"], seen["season_number"]) == ("1", "21", "2")


def test_mp3_chapters_read_back_with_mutagen(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "mp3")
    write_tags(path, full_tags(sources))
    tags = ID3(path)
    intro, main = tags["CHAP:chp0"], tags["CHAP:chp1"]
    assert (intro.start_time, intro.end_time, str(intro.sub_frames["TIT2"])) == (0, 600, "Intro")
    assert intro.sub_frames["WXXX:chapter url"].url == "https://example.com/intro"
    assert (main.start_time, main.end_time, str(main.sub_frames["TIT2"])) == (600, 1200,
                                                                              "Main part")
    assert main.sub_frames.getall("WXXX") == []
    assert main.sub_frames["APIC:"].data == sources["jpg"].read_bytes()
    assert intro.start_offset == intro.end_offset == 0xFFFFFFFF
    toc = tags["CTOC:toc"]
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1"]
    assert str(toc.sub_frames["TIT2"]) == "Chapters"


def test_mp3_chapters_and_tags_read_back_with_ffprobe(sources: dict[str, Path],
                                                       tmp_path: Path) -> None:
    # Later chapters are smaller frames, which mutagen would write first: ffprobe lists them
    # in file order, so this also checks that warcast writes CHAP frames in time order.
    # No chapter images here: ffmpeg reads CHAP sub-frame sizes as plain (not syncsafe)
    # integers, so it drops ID3v2.4 chapters whose sub-frames exceed 127 bytes.
    chapters = (TagChapter(0, 400, "Introduction and welcome", url="https://example.com/a"),
                TagChapter(400, 800, "News", url="https://example.com/b"),
                TagChapter(800, 1200, "End"))
    path = fresh(sources, tmp_path, "mp3")
    write_tags(path, replace(full_tags(sources), chapters=chapters))
    seen = probe(path)
    assert [(c["start"], c["end"], c["tags"]["title"]) for c in seen["chapters"]] == [
        (0, 400, "Introduction and welcome"), (400, 800, "News"), (800, 1200, "End")]
    tags = seen["format"]["tags"]
    assert (tags["title"], tags["artist"], tags["album"], tags["date"]) == (
        "Episode 7: Tags", "Ann Host", "The Warcast Show", "2024-05-01T12:30:00")


def test_non_ascii_urls_are_percent_encoded_in_id3(sources: dict[str, Path],
                                                   tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "mp3")
    tags = replace(full_tags(sources), episode_url="https://example.com/é/日本")
    write_tags(path, tags)
    assert ID3(path)["WOAF"].url == "https://example.com/%C3%A9/%E6%97%A5%E6%9C%AC"
    assert write_tags(path, tags) == []


# --- idempotence, dry run, minimal plans -----------------------------------------------------


@pytest.mark.parametrize("kind", ["mp3", "m4a", "bare.mp3", "bare.m4a"])
def test_tagging_twice_changes_nothing(sources: dict[str, Path], tmp_path: Path,
                                       kind: str) -> None:
    path = fresh(sources, tmp_path, kind)
    assert write_tags(path, full_tags(sources))
    before = snapshot(path)
    assert plan_tags(path, full_tags(sources)) == []
    assert write_tags(path, full_tags(sources)) == []
    assert unchanged_since(path, before)


@pytest.mark.parametrize("kind", ["mp3", "m4a"])
def test_dry_run_returns_the_plan_and_writes_nothing(sources: dict[str, Path], tmp_path: Path,
                                                     kind: str) -> None:
    path = fresh(sources, tmp_path, kind)
    before = snapshot(path)
    planned = plan_tags(path, full_tags(sources))
    assert write_tags(path, full_tags(sources), dry_run=True) == planned
    assert TagChange("title", None, "Episode 7: Tags") in planned
    assert unchanged_since(path, before)


@pytest.mark.parametrize("kind", ["mp3", "m4a"])
def test_a_new_title_is_exactly_one_change(sources: dict[str, Path], tmp_path: Path,
                                           kind: str) -> None:
    path = fresh(sources, tmp_path, kind)
    write_tags(path, full_tags(sources))
    renamed = replace(full_tags(sources), title="Episode 7: Renamed")
    assert write_tags(path, renamed) == [
        TagChange("title", "Episode 7: Tags", "Episode 7: Renamed")]
    assert write_tags(path, renamed) == []


# --- the audio is never touched --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mp3", "m4a", "bare.mp3", "bare.m4a"])
def test_tagging_keeps_the_audio_payload(sources: dict[str, Path], tmp_path: Path,
                                         kind: str) -> None:
    path = fresh(sources, tmp_path, kind)
    digest = audio_payload_digest(path)
    original = path.read_bytes()
    write_tags(path, full_tags(sources))
    assert path.read_bytes() != original
    assert audio_payload_digest(path) == digest
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
                             capture_output=True, text=True)
    assert (decoded.returncode, decoded.stderr) == (0, "")


def test_writing_keeps_permissions_and_leaves_no_temp_files(sources: dict[str, Path],
                                                            tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "mp3")
    path.chmod(0o640)
    write_tags(path, full_tags(sources))
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["episode.mp3"]


def test_id3v1_tag_is_removed(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "v1.mp3")
    assert path.read_bytes()[-128:-125] == b"TAG"
    digest = audio_payload_digest(path)
    assert TagChange("id3v1", "present", None) in write_tags(path, full_tags(sources))
    assert path.read_bytes()[-128:-125] != b"TAG"
    assert audio_payload_digest(path) == digest
    assert write_tags(path, full_tags(sources)) == []


def test_id3v23_tag_is_upgraded_to_v24(sources: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "old.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(sources["mp3"]), "-c", "copy",
                    "-id3v2_version", "3", "-metadata", "title=Old", str(path)], check=True)
    assert ID3(path).version == (2, 3, 0)
    changes = write_tags(path, full_tags(sources))
    assert TagChange("id3_version", "2.3", "2.4") in changes
    assert ID3(path).version == (2, 4, 0)
    assert write_tags(path, full_tags(sources)) == []


# --- only managed tags are replaced ----------------------------------------------------------


def test_stale_managed_frames_are_removed(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "mp3")
    write_tags(path, full_tags(sources))
    slim = replace(full_tags(sources), chapters=(), cover=None, season=None)
    changes = write_tags(path, slim)
    assert {c.field for c in changes} == {"chapters", "cover", "season"}
    assert all(c.new is None and c.old for c in changes)
    tags = ID3(path)
    assert tags.getall("CHAP") == tags.getall("CTOC") == tags.getall("APIC") == []
    assert "TXXX:SEASON" not in tags
    assert probe(path)["chapters"] == []


def test_unrelated_id3_frames_are_kept(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "mp3")
    tags = ID3(path)
    tags.add(TXXX(encoding=3, desc="MOOD", text=["calm"]))
    tags.add(COMM(encoding=3, lang="eng", desc="editor", text=["keep me"]))
    tags.add(APIC(encoding=3, mime="image/png", type=PictureType.COVER_BACK, desc="back",
                  data=sources["png"].read_bytes()))
    tags.save(path)
    write_tags(path, full_tags(sources))
    tags = ID3(path)
    assert str(tags["TSSE"]).startswith("Lavf")  # ffmpeg's encoder frame
    assert str(tags["TXXX:MOOD"]) == "calm"
    assert str(tags["COMM:editor:eng"]) == "keep me"
    assert tags["APIC:back"].type == PictureType.COVER_BACK
    assert str(tags["COMM::eng"]) == "A short summary."


def test_unrelated_mp4_atoms_are_kept(sources: dict[str, Path], tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "m4a")
    audio = MP4(path)
    audio.tags["\xa9wrt"] = ["A Composer"]
    audio.save()
    write_tags(path, full_tags(sources))
    tags = MP4(path).tags
    assert tags["\xa9too"][0].startswith("Lavf")
    assert tags["\xa9wrt"] == ["A Composer"]


# --- bad input -------------------------------------------------------------------------------


def _bad_inputs(sources: dict[str, Path]) -> dict[str, bytes | None]:
    mp3, m4a = sources["mp3"].read_bytes(), sources["m4a"].read_bytes()
    return {
        "missing.mp3": None,
        "empty.mp3": b"",
        "notes.mp3": b"These are show notes, not audio.\n" * 20,
        "cover.mp3": sources["png"].read_bytes(),
        "truncated.mp3": mp3[: len(mp3) // 2],
        "cut-in-tag.mp3": mp3[:30],
        "truncated.m4a": m4a[: len(m4a) // 2],
        "notes.m4a": b"These are show notes, not audio.\n" * 20,
        "episode.ogg": m4a,
    }


BAD_NAMES = ["missing.mp3", "empty.mp3", "notes.mp3", "cover.mp3", "truncated.mp3",
             "cut-in-tag.mp3", "truncated.m4a", "notes.m4a", "episode.ogg"]


@pytest.mark.parametrize("action", ["plan", "write", "digest"])
@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_input_raises_audio_error_naming_the_file(sources: dict[str, Path], tmp_path: Path,
                                                      name: str, action: str) -> None:
    content = _bad_inputs(sources)[name]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    calls = {
        "plan": lambda: plan_tags(path, full_tags(sources)),
        "write": lambda: write_tags(path, full_tags(sources)),
        "digest": lambda: audio_payload_digest(path),
    }
    with pytest.raises(AudioError) as caught:
        calls[action]()
    assert str(path) in str(caught.value)
    assert caught.value.hint
    if content is not None:
        assert path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ([name] if content is not None else [])


def test_unsupported_format_message(tmp_path: Path, sources: dict[str, Path]) -> None:
    path = tmp_path / "episode.ogg"
    path.write_bytes(b"OggS")
    with pytest.raises(AudioError, match=r"cannot tag \.ogg files; warcast tags MP3 and M4A"):
        plan_tags(path, full_tags(sources))


@pytest.mark.parametrize(("change", "key"), [
    ({"published": datetime(2024, 5, 1, 12, 0)}, "published"),
    ({"track": 70000}, "track"),
    ({"chapters": (TagChapter(500, 100, "Backwards"),)}, "chapters"),
    ({"cover": Artwork(b"GIF89a", "image/gif")}, "cover"),
])
def test_impossible_tag_values_are_refused_before_writing(
        sources: dict[str, Path], tmp_path: Path, change: dict, key: str) -> None:
    path = fresh(sources, tmp_path, "mp3")
    before = snapshot(path)
    with pytest.raises(AudioError) as caught:
        write_tags(path, replace(full_tags(sources), **change))
    assert (caught.value.key, caught.value.path) == (key, path)
    assert unchanged_since(path, before)


def test_unwritable_folder_leaves_the_file_alone(sources: dict[str, Path],
                                                 tmp_path: Path) -> None:
    path = fresh(sources, tmp_path, "mp3")
    before = snapshot(path)
    tmp_path.chmod(0o555)
    if os.access(tmp_path, os.W_OK):  # root, with its capabilities, writes anyway
        tmp_path.chmod(0o755)
        pytest.skip("this user can write into read-only folders")
    try:
        with pytest.raises(AudioError) as caught:
            write_tags(path, full_tags(sources))
    finally:
        tmp_path.chmod(0o755)
    assert str(path) in str(caught.value)
    assert unchanged_since(path, before)
    assert [p.name for p in tmp_path.iterdir()] == ["episode.mp3"]
