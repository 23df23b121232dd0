"""What an import writes: show.toml, and each episode's files rendered from the old feed.

Rendering is a pure function of what was read (and fetched), so the same feed gives the same
bytes; what was written is recorded in each folder's ``.imported.json``, so that a later
import can tell an episode the producer has edited from one it may update.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from warcast.files import toml_string
from warcast.imports.model import SourceEpisode, SourceShow

STATE_FILE = ".imported.json"
_HEADER = """\
# Imported by `warcast import` (show.toml names the feed).
# Edit freely: a later import leaves an edited episode alone (and says so); --force replaces it.
# guid and audio_url are what podcast apps know this episode by: never change them.
"""


def episode_toml(episode: SourceEpisode, *, chapters: list[dict[str, object]],
                 transcripts: bool, image: str | None, audio: str | None) -> bytes:
    """episode.toml for an imported item. ``chapters`` were read from the feed or fetched
    (else ``chapters_url`` stays a link); ``transcripts`` says a transcript.vtt was made (else
    the feed's transcripts stay links); ``image`` and ``audio`` are downloaded files."""
    lines = [_HEADER.rstrip("\n"),
             f"title = {toml_string(episode.title)}",
             f"guid = {toml_string(episode.guid)}",
             f"published = {episode.published.isoformat()}",
             f'type = "{episode.type}"']
    lines += [f"number = {episode.number}"] if episode.number else []
    lines += [f"season = {episode.season}"] if episode.season else []
    lines += [f"season_name = {toml_string(episode.season_name)}"] if episode.season_name else []
    if episode.explicit is not None:
        lines.append(f"explicit = {str(episode.explicit).lower()}")
    lines += ["block = true"] if episode.block else []
    lines += ["members_only = true   # imported from a private feed"] \
        if episode.members_only else []
    lines.append(f"summary = {toml_string(episode.summary)}")
    lines.append(f"keywords = [{', '.join(toml_string(k) for k in episode.keywords)}]")
    lines.append(f"audio_url = {toml_string(episode.audio_url)}")
    lines.append(f"audio_type = {toml_string(episode.audio_type)}")
    lines.append(f"audio_bytes = {episode.audio_bytes}"
                 + ("" if episode.audio_bytes else "   # unknown: the old feed did not say"))
    lines.append(f"duration = {_seconds(episode.duration)}"
                 + ("" if episode.duration else "   # unknown: the old feed did not say"))
    lines += [f"audio = {toml_string(audio)}   # downloaded copy (the feed keeps audio_url)"] \
        if audio else []
    lines += [f"image = {toml_string(image)}"] if image else []
    if not image and episode.image_url:
        lines.append(f"image_url = {toml_string(episode.image_url)}   # artwork on the old host")
    if episode.itunes_title:
        lines.append(f"itunes_title = {toml_string(episode.itunes_title)}   # what Apple shows")
    if episode.feed_xml:
        lines.append("# Podcasting 2.0 elements of the old feed, published as written")
        lines.append(f"feed_xml = {toml_multiline(episode.feed_xml)}")
    if not chapters and episode.chapters_url:
        lines.append(f"chapters_url = {toml_string(episode.chapters_url)}")
    for person in episode.persons:
        lines += ["", "[[guests]]"] + [f"{key} = {toml_string(value)}"
                                       for key, value in person.items()]
    for chapter in chapters:
        lines += ["", "[[chapters]]"] + [
            f"{key} = {_seconds(value) if key == 'start' else toml_string(str(value))}"
            for key, value in chapter.items()]
    if not transcripts:
        for link in episode.transcripts:
            lines += ["", "[[transcripts]]"] + [f"{key} = {toml_string(value)}"
                                                for key, value in link.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def toml_multiline(value: str) -> str:
    """A TOML multi-line literal string (readable XML), or a basic string when it cannot be."""
    if "'''" in value or any(ord(c) < 32 and c not in "\n\t" for c in value) or \
            value.endswith("'"):
        return toml_string(value)
    return "'''\n" + value + "'''"


def _seconds(value: object) -> str:
    number = round(float(value), 3)  # type: ignore[arg-type]
    return str(int(number)) if number == int(number) else str(number)


def show_toml(show: SourceShow, source: str, *, base_url: str, cover: str, email: str,
              guid: str | None, guid_note: str = "") -> bytes:
    """show.toml for an imported show, every value taken from the old feed."""
    lines = [
        f"# Show settings, imported by `warcast import` from {source}. Edit freely.",
        f"title = {toml_string(show.title)}",
        f"description = {toml_string(show.description)}",
        f"author = {toml_string(show.author)}",
        f"language = {toml_string(show.language)}",
        f"explicit = {str(show.explicit).lower()}",
        f'type = "{show.type}"',
        f"cover = {toml_string(cover)}",
        f"base_url = {toml_string(base_url)}",
        "# When the old host lets you, set its feed's itunes:new-feed-url to this show's feed",
        "# (base_url/feed.xml) and redirect it there (HTTP 301): apps then follow the move.",
        "# new_feed_url = \"https://example.org/next-home/feed.xml\"   # only if it moves again",
    ]
    lines += [f"copyright = {toml_string(show.copyright)}"] if show.copyright else []
    lines += [f'medium = "{show.medium}"', f"locked = {str(show.locked).lower()}"]
    if guid:
        lines.append(f"guid = {toml_string(guid)}   # podcast:guid {guid_note}: never change it")
    lines += ["complete = true"] if show.complete else []
    lines += ["block = true"] if show.block else []
    lines.append(f"keywords = [{', '.join(toml_string(k) for k in show.keywords)}]")
    if show.feed_xml:
        lines.append("# Podcasting 2.0 elements of the old feed, published as written")
        lines.append(f"feed_xml = {toml_multiline(show.feed_xml)}")
    lines += ["", "[owner]", f"name = {toml_string(show.owner_name)}",
              f"email = {toml_string(email)}"]
    for name, sub in show.categories:
        lines += ["", "[[categories]]", f"category = {toml_string(name)}"]
        lines += [f"subcategory = {toml_string(sub)}"] if sub else []
    for url, text in show.funding:
        lines += ["", "[[funding]]", f"url = {toml_string(url)}", f"text = {toml_string(text)}"]
    for host in show.hosts:
        lines += ["", "[[hosts]]"] + [f"{key} = {toml_string(value)}"
                                      for key, value in host.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def item_digest(episode: SourceEpisode) -> str:
    """What the old feed says about an item: a change means the item was edited there."""
    data = {key: value for key, value in vars(episode).items() if key != "where"}
    text = json.dumps(data, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digests(folder: Path, names: list[str]) -> dict[str, str | None]:
    """SHA-256 of each named file in ``folder`` (None for a missing one)."""
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            if (folder / name).is_file() else None for name in sorted(names)}


#: The files an import writes into an episode folder: a record naming anything else (edited
#: by hand, or planted) is no record of ours.
IMPORTED_FILES = {"episode.toml", "notes.html", "transcript.vtt", "cover.jpg", "cover.png"}
_AUDIO_NAME = re.compile(r"audio\.[a-z0-9]{1,5}")


def read_state(folder: Path) -> dict | None:
    """The record of the last import into ``folder``, or None (not an imported episode, or a
    record that is broken or names files an import never writes)."""
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict) or \
            not isinstance(data.get("guid"), str) or not set(data["files"]) <= IMPORTED_FILES \
            or not isinstance(data.get("next", {}), dict) \
            or not set(data.get("next", {})) <= IMPORTED_FILES:
        return None
    audio = data.get("audio")
    if audio is not None and not (isinstance(audio, str) and _AUDIO_NAME.fullmatch(audio)):
        return None
    if data.get("image") not in (None, "cover.jpg", "cover.png"):
        return None
    return data


def state_bytes(state: dict) -> bytes:
    """The ``.imported.json`` record: guid, item digest, written files' digests, and what
    the episode.toml was rendered from (chapters, transcript, image, audio)."""
    return (json.dumps(state, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
