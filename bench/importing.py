"""Import benchmark: a long back catalog brought over from a synthetic feed.

Usage: python bench/importing.py [--items 2000]

The feed is generated here from one seeded generator: N weekly items with HTML show notes
(about 2 kB each), guests, Podlove chapters, a guid and an enclosure URL. Measured, each in a
fresh process (wall time, and peak memory read with wait4), into bench/results/importing.json
and .md: a cold ``warcast import --no-fetch``, the same import again (nothing changed), an
import after one item changed and one was added, and the cold publish of the imported show.
Side by side in the same run: feedparser and podcastparser merely parsing the same feed, so
the import's cost reads as a ratio to what a feed reader spends on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
from pathlib import Path

from catalog import timed
from report import write_table

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
WORDS = ("sanctions", "shipping", "frigate", "ceasefire", "strait", "drone", "treaty", "budget",
         "alliance", "deterrence", "election", "pipeline", "border", "satellite", "missile")


def feed(items: int, changed: bool = False) -> bytes:
    """The synthetic feed; ``changed`` edits the newest item and adds one after it."""
    rng = random.Random(7)
    start = dt.datetime(1990, 1, 1, 9, tzinfo=dt.UTC)
    entries = []
    for n in range(1, items + 1 + (1 if changed else 0)):
        when = (start + dt.timedelta(weeks=n)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        title = f"Episode {n}: {' '.join(rng.choice(WORDS) for _ in range(4))}"
        if changed and n == items:
            title += " (corrected)"
        notes = "".join(f"<p>{' '.join(rng.choice(WORDS) for _ in range(30))} "
                        f'<a href="https://example.org/a/{n}-{k}">more</a></p>'
                        for k in range(8))
        entries.append(f"""<item><title>{title}</title><guid isPermaLink="false">bench-{n}</guid>
<pubDate>{when}</pubDate><itunes:episode>{n}</itunes:episode>
<itunes:duration>{rng.randint(900, 4000)}</itunes:duration><itunes:explicit>no</itunes:explicit>
<enclosure url="https://media.example.org/ep{n}.mp3?source=feed"
 length="{rng.randint(10**6, 10**8)}" type="audio/mpeg"/>
<content:encoded><![CDATA[{notes}]]></content:encoded>
<podcast:person role="guest">Guest {n % 97}</podcast:person>
<psc:chapters version="1.2"><psc:chapter start="00:00:00" title="Opening"/>
<psc:chapter start="00:05:00" title="Interview"/></psc:chapters></item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
 xmlns:podcast="https://podcastindex.org/namespace/1.0"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:psc="http://podlove.org/simple-chapters"><channel><title>Bench Show</title>
<link>https://old.example.org/</link><description>A long back catalog.</description>
<language>en-us</language><itunes:category text="News"/><itunes:explicit>false</itunes:explicit>
<itunes:owner><itunes:name>Bench</itunes:name><itunes:email>bench@example.org</itunes:email></itunes:owner>
{''.join(reversed(entries))}</channel></rss>""".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    items = parser.parse_args().items
    warcast = [sys.executable, "-m", "warcast"]
    work = Path(tempfile.mkdtemp(prefix="warcast-import-bench-"))
    try:
        source = work / "feed.xml"
        source.write_bytes(feed(items))
        show = work / "show"
        parse = "import sys, {0}; {0}.{1}"
        peers = {
            "feedparser": timed([sys.executable, "-c", parse.format(
                "feedparser", f"parse({str(source)!r})")])[0],
            "podcastparser": timed([sys.executable, "-c", parse.format(
                "podcastparser", f"parse('https://x.example/f', open({str(source)!r}, 'rb'))")])[0],
        }
        base = [*warcast, "--show", str(show), "import", str(source), "--no-fetch", "--quiet"]
        cold = timed([*base, "--base-url", "https://pod.example.org"])
        again = timed(base)
        source.write_bytes(feed(items, changed=True))
        changed = timed(base)
        publish = timed([*warcast, "--show", str(show), "--quiet", "publish", "--out",
                         str(work / "public")])
        folders = sum(1 for p in show.iterdir() if (p / "episode.toml").is_file())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result: dict[str, object] = {
        "items": items, "feed_megabytes": round(len(feed(items)) / 1e6, 1),
        "episode_folders_after_reimports": folders,
        "cold_import_seconds": cold[0], "cold_import_peak_mb": cold[1],
        "unchanged_import_seconds": again[0], "one_changed_one_new_seconds": changed[0],
        "publish_seconds": publish[0], "publish_peak_mb": publish[1],
        "feedparser_parse_seconds": peers["feedparser"],
        "podcastparser_parse_seconds": peers["podcastparser"],
        "cold_import_vs_feedparser": round(cold[0] / peers["feedparser"], 2),
        "unchanged_import_vs_feedparser": round(again[0] / peers["feedparser"], 2),
    }
    result = {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}
    print(write_table(RESULTS, "importing", "Import benchmark", result))


if __name__ == "__main__":
    main()
