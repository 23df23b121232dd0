"""The article store: the show's articles in SQLite (``<show>/.warcast/articles.sqlite``).

The store is derived data: it can be rebuilt by importing the sources again. Articles are keyed
by normalized URL; :meth:`ArticleStore.upsert` writes one source's articles in one transaction,
so an import either lands whole or not at all. Each row keeps a ``content_hash`` (to tell
updated from unchanged) and ``imported_at``; both stay in the database and never appear on an
:class:`~warcast.articles.article.Article`, so nothing published depends on when it was imported.

The schema is versioned with ``PRAGMA user_version``: :data:`MIGRATIONS` lists the steps from
an empty file, and opening a store applies the ones it has not had yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from warcast.articles.article import Article, normalize_url
from warcast.database import Database
from warcast.errors import ArticleError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: articles, with authors and tags in order
        """CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL CHECK (title <> ''),
            published TEXT,
            dek TEXT NOT NULL,
            body TEXT NOT NULL,
            access TEXT NOT NULL CHECK (access IN ('public', 'members')),
            source TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            imported_at TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE article_authors (
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (article_id, position)
        ) STRICT""",
        """CREATE TABLE article_tags (
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (article_id, position)
        ) STRICT""",
        "CREATE INDEX article_tags_by_name ON article_tags (name)",
    ),
)
"""Schema steps: entry N (from 0) takes the database from user_version N to N + 1. Append only."""

SCHEMA_VERSION = len(MIGRATIONS)
_COLUMNS = "id, url, title, published, dek, body, access, source"


@dataclass(frozen=True)
class Counts:
    """What an upsert did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


class ArticleStore(Database):
    """The articles of one show, read and written through one SQLite connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._errors():
            self.db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        try:
            with self._errors():
                self.db.execute("PRAGMA foreign_keys = ON")
                self.db.execute("PRAGMA journal_mode = WAL")
                self._migrate()
        except BaseException:
            self.db.close()
            raise

    def count(self) -> int:
        """How many articles the store holds."""
        with self._errors():
            return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get(self, url: str) -> Article | None:
        """The article at ``url`` (normalized as on import), or None."""
        with self._errors():
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM articles WHERE url = ?",
                                    (normalize_url(url) or url,)).fetchall()
            return self._articles(rows)[0] if rows else None

    def all(self) -> list[Article]:
        """Every article, ordered by URL."""
        with self._errors():
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM articles ORDER BY url").fetchall()
            return self._articles(rows)

    def upsert(self, articles: Iterable[Article]) -> Counts:
        """Add new articles and update changed ones, all in one transaction."""
        added = updated = unchanged = 0
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._errors(), self._transaction():
            for article in articles:
                digest = content_hash(article)
                row = self.db.execute("SELECT id, content_hash FROM articles WHERE url = ?",
                                       (article.url,)).fetchone()
                if row is None:
                    added += 1
                elif row[1] == digest:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                self._write(article, digest, now, row[0] if row else None)
        return Counts(added, updated, unchanged)

    def _write(self, article: Article, digest: str, now: str, article_id: int | None) -> None:
        values = (article.url, article.title, _iso(article.published), article.dek,
                  article.body, article.access, article.source, digest, now)
        if article_id is None:
            article_id = self.db.execute(
                "INSERT INTO articles (url, title, published, dek, body, access, source, "
                "content_hash, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values,
            ).lastrowid
        else:
            self.db.execute(
                "UPDATE articles SET url = ?, title = ?, published = ?, dek = ?, body = ?, "
                "access = ?, source = ?, content_hash = ?, imported_at = ? WHERE id = ?",
                (*values, article_id),
            )
        for table, names in (("article_authors", article.authors), ("article_tags", article.tags)):
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            self.db.executemany(
                f"INSERT INTO {table} (article_id, position, name) VALUES (?, ?, ?)",
                [(article_id, position, name) for position, name in enumerate(names)],
            )

    def _articles(self, rows: list[tuple]) -> list[Article]:  # type: ignore[type-arg]
        """Rows of the articles table, with their authors and tags, as articles."""
        names: dict[str, dict[int, list[str]]] = {"article_authors": {}, "article_tags": {}}
        for table, by_id in names.items():
            for article_id, name in self.db.execute(
                    f"SELECT article_id, name FROM {table} ORDER BY article_id, position"):
                by_id.setdefault(article_id, []).append(name)
        return [
            Article(url=url, title=title, authors=tuple(names["article_authors"].get(id_, ())),
                    published=dt.datetime.fromisoformat(published) if published else None,
                    tags=tuple(names["article_tags"].get(id_, ())), dek=dek, body=body,
                    access=access, source=source)
            for id_, url, title, published, dek, body, access, source in rows
        ]

    def _migrate(self) -> None:
        """Bring the schema up to :data:`SCHEMA_VERSION`, one transaction per step."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ArticleError(
                f"was written by a newer warcast (schema {version}, this one knows "
                f"{SCHEMA_VERSION})", path=self.path, hint="Upgrade warcast",
            )
        for number in range(version, SCHEMA_VERSION):
            with self._transaction():
                for statement in MIGRATIONS[number]:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite's errors as one ArticleError naming the database file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise ArticleError(f"article store: {exc}", path=self.path,
                               hint=_hint(str(exc))) from exc


def content_hash(article: Article) -> str:
    """A hash of everything stored about an article except where it came from."""
    fields = [article.url, article.title, list(article.authors), _iso(article.published),
              list(article.tags), article.dek, article.body, article.access]
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _hint(message: str) -> str:
    if "locked" in message or "busy" in message:
        return "Another warcast command is using it; try again when it has finished"
    if "not a database" in message or "malformed" in message:
        return "Move it aside and import the articles again; the store is rebuilt from them"
    return "Check that the show folder is writable"
