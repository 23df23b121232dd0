"""Tallies: download counts kept from one ``warcast stats --keep`` run to the next, so that
logs can be counted as they arrive (a day's log each day) and a download that spans two
runs is still joined into one.

``<show>/downloads.sqlite`` holds only:

- ``counted``: downloads per day, episode, app and platform;
- ``open``: downloads still inside their 24 hours (the next logs may add to them), each under
  a listener id, a hash of address and user agent salted with the salt of the UTC day the
  download began; no address or user agent is ever written;
- ``salts``: one random salt per UTC day, deleted once no open download can need it (from
  the second day after), after which no id can be tied to an address again, not even by
  trying every address; SQLite's ``secure_delete`` overwrites what is deleted;
- ``logs``: a digest of each log file counted, so a file given twice is counted once.

Logs should be given in time order: a request older than what was counted already cannot
join a download that was closed, and starts its own.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from pathlib import Path

from warcast.errors import StatsError

STORE_FILE = "downloads.sqlite"
WINDOW_SECONDS = 24 * 3600
_SCHEMA = """
CREATE TABLE IF NOT EXISTS counted (day INTEGER, episode TEXT, app TEXT, platform TEXT,
                                    downloads INTEGER,
                                    PRIMARY KEY (day, episode, app, platform));
CREATE TABLE IF NOT EXISTS open (listener INTEGER, episode TEXT, start INTEGER, app TEXT,
                                 platform TEXT, delivered INTEGER, minute INTEGER,
                                 counted INTEGER);
CREATE TABLE IF NOT EXISTS salts (day INTEGER PRIMARY KEY, salt TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (digest TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER);
"""


def log_digest(path: Path) -> str:
    """A digest naming a log file's content (its size and first and last 64 KiB: logs only
    grow, and a rotated file is a different file)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(0)
        digest.update(str(size).encode() + b"\0" + handle.read(1 << 16))
        handle.seek(max(0, size - (1 << 16)))
        digest.update(handle.read())
    return digest.hexdigest()


