"""The show: ``show.toml`` loaded into a validated, immutable model.

``show.toml`` is source, written by people. Everything the feed needs about the show as a whole
comes from here; nothing here is derived from audio or written back, except the
``podcast:guid``, which the Podcasting 2.0 spec says to derive once from the feed URL and keep.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from warcast.audio.artwork import artwork_problem, image_info
from warcast.audio.masters import DEFAULT_AUDIO, AudioSettings, audio_settings
from warcast.categories import check_category
from warcast.errors import SourceError
from warcast.files import read_toml, write_atomic
from warcast.source import SourceTable, check_url
from warcast.transcript.whisper import WhisperOptions, options_from_table

SHOW_FILE = "show.toml"
PODCAST_NAMESPACE_UUID = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
SHOW_TYPES = ("episodic", "serial")
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course")
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_KEYS = {
    "title", "description", "author", "language", "explicit", "type", "cover", "base_url",
    "media_base_url", "feed_url", "copyright", "medium", "guid", "locked", "owner", "categories",
    "funding", "hosts", "block", "complete", "new_feed_url", "keywords", "transcribe", "articles",
    "feed_xml", "notify", "audio",
}


@dataclass(frozen=True)
class Person:
    """A host or guest, as ``podcast:person`` describes one."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Category:
    """An Apple Podcasts category with an optional subcategory."""

    name: str
    subcategory: str | None = None


@dataclass(frozen=True)
class Funding:
    """A ``podcast:funding`` link (membership, donations)."""

    url: str
    text: str


@dataclass(frozen=True)
class Show:
    """Everything about the podcast as a whole, validated."""

    folder: Path
    title: str
    description: str
    author: str
    language: str
    explicit: bool
    type: str
    cover: Path
    base_url: str
    feed_url: str
    media_base_url: str | None
    copyright: str | None
    medium: str
    guid: str | None
    locked: bool
    owner_name: str
    owner_email: str
    categories: tuple[Category, ...]
    funding: tuple[Funding, ...]
    hosts: tuple[Person, ...]
    keywords: tuple[str, ...]
    block: bool
    complete: bool
    new_feed_url: str | None
    transcribe: WhisperOptions
    cluster: str | None = None
    feed_xml: str | None = None   # podcast: elements published as written (value, trailer…)
    hubs: tuple[str, ...] = ()          # [notify] websub_hubs: <atom:link rel="hub">, pinged
    podping: tuple[str, str] | None = None   # [notify] podping_url and podping_token
    audio: AudioSettings = DEFAULT_AUDIO   # [audio]: how audio is published from masters

    @property
    def podcast_guid(self) -> str:
        """The kept ``podcast:guid``, or the one derived from the feed URL if none is kept yet."""
        return self.guid or derive_podcast_guid(self.feed_url)

    def url(self, *parts: str) -> str:
        """An absolute URL under the site's base URL."""
        return "/".join([self.base_url, *parts])


def derive_podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 ``podcast:guid``: UUIDv5 of the feed URL without scheme or end slashes."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_NAMESPACE_UUID, bare))


def load_show(folder: Path) -> Show:
    """Read and validate ``show.toml`` in ``folder``."""
    path = folder / SHOW_FILE
    if not folder.is_dir():
        raise SourceError("show folder not found", path=folder,
                          hint="Pass --show DIR, or create one with: warcast init DIR")
    table = SourceTable(read_toml(path, what="show file"), path)
    table.reject_unknown(_KEYS)
    base_url = table.url("base_url").rstrip("/")
    owner = table.table("owner", required=True)
    assert owner is not None
    owner.reject_unknown({"name", "email"})
    return Show(
        folder=folder,
        title=table.text("title"),
        description=table.text("description"),
        author=table.text("author"),
        language=_language(table),
        explicit=table.boolean("explicit"),
        type=table.choice("type", SHOW_TYPES, "episodic"),
        cover=_cover(table, folder),
        base_url=base_url,
        feed_url=table.url("feed_url", f"{base_url}/feed.xml"),
        media_base_url=(table.optional_url("media_base_url") or "").rstrip("/") or None,
        copyright=table.optional_text("copyright"),
        medium=table.choice("medium", MEDIUMS, "podcast"),
        guid=_guid(table),
        locked=table.boolean("locked", True),
        owner_name=owner.text("name"),
        owner_email=_email(owner, "email"),
        categories=_categories(table),
        funding=tuple(_funding(item) for item in table.tables("funding")),
        hosts=tuple(person(item, "host") for item in table.tables("hosts")),
        keywords=table.strings("keywords"),
        block=table.boolean("block", False),
        complete=table.boolean("complete", False),
        new_feed_url=table.optional_url("new_feed_url"),
        transcribe=options_from_table(table.table("transcribe")),
        cluster=_cluster(table.table("transcribe")),
        feed_xml=table.feed_xml(),
        **_notify(table.table("notify")),
        audio=audio_settings(table.table("audio")),
    )


