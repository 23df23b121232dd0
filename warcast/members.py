"""Members: who may read the private feed, each with a secret token, in a SQLite store.

The store is ``members.sqlite`` in the show folder, beside the source files and never in the
published output. A token is 192 random bits from :mod:`secrets`, shown once (in the member's
feed URL) and stored only as its SHA-256 digest; a lookup compares digests in constant time.
A revoked, rotated-away or expired token stops working on the very next request: the server
asks the store on every request (several server processes can share the file: WAL mode).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from warcast.database import Database
from warcast.errors import MemberError, SourceError

STORE_FILE = "members.sqlite"
TOKEN_BYTES = 24                  # 192 bits; URL-safe base64: 32 characters
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
PLACEHOLDER = "member-token-placeholder"   # stands for the token in the private bundle
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    token_sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    expires TEXT,
    revoked TEXT);
"""


@dataclass(frozen=True)
class Member:
    """A member as listed (never with a token)."""

    name: str
    created: str
    expires: str | None
    revoked: str | None

    def status(self, today: dt.date) -> str:
        if self.revoked:
            return "revoked"
        if self.expires and dt.date.fromisoformat(self.expires) < today:
            return "expired"
        return "active"


@dataclass(frozen=True)
class Issued:
    """A member with a fresh token: the only moment the token exists outside the member."""

    name: str
    token: str
    expires: str | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class MemberStore(Database):
    """The members of one show."""

    def __init__(self, folder: Path, *, create: bool = False, readonly: bool = False) -> None:
        self.path = folder / STORE_FILE
        if not create and not self.path.is_file():
            raise MemberError("no members yet", path=self.path,
                              hint="Add one with 'warcast members add NAME'")
        try:
            if readonly:   # the server: many quick reads, never a write
                self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                          isolation_level=None, check_same_thread=False)
            else:
                self.db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
                self.db.execute("PRAGMA journal_mode = WAL")
            if create:
                self.db.executescript(_SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                                (str(SCHEMA_VERSION),))
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None or row[0] != str(SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"schema {row[0] if row else 'missing'}")
        except sqlite3.DatabaseError as exc:
            raise MemberError(f"not a usable members store ({exc})", path=self.path,
                              hint="Restore it from a backup") from None

    def add(self, name: str, expires: dt.date | None = None) -> Issued:
        name = _name(name, self.path)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        try:
            self.db.execute(
                "INSERT INTO members (name, token_sha256, created, expires) VALUES (?, ?, ?, ?)",
                (name, digest(token), dt.date.today().isoformat(),
                 expires.isoformat() if expires else None))
        except sqlite3.IntegrityError:
            raise MemberError(f"member '{name}' already exists", path=self.path,
                              hint="Use 'warcast members rotate' for a new URL") from None
        return Issued(name, token, expires.isoformat() if expires else None)

    def rotate(self, name: str) -> Issued:
        """A new token for a member; the old one stops working now. Revived if revoked."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        found = self.db.execute("UPDATE members SET token_sha256 = ?, revoked = NULL "
                                "WHERE name = ? RETURNING expires", (digest(token), name)
                                ).fetchone()
        if found is None:
            raise self._unknown(name)
        return Issued(name, token, found[0])

    def revoke(self, name: str) -> None:
        # A fresh random digest too: the old token can never match again, even if un-revoked.
        changed = self.db.execute(
            "UPDATE members SET revoked = ?, token_sha256 = ? WHERE name = ?",
            (dt.date.today().isoformat(), "revoked:" + secrets.token_hex(32), name)).rowcount
        if not changed:
            raise self._unknown(name)

    def members(self) -> list[Member]:
        return [Member(*row) for row in self.db.execute(
            "SELECT name, created, expires, revoked FROM members ORDER BY name")]

    def check(self, token: str, today: dt.date | None = None) -> str | None:
        """The member a token belongs to, if it is well formed, known, active and unexpired."""
        if not TOKEN.fullmatch(token or ""):
            return None
        wanted = digest(token)
        row = self.db.execute("SELECT name, token_sha256, expires, revoked FROM members "
                              "WHERE token_sha256 = ?", (wanted,)).fetchone()
        if row is None or not hmac.compare_digest(row[1], wanted) or row[3]:
            return None
        if row[2] and dt.date.fromisoformat(row[2]) < (today or dt.date.today()):
            return None
        return row[0]

    def import_csv(self, path: Path) -> list[Issued]:
        """Add every member of a membership system's CSV export (a name or email column, an
        optional expiry column); members already here are skipped. All or nothing."""
        rows = _read_csv(path)
        issued = []
        self.db.execute("BEGIN IMMEDIATE")
        try:
            known = {m.name.lower() for m in self.members()}
            for name, expires in rows:
                if name.lower() not in known:
                    issued.append(self.add(name, expires))
                    known.add(name.lower())
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return issued

    def _unknown(self, name: str) -> MemberError:
        return MemberError(f"no member '{name}'", path=self.path,
                           hint="See 'warcast members list'")


def _name(name: str, path: Path) -> str:
    clean = " ".join("".join(ch for ch in name if ch.isprintable()).split())
    if not clean or len(clean) > 200:
        raise MemberError("a member needs a name or email of 1 to 200 characters", path=path)
    return clean


_NAME_COLUMNS = ("email", "e-mail", "name", "member", "full name")
_EXPIRY_COLUMNS = ("expires", "expiry", "expires_at", "expiration", "end", "valid_until")


def _read_csv(path: Path) -> list[tuple[str, dt.date | None]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read the CSV ({exc})", path=path,
                          hint="Export the members as UTF-8 CSV") from None
    reader = csv.DictReader(text.splitlines())
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    name_field = next((fields[c] for c in _NAME_COLUMNS if c in fields), None)
    if name_field is None:
        raise SourceError("no email or name column", path=path,
                          hint="The first row must name the columns, e.g. email,expires")
    expiry_field = next((fields[c] for c in _EXPIRY_COLUMNS if c in fields), None)
    rows = []
    for line, row in enumerate(reader, 2):
        name = (row.get(name_field) or "").strip()
        if not name:
            continue
        expires = None
        value = (row.get(expiry_field) or "").strip() if expiry_field else ""
        if value:
            try:
                expires = dt.date.fromisoformat(value[:10])
            except ValueError:
                raise SourceError(f"line {line}: '{value}' is not a date", path=path,
                                  hint="Write dates as YYYY-MM-DD") from None
        rows.append((name, expires))
    return rows
