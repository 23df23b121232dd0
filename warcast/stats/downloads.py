"""Downloads: episode download counts from access logs, by the IAB Podcast Measurement
Technical Guidelines v2 rules.

The rules, in the order they apply:

1. Only GET requests for an episode's audio that succeeded (200 or 206) count; HEAD and
   everything else are left out.
2. Probes, requests that delivered 2 bytes or less (``Range: bytes=0-1``), are left out.
3. Requests from bots are left out: the vendored OPAWG and crawler-user-agents lists decide
   (:mod:`warcast.stats.useragents`).
4. The requests of one listener (client address + user agent) for one episode are joined into
   one download: it begins with the first request and lasts 24 hours; the first request after
   that begins another.
5. A download counts once at least one minute of audio was delivered in it: the sum of the
   bytes sent reaches the file's tag header plus one minute at the file's average bitrate (or
   the whole file, for an episode shorter than a minute).

A download is dated by the UTC day of its first request, and attributed to the app and platform
its user agent names. Nothing per listener is kept: while counting, a listener is a hash of
address and user agent salted with a secret drawn for the run and never written; only counts
leave this module.

Logs are read by DuckDB (imported when counting), in parallel and without holding the lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcast.episodes import Episode, load_episodes
from warcast.errors import StatsError
from warcast.publish.layout import Layout
from warcast.show import load_show
from warcast.stats.accesslogs import FORMATS, GROUPS, LogFormat, detect
from warcast.stats.useragents import classify

if TYPE_CHECKING:
    from warcast.stats.tallies import Tally

WINDOW_SECONDS = 24 * 3600     # one listener's requests for one episode within this are joined
MINUTE_SECONDS = 60            # a download counts once this much audio was delivered
PROBE_BYTES = 2                # requests delivering this or less are probes (bytes=0-1)
DIMENSIONS = ("day", "episode", "app", "platform")
EXCLUDED = ("unreadable", "not GET", "not successful", "not an episode", "probe", "bot",
            "joined", "under a minute")


@dataclass(frozen=True)
class Target:
    """An episode's audio as logs name it: the file name of its URL, and the bytes that hold
    one minute of its audio (with the tag header in front)."""

    name: str
    episode: str
    minute_bytes: int


@dataclass
class Counts:
    """Downloads by day, episode, app and platform, and what was left out and why."""

    rows: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    lines: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)    # counted by an earlier --keep run

    @property
    def total(self) -> int:
        return sum(row[4] for row in self.rows)

    def by(self, dimension: str) -> list[tuple[str, int]]:
        """Totals for one dimension, in its natural order (days by date, others by count)."""
        column = DIMENSIONS.index(dimension)
        totals: Counter[str] = Counter()
        for row in self.rows:
            totals[row[column]] += row[4]
        if dimension == "day":
            return sorted(totals.items())
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))

    def as_json(self) -> dict:
        return {"downloads": self.total, "lines": self.lines, "files": self.files,
                "skipped": self.skipped,
                "excluded": {name: self.excluded.get(name, 0) for name in EXCLUDED},
                **{f"by_{name}": dict(self.by(name)) for name in DIMENSIONS},
                "rows": [dict(zip([*DIMENSIONS, "downloads"], row, strict=True))
                         for row in self.rows]}

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*DIMENSIONS, "downloads"])
        writer.writerows(self.rows)
        return out.getvalue()


def targets(episodes: list[Episode], layout: Layout) -> list[Target]:
    """What each episode's audio is called in request paths, and its one-minute threshold."""
    found = []
    for episode in episodes:
        name = PurePosixPath(urlsplit(layout.audio_url(episode)).path).name
        found.append(Target(name, episode.slug, minute_bytes(episode)))
    return found


def minute_bytes(episode: Episode) -> int:
    """Bytes holding the tag header and the first minute of audio (the whole file when the
    episode is shorter than a minute, or when its duration is not known)."""
    audio = episode.audio
    header = _tag_header(audio.path) if audio.path is not None else 0
    if audio.duration <= MINUTE_SECONDS or audio.size <= header:
        return max(audio.size, PROBE_BYTES + 1)
    per_second = (audio.size - header) / audio.duration
    return header + int(per_second * MINUTE_SECONDS)