def _notify(table: SourceTable | None) -> dict:
    """WebSub hubs and Podping, told after a deploy that changed the feed."""
    if table is None:
        return {}
    table.reject_unknown({"websub_hubs", "podping_url", "podping_token"})
    hubs = table.strings("websub_hubs")
    for index, hub in enumerate(hubs):
        check_url(hub, lambda message, i=index: table.error(f"websub_hubs[{i}]", message))
    url = table.optional_url("podping_url")
    # The token may stay out of show.toml (which may be shared): the environment gives it.
    token = os.environ.get("WARCAST_PODPING_TOKEN") or table.optional_text("podping_token")
    if (url is None) != (token is None):
        raise table.error("podping_url" if url is None else "podping_token",
                          "is needed with the other one",
                          "Podping needs podping_url and a token (podping_token, or "
                          "WARCAST_PODPING_TOKEN in the environment)")
    return {"hubs": hubs, "podping": (url, token) if url and token else None}


def _cluster(table: SourceTable | None) -> str | None:
    """``[transcribe] cluster``: a Dask scheduler address for ``transcribe --all``."""
    if table is None:
        return None
    address = table.text("cluster", None)
    if address is not None and not address.startswith(("tcp://", "tls://", "inproc://")):
        raise table.error("cluster", "is not a Dask scheduler address",
                          "Write it as tcp://host:8786")
    return address


def person(table: SourceTable, default_role: str) -> Person:
    """A ``[[hosts]]`` or ``[[guests]]`` entry."""
    table.reject_unknown({"name", "role", "group", "href", "img"})
    return Person(
        name=table.text("name"),
        role=table.text("role", default_role).lower(),
        group=table.text("group", "cast").lower(),
        href=table.optional_url("href"),
        img=table.optional_url("img"),
    )


def inside(folder: Path, name: str, table: SourceTable, key: str) -> Path:
    """Resolve a file name from a source file, refusing names that leave ``folder``."""
    candidate = Path(name)
    target = (folder / candidate).resolve()
    if candidate.is_absolute() or not target.is_relative_to(folder.resolve()):
        raise table.error(key, f"'{name}' points outside {folder}",
                          "Put the file in that folder and give its name only")
    return target


def _language(table: SourceTable) -> str:
    value = table.text("language")
    if not _LANGUAGE.match(value):
        raise table.error("language", f"'{value}' is not a language code", 'Use e.g. "en-us"')
    return value.lower()


def _email(table: SourceTable, key: str) -> str:
    value = table.text(key)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise table.error(key, f"'{value}' is not an e-mail address")
    return value


def _guid(table: SourceTable) -> str | None:
    value = table.optional_text("guid")
    if value is None:
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != 5:
        raise table.error("guid", f"'{value}' is not a UUIDv5",
                          "Delete the line; warcast derives it from the feed URL")
    return str(parsed)


def _cover(table: SourceTable, folder: Path) -> Path:
    path = inside(folder, table.text("cover"), table, "cover")
    try:
        head = path.open("rb").read(256 * 1024)
    except OSError:
        raise table.error("cover", f"cannot read {path}",
                          "Give the name of a JPEG or PNG file in the show folder") from None
    problem = artwork_problem(image_info(head))
    if problem:
        raise SourceError(f"cover image {problem}", path=path,
                          hint="Export a square RGB JPEG or PNG of 3000x3000 pixels")
    return path


