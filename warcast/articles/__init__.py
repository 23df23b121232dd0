"""Articles: the publication's written analysis, imported into the show's local store.

The show sits beside a site of articles (some for members only). :func:`import_sources` reads
feeds (RSS 2.0, Atom), JSON Lines exports and folders of saved HTML pages into
:class:`Article` objects, plain text only, and upserts them by URL into
``<show>/.warcast/articles.sqlite``; :func:`open_store` gives the :class:`ArticleStore` to
read them.

Every source is read and checked before anything is written, and each is then written in one
transaction: a source that cannot be read, or yields no article, stops the import with an
:class:`~warcast.errors.ArticleError` and leaves the store as it was.

``show.toml`` may set ``[articles] members_category`` (default "Members Only"): the feed or page
category that marks an article as members-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warcast.articles.article import Article, RelatedArticle, Skip, normalize_url
from warcast.articles.store import SCHEMA_VERSION, ArticleStore
from warcast.errors import ArticleError
from warcast.lock import locked
from warcast.state import ARTICLES_STORE, state_folder

DEFAULT_MEMBERS_CATEGORY = "Members Only"


@dataclass(frozen=True)
class SourceReport:
    """What importing one source did."""

    source: str
    kind: str
    """"rss", "atom", "jsonl" or "pages"."""
    added: int
    updated: int
    unchanged: int
    skipped: tuple[Skip, ...] = ()
    warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        return (f"{self.source}: {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged, {len(self.skipped)} skipped")


@dataclass(frozen=True)
class ImportReport:
    """What an import did, per source, and how many articles the store now holds."""

    sources: tuple[SourceReport, ...]
    store: Path
    total: int


def open_store(show_folder: Path) -> ArticleStore:
    """The show's article store, created (or migrated) on first use. Close it after use."""
    if not show_folder.is_dir():
        raise ArticleError("show folder not found", path=show_folder,
                           hint="Pass --show DIR, or create one with: warcast init DIR")
    state_folder(show_folder)
    return ArticleStore(show_folder / ARTICLES_STORE)


def members_category(show_folder: Path) -> str:
    """The category that marks members-only articles: ``[articles] members_category``."""
    from warcast.files import read_toml
    from warcast.source import SourceTable

    path = show_folder / "show.toml"
    table = SourceTable(read_toml(path, what="show file"), path).table("articles")
    if table is None:
        return DEFAULT_MEMBERS_CATEGORY
    table.reject_unknown({"members_category"})
    return table.text("members_category", DEFAULT_MEMBERS_CATEGORY)


@locked("articles import")
def import_sources(show_folder: Path, sources: list[str]) -> ImportReport:
    """Import every source (file, folder or URL) into the show's store; see the module doc."""
    from warcast.articles.sources import read_source

    category = members_category(show_folder)
    batches = [read_source(source, members_category=category) for source in sources]
    with open_store(show_folder) as store:
        reports = []
        for batch in batches:
            counts = store.upsert(batch.articles)
            reports.append(SourceReport(batch.source, batch.kind, counts.added, counts.updated,
                                        counts.unchanged, batch.skipped, batch.warnings))
        return ImportReport(tuple(reports), store.path, store.count())


__all__ = [
    "DEFAULT_MEMBERS_CATEGORY", "SCHEMA_VERSION", "Article", "ArticleStore", "ImportReport",
    "RelatedArticle", "Skip", "SourceReport", "import_sources", "members_category",
    "normalize_url", "open_store",
]