def _tag_header(path: Path) -> int:
    """The size of an ID3v2 tag at the start of a file (cover art can make it large)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(10)
    except OSError:
        return 0
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def count(show_folder: Path, logs: list[Path], *, log_format: str | None = None,
          threads: int | None = None, keep: bool = False) -> Counts:
    """Count the show's episode downloads in ``logs`` (each file's format recognised, unless
    ``log_format`` names it). With ``keep``, add them to the counts kept in the show folder
    (:mod:`warcast.stats.tallies`) and report those."""
    show = load_show(show_folder)
    episodes = load_episodes(show)
    tally = None
    if keep:
        from warcast.stats.tallies import Tally

        tally = Tally(show_folder)
    try:
        return count_logs(logs, targets(episodes, Layout(show)), log_format=log_format,
                          threads=threads, tally=tally)
    finally:
        if tally is not None:
            tally.close()


def count_logs(logs: list[Path], wanted: list[Target], *, log_format: str | None = None,
               threads: int | None = None, tally: Tally | None = None) -> Counts:
    """Count downloads of ``wanted`` in ``logs`` by the rules in this module's docstring
    (added to ``tally``'s kept counts when given: files counted before are skipped)."""
    if not logs:
        raise StatsError("no log files given", hint="Name one or more access logs")
    digests: list[str] = []
    skipped: list[str] = []
    if tally is not None:
        from warcast.stats.tallies import log_digest

        named = {log: _digest(log, log_digest) for log in logs}
        known = tally.known(list(named.values()))
        skipped = [str(log) for log, digest in named.items() if digest in known]
        logs = [log for log, digest in named.items() if digest not in known]
        digests = [named[log] for log in logs]
        if not logs:
            return _kept(Counts(skipped=skipped), tally)
    by_format: dict[str, list[Path]] = {}
    for log in logs:
        fmt = FORMATS[log_format] if log_format else detect(log)
        by_format.setdefault(fmt.name, []).append(log)
    import duckdb

    spill = tempfile.mkdtemp(prefix="warcast-stats-")
    try:
        db = duckdb.connect(config={"threads": threads or os.cpu_count() or 1,
                                    "temp_directory": spill})
        try:
            counts = _count(db, by_format, wanted, logs, tally, digests)
            counts.skipped = skipped
            return counts
        except duckdb.Error as exc:
            raise StatsError(f"cannot read the logs: {str(exc).splitlines()[0]}",
                             path=logs[0] if len(logs) == 1 else None,
                             hint="Check that the files are complete access logs") from None
        finally:
            db.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _digest(log: Path, digest) -> str:  # type: ignore[no-untyped-def]
    try:
        return digest(log)
    except FileNotFoundError:
        raise StatsError("log file not found", path=log) from None
    except OSError as exc:
        raise StatsError(f"cannot read the log: {exc.strerror}", path=log) from None


def _kept(counts: Counts, tally: Tally) -> Counts:
    epoch = dt.date(1970, 1, 1)
    counts.rows = [((epoch + dt.timedelta(days=day)).isoformat(), episode, app, platform, n)
                   for day, episode, app, platform, n in tally.rows()]
    return counts


def _count(db, by_format: dict[str, list[Path]], wanted: list[Target],  # type: ignore[no-untyped-def]
           logs: list[Path], tally: Tally | None, digests: list[str]) -> Counts:
    counts = Counts(files=[str(log) for log in logs])
    db.execute("CREATE TEMP TABLE targets (name VARCHAR, episode VARCHAR, minute BIGINT)")
    db.executemany("INSERT INTO targets VALUES (?, ?, ?)",
                   [(t.name, t.episode, t.minute_bytes) for t in wanted])
    salt = secrets.token_hex(16)
    reads = [_read(FORMATS[name], files) for name, files in sorted(by_format.items())]
    db.execute(f"""
        CREATE TEMP TABLE requests AS
        SELECT CASE WHEN t IS NULL THEN 0 WHEN method <> 'GET' THEN 1
                    WHEN status NOT IN ('200', '206') THEN 2 ELSE 9 END AS reason,
               CASE WHEN reason = 9 THEN hash(?, ip, agent) END AS listener,
               CASE WHEN reason = 9 THEN agent END AS agent,
               CASE WHEN reason = 9 THEN {"ip" if tally else "NULL::VARCHAR"} END AS ip,
               CASE WHEN reason = 9 THEN parse_filename(split_part(path, '?', 1)) END AS name,
               t, bytes
        FROM ({" UNION ALL ".join(reads)})""", [salt])
    reasons = dict(db.execute("SELECT reason, count(*) FROM requests GROUP BY reason")
                   .fetchall())
    newest = db.execute("SELECT coalesce(max(t), 0) FROM requests").fetchone()[0]
    counts.lines = sum(reasons.values())
    for code, label in enumerate(EXCLUDED[:3]):
        counts.excluded[label] = reasons.get(code, 0)
    agents = [row[0] for row in db.execute(
        "SELECT DISTINCT agent FROM requests WHERE reason = 9").fetchall()]
    db.execute("CREATE TEMP TABLE agents (agent VARCHAR, app VARCHAR, platform VARCHAR, "
               "bot BOOLEAN)")
    db.executemany("INSERT INTO agents VALUES (?, ?, ?, ?)",
                   [(a, (k := classify(a)).app, k.platform, k.bot) for a in agents])
    db.execute("""
        CREATE TEMP TABLE candidates AS
        SELECT r.listener, x.episode, r.t, r.bytes, a.app, a.platform, a.bot, x.minute,
               r.ip, CASE WHEN r.ip IS NOT NULL THEN r.agent END AS agent
        FROM requests r JOIN targets x ON r.name = x.name JOIN agents a ON r.agent = a.agent
        WHERE r.reason = 9""")
    episodes, probes = db.execute(
        f"SELECT count(*), count(*) FILTER (WHERE bytes <= {PROBE_BYTES}) FROM candidates"
    ).fetchone()
    db.execute(f"DELETE FROM candidates WHERE bytes <= {PROBE_BYTES}")
    kept = episodes - probes
    bots = db.execute("SELECT count(*) FROM candidates WHERE bot").fetchone()[0]
    counts.excluded["not an episode"] = reasons.get(9, 0) - episodes
    counts.excluded["probe"] = probes
    counts.excluded["bot"] = bots
    db.execute("DROP TABLE requests")
    if tally is not None:
        from warcast.stats.tallies import carry, close_run

        newest = max(newest, tally.load(db))
        carry(db)
    sessions = _sessions(db)
    counts.excluded["joined"] = kept - bots - sessions
    counts.excluded["under a minute"] = db.execute(
        "SELECT count(*) FROM sessions WHERE delivered < minute").fetchone()[0]
    if tally is not None:
        tally.save(db, close_run(db, newest), digests, newest)
        return _kept(counts, tally)
    rows = db.execute("""
        SELECT (start // 86400)::BIGINT AS day, episode, app, platform, count(*)
        FROM sessions WHERE delivered >= minute
        GROUP BY ALL ORDER BY day, episode, app, platform""").fetchall()
    epoch = dt.date(1970, 1, 1)
    counts.rows = [((epoch + dt.timedelta(days=day)).isoformat(), episode, app, platform, n)
                   for day, episode, app, platform, n in rows]
    return counts


def _read(fmt: LogFormat, files: list[Path]) -> str:
    """SQL reading ``files`` as lines and picking out the fields of ``fmt``."""
    paths = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    names = ", ".join(f"'{name}'" for name in GROUPS[fmt.name])
    split = ", ".join(f"{name} := {fmt.columns[name]}" for name in GROUPS[fmt.name])
    pattern = fmt.pattern.replace("'", "''")
    time_format = fmt.time_format.replace("\t", "' || chr(9) || '")
    lines = f"""read_csv([{paths}], header = false, columns = {{'line': 'VARCHAR'}},
                         delim = chr(1), quote = '', escape = '', auto_detect = false,
                         comment = '', strict_mode = false, null_padding = false,
                         ignore_errors = true)"""
    # An escaped quote (Apache writes \" inside a user agent) defeats splitting at quotes:
    # those rare lines go through the pattern, in a second pass over the same file.
    escaped = "contains(line, '\\' || chr(34))"
    return f"""
        SELECT f.ip AS ip, f.agent AS agent, f.method AS method, f.path AS path,
               f.status AS status,
               coalesce(TRY_CAST(NULLIF(f.bytes, '-') AS BIGINT), 0) AS bytes,
               epoch(try_strptime(NULLIF(f.time, ''), '{time_format}'))::BIGINT AS t
        FROM (SELECT struct_pack({split}) AS f
              FROM (SELECT string_split(line, chr({ord(fmt.separator)})) AS q FROM {lines}
                    WHERE line IS NOT NULL AND NOT starts_with(line, '#') AND NOT {escaped})
              UNION ALL
              SELECT regexp_extract(line, '{pattern}', [{names}]) AS f FROM {lines}
              WHERE line IS NOT NULL AND NOT starts_with(line, '#') AND {escaped})"""


def _sessions(db) -> int:  # type: ignore[no-untyped-def]
    """Join each listener's requests for an episode into 24-hour downloads (table
    ``sessions``: one row per download with the bytes it delivered); returns their number.

    A download begins at the listener's first request not yet joined to one; each round
    closes the first open download of every listener, so the rounds are as many as the most
    downloads one listener made of one episode."""
    db.execute("""
        CREATE TEMP TABLE sessions (listener UBIGINT, episode VARCHAR, start BIGINT,
                                    app VARCHAR, platform VARCHAR, delivered BIGINT,
                                    minute BIGINT, ip VARCHAR, agent VARCHAR)""")
    db.execute("CREATE TEMP TABLE open AS SELECT * EXCLUDE (bot) FROM candidates "
               "WHERE NOT bot")
    db.execute("DROP TABLE candidates")
    while db.execute("SELECT count(*) FROM open").fetchone()[0]:
        db.execute(f"""
            CREATE TEMP TABLE marked AS
            SELECT *, t < min(t) OVER (PARTITION BY listener, episode) + {WINDOW_SECONDS}
                      AS inside,
                   min(t) OVER (PARTITION BY listener, episode) AS start
            FROM open""")
        db.execute("""
            INSERT INTO sessions
            SELECT listener, episode, start, any_value(app), any_value(platform),
                   sum(bytes), any_value(minute), any_value(ip), any_value(agent)
            FROM marked WHERE inside GROUP BY listener, episode, start""")
        db.execute("DROP TABLE open")
        db.execute("CREATE TEMP TABLE open AS SELECT * EXCLUDE (inside, start) FROM marked "
                   "WHERE NOT inside")
        db.execute("DROP TABLE marked")
    return db.execute("SELECT count(*) FROM sessions").fetchone()[0]