class Tally:
    """The kept counts of one show."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STORE_FILE
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA secure_delete = ON")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StatsError(f"cannot open the kept counts: {exc}", path=self.path,
                             hint="Move the file away to start counting again") from None

    def close(self) -> None:
        self.db.close()

    def known(self, digests: list[str]) -> set[str]:
        found = set()
        for digest in digests:
            if self.db.execute("SELECT 1 FROM logs WHERE digest = ?", (digest,)).fetchone():
                found.add(digest)
        return found

    def load(self, duck) -> int:  # type: ignore[no-untyped-def]
        """Copy the salts and open downloads into DuckDB (tables kept_salts, kept_open);
        returns the newest request time counted so far."""
        duck.execute("CREATE TEMP TABLE kept_salts (day BIGINT, salt VARCHAR)")
        duck.execute("CREATE TEMP TABLE kept_open (listener BIGINT, episode VARCHAR, "
                     "start BIGINT, app VARCHAR, platform VARCHAR, delivered BIGINT, "
                     "minute BIGINT, counted BOOLEAN)")
        salts = self.db.execute("SELECT day, salt FROM salts").fetchall()
        if salts:
            duck.executemany("INSERT INTO kept_salts VALUES (?, ?)", salts)
        rows = self.db.execute("SELECT listener, episode, start, app, platform, delivered, "
                               "minute, counted FROM open").fetchall()
        if rows:
            duck.executemany("INSERT INTO kept_open VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [(*row[:7], bool(row[7])) for row in rows])
        newest = self.db.execute("SELECT value FROM meta WHERE key = 'newest'").fetchone()
        return int(newest[0]) if newest else 0

    def save(self, duck, increments: list[tuple], digests: list[str],  # type: ignore[no-untyped-def]
             newest: int) -> None:
        """Write back, in one transaction: new counts, open downloads, the salts still
        needed (older ones deleted), the logs counted and the newest request time."""
        salts = duck.execute("SELECT day, salt FROM kept_salts").fetchall()
        rows = duck.execute("SELECT listener, episode, start, app, platform, delivered, "
                            "minute, counted::INTEGER FROM kept_open").fetchall()
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT INTO counted VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE "
                "SET downloads = downloads + excluded.downloads", increments)
            self.db.execute("DELETE FROM open")
            self.db.executemany("INSERT INTO open VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("DELETE FROM salts")
            self.db.executemany("INSERT INTO salts VALUES (?, ?)", salts)
            self.db.executemany("INSERT OR IGNORE INTO logs VALUES (?)",
                                [(d,) for d in digests])
            self.db.execute("INSERT INTO meta VALUES ('newest', ?) ON CONFLICT DO UPDATE "
                            "SET value = excluded.value", (newest,))
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def rows(self) -> list[tuple[int, str, str, str, int]]:
        return self.db.execute("SELECT day, episode, app, platform, downloads FROM counted "
                               "WHERE downloads > 0 ORDER BY day, episode, app, platform"
                               ).fetchall()


def carry(duck) -> None:  # type: ignore[no-untyped-def]
    """Join this run's requests (table ``candidates``, bots left out, with ``ip`` and
    ``agent``) to the kept open downloads first; the rest are left in ``candidates`` for
    the 24-hour join. Salts are made for every day a request falls on and the day before."""
    days = {row[0] for row in duck.execute(
        f"SELECT DISTINCT t // {WINDOW_SECONDS} FROM candidates WHERE NOT bot").fetchall()}
    have = {row[0] for row in duck.execute("SELECT day FROM kept_salts").fetchall()}
    fresh = [(day, secrets.token_hex(16)) for day in sorted(days | {d - 1 for d in days})
             if day not in have]
    if fresh:
        duck.executemany("INSERT INTO kept_salts VALUES (?, ?)", fresh)
    duck.execute(f"""
        CREATE TEMP TABLE salted AS
        SELECT row_number() OVER () AS id, c.*, t // {WINDOW_SECONDS} AS d,
               (hash(s0.salt, ip, agent) >> 1)::BIGINT AS h0,
               (hash(s1.salt, ip, agent) >> 1)::BIGINT AS h1
        FROM candidates c JOIN kept_salts s0 ON s0.day = c.t // {WINDOW_SECONDS}
             JOIN kept_salts s1 ON s1.day = c.t // {WINDOW_SECONDS} - 1
        WHERE NOT c.bot""")
    duck.execute(f"""
        CREATE TEMP TABLE hits AS
        SELECT s.id, p.listener, p.episode, p.start, s.bytes
        FROM salted s JOIN kept_open p ON p.episode = s.episode AND s.t >= p.start
             AND s.t < p.start + {WINDOW_SECONDS}
             AND ((p.start // {WINDOW_SECONDS} = s.d AND p.listener = s.h0)
                  OR (p.start // {WINDOW_SECONDS} = s.d - 1 AND p.listener = s.h1))""")
    duck.execute("""
        UPDATE kept_open SET delivered = kept_open.delivered + h.sent
        FROM (SELECT listener, episode, start, sum(bytes) AS sent FROM hits GROUP BY ALL) h
        WHERE kept_open.listener = h.listener AND kept_open.episode = h.episode
              AND kept_open.start = h.start""")
    duck.execute("""
        CREATE OR REPLACE TEMP TABLE candidates AS
        SELECT * EXCLUDE (id, d, h0, h1) FROM salted
        WHERE id NOT IN (SELECT id FROM hits)""")
    duck.execute("DROP TABLE salted")
    duck.execute("DROP TABLE hits")


def close_run(duck, newest: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    """After the 24-hour join (table ``sessions``): keep the new downloads as open ones,
    count those that reached a minute (each once), drop the closed ones and the salts no
    open download needs. Returns the counts to add."""
    duck.execute(f"""
        INSERT INTO kept_open
        SELECT (hash(k.salt, s.ip, s.agent) >> 1)::BIGINT, s.episode, s.start, s.app,
               s.platform, s.delivered, s.minute, false
        FROM sessions s JOIN kept_salts k ON k.day = s.start // {WINDOW_SECONDS}""")
    increments = duck.execute(f"""
        SELECT start // {WINDOW_SECONDS}, episode, app, platform, count(*)
        FROM kept_open WHERE NOT counted AND delivered >= minute
        GROUP BY ALL ORDER BY ALL""").fetchall()
    duck.execute("UPDATE kept_open SET counted = true WHERE NOT counted AND "
                 "delivered >= minute")
    duck.execute(f"DELETE FROM kept_open WHERE start + {WINDOW_SECONDS} <= ?", [newest])
    duck.execute(f"DELETE FROM kept_salts WHERE day < ? // {WINDOW_SECONDS} - 1", [newest])
    return increments