def _categories(table: SourceTable) -> tuple[Category, ...]:
    items = table.tables("categories")
    if not items:
        raise table.error("categories", "is required but missing",
                          'Add [[categories]] with category = "News" (Apple\'s list)')
    result = []
    for item in items:
        item.reject_unknown({"category", "subcategory"})
        category = Category(item.text("category"), item.optional_text("subcategory"))
        problem = check_category(category.name, category.subcategory)
        if problem:
            raise item.error("category", problem, "See Apple Podcasts' category list")
        result.append(category)
    return tuple(result)


def _funding(table: SourceTable) -> Funding:
    table.reject_unknown({"url", "text"})
    return Funding(url=table.url("url"), text=table.text("text", "Support the show"))


def pin_podcast_guid(show: Show) -> bool:
    """Write the derived ``podcast:guid`` into show.toml once, so a later URL change keeps it.

    Returns True when the file was changed. Comments and layout are kept (tomlkit).
    """
    if show.guid is not None:
        return False
    import tomlkit

    path = show.folder / SHOW_FILE
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    item = tomlkit.item(show.podcast_guid)
    item.comment("podcast:guid, derived once from the feed URL; keep it")
    document.add("guid", item)  # tomlkit places it among the top-level keys
    write_atomic(path, tomlkit.dumps(document).encode("utf-8"))
    return True


def create_show(folder: Path, *, title: str, base_url: str, author: str | None = None,
                email: str | None = None) -> Path:
    """Start a new show folder: a commented show.toml and a placeholder cover that meets
    Apple's artwork rules, so the first publish validates. Refuses to overwrite."""
    from warcast.audio.artwork import placeholder_png
    from warcast.files import create_exclusive
    from warcast.source import check_url

    check_url(base_url, lambda message: SourceError(message, key="--base-url"))
    base_url = base_url.rstrip("/")
    author = author or title
    email = email or f"podcast@{base_url.split('//', 1)[1].split('/')[0]}"
    if (folder / SHOW_FILE).exists():
        raise SourceError("a show already exists here", path=folder / SHOW_FILE,
                          hint="Edit it, or choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    create_exclusive(folder / "cover.png", placeholder_png(seed=title))
    guid = derive_podcast_guid(f"{base_url}/feed.xml")
    create_exclusive(folder / SHOW_FILE, _show_toml(title, author, email, base_url, guid))
    return folder / SHOW_FILE


def _show_toml(title: str, author: str, email: str, base_url: str, guid: str) -> bytes:
    """A new show's commented show.toml."""
    from warcast.files import noted, toml_bytes

    return toml_bytes([
        (None, "Show settings for warcast. Edit freely; `warcast publish` reads this file."),
        ("title", title),
        ("description", "Describe the show in a few sentences: what it covers and for whom."),
        ("author", noted(author, "shown as the artist in podcast apps")),
        ("language", noted("en-us", "BCP 47 language code")),
        ("explicit", False),
        ("type", noted("episodic", "episodic (newest first) | serial (in order)")),
        ("cover", noted("cover.png",
                        "square JPEG/PNG, 1400-3000 px, RGB: replace the placeholder")),
        ("base_url", noted(base_url, "where the published folder is served")),
        (None, 'media_base_url = "https://cdn.example.org/show"   # audio hosted elsewhere '
               "(not copied)"),
        (None, 'copyright = "© 2026 Publisher"'),
        ("medium", "podcast"),
        ("locked", noted(True, "podcast:locked: other hosts may not import the feed")),
        ("guid", noted(guid, "podcast:guid, derived once from the feed URL; never change it")),
        ("owner", noted({"name": author, "email": email},
                        "Apple contacts this address about the show")),
        ("", None),
        (None, "Apple Podcasts categories; subcategory optional"),
        ("categories", [{"category": "News", "subcategory": "Politics"}]),
        ("", None),
        (None, "[[funding]]"), (None, 'url = "https://example.org/membership"'),
        (None, 'text = "Become a member"'), ("", None),
        (None, "[[hosts]]"), (None, 'name = "Jane Doe"'), (None, 'role = "host"'),
        (None, 'href = "https://example.org/people/jane-doe"'),
    ])
