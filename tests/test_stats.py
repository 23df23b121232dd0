"""warcast stats: download counts from real log files (three formats), by the IAB v2 rules,
against a reference computed here request by request, and a short log counted by hand."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

from tests.browser import free_port
from warcast.episodes import load_episodes
from warcast.publish.layout import Layout
from warcast.show import load_show
from warcast.stats.accesslogs import FORMATS, detect, fields
from warcast.stats.audience import STATS_DIR
from warcast.stats.downloads import count_logs, targets
from warcast.stats.useragents import classify

# User agents with what they are, written down by hand from the vendored lists' entries.
AGENTS = [
    ("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)", "Overcast", "ios", False),
    ("Spotify/8.9.10 Android/34 (Pixel 8)", "Spotify", "android", False),
    ("AntennaPod/3.4.0", "AntennaPod", "android", False),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", "Google Chrome", "windows", False),
    ("Castro 2024.4/1384", "Castro", "ios", False),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "", "", True),
    ("curl/8.5.0", "", "", True),
    ("python-requests/2.32.3", "", "", True),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "", "", True),
    ("atc/1.0 watchOS/7.1 model/Watch5,1 hwp/t8006 build/18R590 (6; dt:201)", "", "", True),
]
QUOTED_AGENT = ('NewPlayer/1.0 (a "quoted" build)', "unknown", "unknown", False)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
START = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())


@pytest.fixture(scope="module")
def wanted():
    show = load_show(Path(__file__).resolve().parent.parent / "episodes")
    return targets(load_episodes(show), Layout(show))


def test_user_agents_decided_by_the_vendored_lists() -> None:
    for agent, app, platform, bot in AGENTS:
        found = classify(agent)
        assert found.bot is bot, agent
        if not bot:
            assert (found.app, found.platform) == (app, platform), agent
    assert classify("BBC%20Sounds/1.13.1.7716 CFNetwork/1107.1 Darwin/19.0.0").app == \
        "BBC Sounds"
    assert classify(quote("Spotify/8.9.10 Android/34 (Pixel 8)")).app == "Spotify"


def _stamp(when: int, offset_hours: int) -> str:
    zone = dt.timezone(dt.timedelta(hours=offset_hours))
    t = dt.datetime.fromtimestamp(when, zone)
    sign = "+" if offset_hours >= 0 else "-"
    return (f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} "
            f"{sign}{abs(offset_hours):02d}00")


def _line(fmt: str, request: dict) -> str:
    r = request
    if fmt == "combined":
        agent = r["agent"].replace('"', '\\"')
        size = r["bytes"] if r["bytes"] else "-"
        return (f'{r["ip"]} - - [{_stamp(r["t"], r["zone"])}] "{r["method"]} {r["path"]}'
                f'?from=feed HTTP/1.1" {r["status"]} {size} "-" "{agent}"')
    if fmt == "s3":
        return (f'79a5 warcast-media [{_stamp(r["t"], 0)}] {r["ip"]} - 3E57 '
                f'REST.{r["method"]}.OBJECT show{r["path"]} "{r["method"]} /show{r["path"]} '
                f'HTTP/1.1" {r["status"]} - {r["bytes"] or "-"} 741705 70 10 "-" '
                f'"{r["agent"]}" - s9lz= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader '
                f"warcast-media.s3.amazonaws.com TLSv1.2 - -")
    t = dt.datetime.fromtimestamp(r["t"], dt.UTC)
    # sc-bytes with the response headers, sc-content-len the body (field 31)
    return "\t".join([f"{t:%Y-%m-%d}", f"{t:%H:%M:%S}", "IAD89-C1", str(r["bytes"] + 380),
                      r["ip"],
                      r["method"], "d111111abcdef8.cloudfront.net", r["path"],
                      str(r["status"]), "-", quote(r["agent"]), "-", "-", "Miss", "x", "h",
                      "https", "200", "0.1", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Miss",
                      "HTTP/2.0", "-", "-", "51234", "0.05", "Miss", "audio/mpeg",
                      str(r["bytes"]), "-", "-"])


def _synthetic(wanted, fmt: str, rng: random.Random, listeners: int) -> list[dict]:
    """Requests as podcast hosts see them: visits of listeners to episodes, each a few
    requests (probes, HEADs, ranges, whole files, errors), some visits a day or more apart."""
    requests = []
    agents = [*AGENTS, QUOTED_AGENT] if fmt == "combined" else AGENTS
    for number in range(listeners):
        ip = f"198.51.{number // 250}.{number % 250}"
        agent = agents[number % len(agents)]
        zone = rng.choice((0, -5, 2))
        for target in rng.sample(wanted, rng.choice((1, 2))):
            when = START + rng.randrange(20 * 86400)
            for _visit in range(rng.choice((1, 1, 2, 3))):
                for _ in range(rng.randrange(1, 6)):
                    method, status, sent, path = "GET", 206, 0, f"/media/{target.name}"
                    kind = rng.random()
                    if kind < 0.1:
                        method, status = "HEAD", 200
                    elif kind < 0.25:
                        sent = 2
                    elif kind < 0.3:
                        status, sent = 404, 153
                    elif kind < 0.35:
                        status, sent, path = 200, 40_000, "/feed.xml"
                    elif kind < 0.45:
                        status, sent = 200, target.minute_bytes + rng.randrange(100_000)
                    else:
                        sent = rng.randrange(20_000, target.minute_bytes // 2)
                    requests.append({"ip": ip, "agent": agent[0], "label": agent,
                                     "zone": zone, "t": when, "method": method,
                                     "status": status, "bytes": sent, "path": path,
                                     "target": target if path.startswith("/media") else None})
                    when += rng.randrange(1, 7200)
                when += rng.choice((3600, 20 * 3600, 23 * 3600, 86400, 2 * 86400))
    return requests


def _reference(requests: list[dict]) -> list[tuple[str, str, str, str, int]]:
    """The IAB v2 count, computed request by request without the code under test."""
    visits = defaultdict(list)
    for r in requests:
        agent, app, platform, bot = r["label"]
        if r["method"] != "GET" or r["status"] not in (200, 206) or r["bytes"] <= 2 \
                or r["target"] is None or bot:
            continue
        visits[(r["ip"], agent, r["target"])].append((r["t"], r["bytes"]))
    rows: dict[tuple[str, str, str, str], int] = defaultdict(int)
    labels = {r["label"][0]: r["label"] for r in requests}
    for (_ip, agent, target), seen in visits.items():
        seen.sort()
        windows: list[list[int]] = []          # [start, bytes]
        for t, sent in seen:
            if windows and t < windows[-1][0] + 86400:
                windows[-1][1] += sent
            else:
                windows.append([t, sent])
        for start, delivered in windows:
            if delivered >= target.minute_bytes:
                day = dt.datetime.fromtimestamp(start, dt.UTC).date().isoformat()
                _, app, platform, _ = labels[agent]
                rows[(day, target.episode, app, platform)] += 1
    return sorted((*key, n) for key, n in rows.items())


def test_counts_equal_the_reference_on_three_formats(tmp_path: Path, wanted) -> None:
    rng = random.Random(20)
    requests, logs = [], []
    for fmt, listeners in (("combined", 900), ("cloudfront", 500), ("s3", 400)):
        part = _synthetic(wanted, fmt, rng, listeners)
        part.sort(key=lambda r: r["t"])
        header = "#Version: 1.0\n#Fields: date time ...\n" if fmt == "cloudfront" else ""
        text = header + "\n".join(_line(fmt, r) for r in part) + "\n"
        log = tmp_path / f"{fmt}.log{'.gz' if fmt == 'cloudfront' else ''}"   # as delivered
        log.write_bytes(gzip.compress(text.encode()) if log.suffix == ".gz" else text.encode())
        assert detect(log).name == fmt
        requests += part
        logs.append(log)
    assert len(requests) >= 10_000
    assert sum(1 for r in requests if r["bytes"] == 2) > 1000                  # probes
    assert sum(1 for r in requests if r["label"][3]) > 1000                    # bots
    counts = count_logs(logs, wanted, threads=2)
    expected = _reference(requests)
    assert counts.lines == len(requests)
    assert counts.rows == expected
    assert counts.total == sum(row[4] for row in expected) > 500
    assert counts.excluded["not GET"] == sum(1 for r in requests if r["method"] != "GET")
    assert counts.excluded["bot"] > 0 and counts.excluded["joined"] > 0
    assert counts.excluded["under a minute"] > 0


def test_a_short_log_counted_by_hand(tmp_path: Path, wanted) -> None:
    essequibo, houthis = wanted          # 698,720 and 739,423 bytes to a minute
    app = "AntennaPod/3.4.0"
    lines = [
        # A: probe, then two ranges of 400,000 on day 1 (800,000 >= 698,720): 1 download.
        f'1.1.1.1 - - [01/Nov/2026:10:00:00 +0000] "GET /media/{essequibo.name} HTTP/2.0" '
        f'206 2 "-" "{app}"',
        f'1.1.1.1 - - [01/Nov/2026:10:00:01 +0000] "GET /media/{essequibo.name} HTTP/2.0" '
        f'206 400000 "-" "{app}"',
        f'1.1.1.1 - - [02/Nov/2026:09:59:59 +0000] "GET /media/{essequibo.name} HTTP/2.0" '
        f'206 400000 "-" "{app}"',
        # A again, 24 h after its first real request: a new download, but only 300,000: 0.
        f'1.1.1.1 - - [02/Nov/2026:10:00:01 +0000] "GET /media/{essequibo.name} HTTP/2.0" '
        f'206 300000 "-" "{app}"',
        # B: same address, another app, the whole other episode, at 23:30 -0500 = Nov 2 UTC.
        f'1.1.1.1 - - [01/Nov/2026:23:30:00 -0500] "GET /media/{houthis.name}?x=1 HTTP/1.1" '
        f'200 780186 "-" "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"',
        # HEAD, 404, a bot, the feed: 0.
        f'2.2.2.2 - - [01/Nov/2026:11:00:00 +0000] "HEAD /media/{houthis.name} HTTP/1.1" '
        f'200 - "-" "{app}"',
        f'2.2.2.2 - - [01/Nov/2026:11:00:00 +0000] "GET /media/{houthis.name} HTTP/1.1" '
        f'404 900000 "-" "{app}"',
        f'3.3.3.3 - - [01/Nov/2026:11:00:00 +0000] "GET /media/{houthis.name} HTTP/1.1" '
        f'200 780186 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"',
        f'2.2.2.2 - - [01/Nov/2026:11:00:00 +0000] "GET /feed.xml HTTP/1.1" 200 9000 "-" '
        f'"{app}"',
        "not a log line at all",
    ]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    counts = count_logs([log], wanted)
    assert counts.rows == [
        ("2026-11-01", essequibo.episode, "AntennaPod", "android", 1),
        ("2026-11-02", houthis.episode, "Overcast", "ios", 1)]
    assert counts.excluded == {"unreadable": 1, "not GET": 1, "not successful": 1,
                               "probe": 1, "not an episode": 1, "bot": 1, "joined": 1,
                               "under a minute": 1}


def test_format_fields_and_detection(tmp_path: Path) -> None:
    line = ('203.0.113.9 - - [10/Oct/2026:13:55:36 -0700] "GET /media/a.mp3 HTTP/1.1" 206 '
            '1234 "https://example.org/" "Weird \\"Player\\"/1.0"')
    assert fields(FORMATS["combined"], line) == {
        "ip": "203.0.113.9", "time": "10/Oct/2026:13:55:36 -0700", "method": "GET",
        "path": "/media/a.mp3", "status": "206", "bytes": "1234",
        "agent": 'Weird \\"Player\\"/1.0'}
    other = tmp_path / "notes.txt"
    other.write_text("these are notes\nnot a log\n")
    with pytest.raises(Exception, match="not an access log"):
        detect(other)


def test_cli_json_csv_chart_and_page(cli, tmp_path: Path) -> None:
    show = load_show(cli.show)
    essequibo = targets(load_episodes(show), Layout(show))[0]
    log = tmp_path / "access.log"
    log.write_text("".join(
        f'10.0.0.{n} - - [0{1 + n % 3}/Nov/2026:10:00:00 +0000] "GET /media/{essequibo.name} '
        f'HTTP/1.1" 200 741705 "-" "AntennaPod/3.4.0"\n' for n in range(7)))
    result = cli("stats", str(log), "--json", "--csv", str(tmp_path / "d.csv"),
                 "--chart", str(tmp_path / "d.png"), "--page")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["downloads"] == 7
    assert data["by_day"] == {"2026-11-01": 3, "2026-11-02": 2, "2026-11-03": 2}
    assert (tmp_path / "d.csv").read_text().splitlines()[1] == \
        f"2026-11-01,{essequibo.episode},AntennaPod,android,3"
    assert Image.open(tmp_path / "d.png").size == (960, 360)
    page = (cli.show / STATS_DIR / "stats" / "index.html").read_text()
    assert "Downloads: 7" in page and "AntennaPod" in page
    first = (tmp_path / "d.png").read_bytes()
    assert cli("stats", str(log), "--chart", str(tmp_path / "d.png")).exit_code == 0
    assert (tmp_path / "d.png").read_bytes() == first          # same counts, same bytes
    text = cli("stats", str(log), "--by", "app")
    assert text.output.splitlines()[0].split() == ["7", "AntennaPod"]


def test_cli_bad_input_is_one_line(cli, tmp_path: Path) -> None:
    missing = cli("stats", str(tmp_path / "nope.log"))
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines() == [
        f"Error: {tmp_path / 'nope.log'}: log file not found."]
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    bad = cli("stats", str(notes))
    assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1
    assert "not an access log" in bad.output and "Traceback" not in bad.output


def test_serve_access_log_is_counted_and_the_page_is_for_members(cli, tmp_path: Path) -> None:
    out, log = tmp_path / "public", tmp_path / "access.log"
    assert cli("publish", "--out", str(out)).exit_code == 0
    token = json.loads(cli("members", "add", "a@example.org", "--json").output
                       )["feed_url"].split("/")[-2]
    media = next((out / "media").glob("*.mp3")).name
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "warcast", "--show", str(cli.show), "serve", "--out", str(out),
         "--port", str(port), "--access-log", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def get(path: str, **headers: str) -> int:
        request = urllib.request.Request(base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        app = {"User-Agent": "AntennaPod/3.4.0"}
        assert get(f"/media/{media}", Range="bytes=0-1", **app) == 206          # probe
        assert get(f"/media/{media}", **app) == 200                             # whole file
        assert get(f"/media/{media}", **{"User-Agent": "curl/8.5.0"}) == 200   # a bot
        assert cli("stats", str(log), "--page").exit_code == 0
        assert get(f"/members/{token}/stats/") == 200
        assert get(f"/members/{'x' * 32}/stats/") == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert token not in log.read_text() and "/members/-/stats/" in log.read_text()
    data = json.loads(cli("stats", str(log), "--json").output)
    assert data["by_app"] == {"AntennaPod": 1}
    assert data["excluded"]["probe"] == 1 and data["excluded"]["bot"] == 1


def test_kept_counts_join_downloads_across_runs_and_forget_addresses(tmp_path: Path,
                                                                     wanted) -> None:
    from warcast.stats.tallies import STORE_FILE, Tally

    rng = random.Random(7)
    requests = sorted(_synthetic(wanted, "combined", rng, 700), key=lambda r: r["t"])
    assert len(requests) >= 5000
    times = [r["t"] for r in requests]
    cuts = [times[len(times) // 3] + 1234, times[2 * len(times) // 3] + 4321]   # not midnight
    parts = [[r for r in requests if r["t"] < cuts[0]],
             [r for r in requests if cuts[0] <= r["t"] < cuts[1]],
             [r for r in requests if r["t"] >= cuts[1]]]
    logs = []
    for number, part in enumerate(parts):
        log = tmp_path / f"access.log.{number}"
        log.write_text("\n".join(_line("combined", r) for r in part) + "\n")
        logs.append(log)
    expected = _reference(requests)
    store = tmp_path / "show"
    store.mkdir()
    salts_seen: set[str] = set()
    for log in logs:
        tally = Tally(store)
        try:
            counts = count_logs([log], wanted, tally=tally)
            salts_seen |= {row[0] for row in tally.db.execute("SELECT salt FROM salts")}
            assert tally.db.execute("SELECT count(*) FROM salts").fetchone()[0] <= 2
        finally:
            tally.close()
    assert counts.rows == expected                 # the same as one run over every log
    assert count_logs(logs, wanted).rows == expected
    tally = Tally(store)
    try:
        again = count_logs([logs[0]], wanted, tally=tally)
        assert again.skipped == [str(logs[0])] and again.rows == expected
        kept_salts = {row[0] for row in tally.db.execute("SELECT salt FROM salts")}
    finally:
        tally.close()
    data = (store / STORE_FILE).read_bytes()
    assert not any(r["ip"].encode() in data for r in requests)      # no address, ever
    assert not any(agent[0][:20].encode() in data for agent in AGENTS)
    forgotten = salts_seen - kept_salts
    assert len(forgotten) >= 4 and not any(salt.encode() in data for salt in forgotten)


def test_cli_keep_adds_each_log_once(cli, tmp_path: Path) -> None:
    show = load_show(cli.show)
    essequibo = targets(load_episodes(show), Layout(show))[0]

    def log(name: str, when: str, listeners: range | list[int]) -> Path:
        path = tmp_path / name
        path.write_text("".join(
            f'10.0.0.{n} - - [{when} +0000] "GET /media/{essequibo.name} '
            f'HTTP/1.1" 206 400000 "-" "AntennaPod/3.4.0"\n' for n in listeners))
        return path

    first = log("access.log.2", "01/Nov/2026:23:00:00", range(5))
    # The next day's log: listeners 0-2 fetch the rest of the same download (within 24 h),
    # 7 and 8 are new and fetch only half a minute.
    second = log("access.log.1", "02/Nov/2026:22:59:59", [0, 1, 2, 7, 8])
    result = cli("stats", str(first), "--keep", "--json")
    assert json.loads(result.output)["downloads"] == 0        # 400,000 bytes each so far
    result = cli("stats", str(second), "--keep", "--json")
    assert json.loads(result.output)["by_day"] == {"2026-11-01": 3}
    again = cli("stats", str(first), str(second), "--keep")
    assert again.exit_code == 0 and "was counted before; skipped" in again.output
    assert again.output.splitlines()[-2].split() == ["3", essequibo.episode]
    assert (cli.show / "downloads.sqlite").is_file()
