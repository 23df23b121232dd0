"""The ``warcast`` command line: parse options, call one library function, report.

Library errors (:class:`~warcast.errors.WarcastError`) become one line on stderr and exit
status 1 here, and only here; usage errors exit 2 (click's default).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from warcast import __version__
from warcast.errors import WarcastError
from warcast.status import Status
from warcast.timecode import clock


class WarcastGroup(click.Group):
    """A click group that turns library errors into one-line messages (exit status 1)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WarcastError as exc:
            raise click.ClickException(str(exc)) from None


def quiet_option(command):  # type: ignore[no-untyped-def]
    """``--quiet`` on a command, the same as the global ``-q``."""

    def set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_object(Context).quiet = True  # type: ignore[union-attr]

    return click.option("--quiet", is_flag=True, expose_value=False, callback=set_quiet,
                        help="Print only errors and warnings.")(command)


class Context:
    """What every command needs: the show folder and the output mode."""

    def __init__(self, show: Path, quiet: bool) -> None:
        self.show = show
        self.quiet = quiet

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message)


@click.group(cls=WarcastGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--show", "show", envvar="WARCAST_SHOW", default="episodes", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The show folder (also WARCAST_SHOW).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.version_option(__version__, prog_name="warcast")
@click.pass_context
def main(ctx: click.Context, show: Path, quiet: bool) -> None:
    """Tag, publish and validate a podcast from a show folder.

    \b
    Example:
        warcast init myshow --title "My Show" --base-url https://pod.example.org
        warcast --show myshow new interview.mp3 --title "First episode"
        warcast --show myshow transcribe
        warcast --show myshow tag
        warcast --show myshow publish --out public
    """
    ctx.obj = Context(show, quiet)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", required=True, help="The show's title.")
@click.option("--base-url", required=True, help="Where the published folder will be served.")
@click.option("--author", help="Publisher or host name (default: the title).")
@click.option("--email", help="Owner e-mail for Apple Podcasts.")
@quiet_option
@click.pass_obj
def init(obj: Context, folder: Path, title: str, base_url: str, author: str | None,
         email: str | None) -> None:
    """Create a new show folder with show.toml and a placeholder cover.

    \b
    Example:
        warcast init myshow --title "My Show" --base-url https://pod.example.org
    """
    from warcast.show import create_show

    path = create_show(folder, title=title, base_url=base_url, author=author, email=email)
    obj.say(f"Created {path} and {folder / 'cover.png'}; edit them, then add episodes with "
            f"'warcast --show {folder} new AUDIO --title TITLE'.")


@main.command()
@click.argument("audio", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="The episode's title.")
@click.option("--published", help="Publication time, ISO 8601 with zone (default: now).")
@click.option("--members-only", is_flag=True, help="Keep it out of everything public.")
@click.option("--type", "episode_type", type=click.Choice(["full", "trailer", "bonus"]),
              default="full", show_default=True)
@quiet_option
@click.pass_obj
def new(obj: Context, audio: Path, title: str, published: str | None, members_only: bool,
        episode_type: str) -> None:
    """Create an episode folder from an audio file (next number, fresh guid).

    AUDIO is an MP3 or M4A published as it is, or a lossless master (WAV, FLAC, AIFF) that
    publish makes the episode's audio from, at the show's loudness; a master is measured
    first, and refused when it is silent.

    \b
    Example:
        warcast --show episodes new take3.mp3 --title "Sanctions, explained" \\
            --published 2026-11-30T09:00:00-05:00
        warcast --show episodes new master.wav --title "Sanctions, explained"
    """
    from warcast.audio.masters import check_master
    from warcast.episodes import new_episode
    from warcast.show import load_show

    when = _published(published)
    show = load_show(obj.show)
    warnings = check_master(audio, show.folder)   # a silent master stops here, unwritten
    folder = new_episode(show, audio, title=title, published=when, members_only=members_only,
                         episode_type=episode_type)
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    obj.say(f"Created {folder}: add a summary, guests and chapters in episode.toml, "
            f"show notes in notes.md.")


@main.command("import")
@click.argument("feed")
@click.option("--base-url", help="Where warcast will publish the show (needed when the show "
              "folder has no show.toml yet).")
@click.option("--download-audio", is_flag=True,
              help="Also download each episode's audio into its folder (resumable; the feed "
                   "keeps the old audio URLs).")
@click.option("--no-fetch", is_flag=True,
              help="Download nothing the feed links to (artwork, chapters, transcripts): "
                   "keep them as links.")
@click.option("--force", is_flag=True, help="Replace episodes edited since the last import.")
@click.option("--members-only", is_flag=True,
              help="Mark every episode members-only (importing a private feed).")
@click.option("--forwarding-feed", "forwarding", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the old feed, unchanged but for itunes:new-feed-url pointing "
                   "here, to this file (for an old host that serves a feed file).")
@quiet_option
@click.pass_obj
def import_(obj: Context, feed: str, base_url: str | None, download_audio: bool,
            no_fetch: bool, force: bool, members_only: bool, forwarding: Path | None) -> None:
    """Import a show from its feed on another host (a file or an http(s) URL).

    Creates show.toml when there is none, and one episode folder per item: guid exactly as
    it was, the enclosure URL kept as the audio's address, dates, numbers, notes, people,
    chapters and transcripts. Run it again to add new items and update changed ones; episodes
    edited since the last import are left alone and listed.

    \b
    Example:
        warcast --show myshow import https://old-host.example/feed.rss \\
            --base-url https://pod.example.org
        warcast --show myshow import https://old-host.example/feed.rss --download-audio \\
            --forwarding-feed old-feed.xml
    """
    from warcast.imports import import_feed
    from warcast.imports import report as said
    from warcast.progress import Progress, megabytes

    bars: dict[str, Progress] = {}

    def progress(name: str, done: int, total: int) -> None:
        bar = bars.setdefault(name, Progress(name, total, enabled=not obj.quiet,
                                             unit=megabytes))
        bar.update(done)

    report = import_feed(obj.show, feed, base_url=base_url, download_audio=download_audio,
                         fetch=not no_fetch, force=force, forwarding=forwarding,
                         members_only=members_only,
                         progress=progress)
    for bar in bars.values():
        bar.close()
    if report.created_show:
        obj.say(f"Created {obj.show / 'show.toml'} from the feed's channel.")
    obj.say(said.summary(report, feed))
    if not obj.quiet:
        for line in report.notices:
            click.echo(f"note: {line}", err=True)
    for line in said.warnings(report):
        click.echo(f"warning: {line}", err=True)
    for line in said.errors(report):
        click.echo(f"error: {line}", err=True)
    failure = said.failure(report)
    if failure is not None:
        raise failure
    if report.forwarding:
        obj.say(f"Wrote {forwarding}: the old feed pointing apps at {report.forwarding}; put it "
                "where the old feed is served once the new one is live.")
    obj.say(f"Next: warcast --show {obj.show} publish")


def _published(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now().astimezone().replace(microsecond=0)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not ISO 8601, e.g. 2026-11-30T09:00:00-05:00",
                                 param_hint="--published") from None
    if when.tzinfo is None:
        raise click.BadParameter("add a time zone, e.g. 2026-11-30T09:00:00-05:00",
                                 param_hint="--published")
    return when


@main.command()
@click.argument("episodes", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@quiet_option
@click.pass_obj
def tag(obj: Context, episodes: tuple[str, ...], dry_run: bool) -> None:
    """Write ID3v2.4 / MP4 tags, cover art and chapters into episode audio.

    EPISODES are folder names, slugs or numbers; none means all. Tagging twice changes
    nothing; the audio stream itself is never modified.

    \b
    Example:
        warcast --show episodes tag 3 --dry-run
    """
    from warcast.audio.tagging import tag_show

    for episode, changes in tag_show(obj.show, episodes, dry_run=dry_run):
        verb = "would change" if dry_run else "tagged"
        if changes is None:
            why = f"its audio is served from {episode.audio.url}" if episode.audio.url \
                else "publish tags the audio it makes from this master"
            obj.say(f"{episode.name}: skipped ({why})")
            continue
        if not changes:
            obj.say(f"{episode.name}: up to date")
            continue
        obj.say(f"{episode.name}: {verb} {', '.join(change.field for change in changes)}")
        if dry_run:
            for change in changes:
                obj.say(f"  {change.field}: {change.old or '(none)'} -> {change.new or '(none)'}")


@main.command()
@click.argument("episodes", nargs=-1)
@click.option("--model", help="Whisper model: a name (small.en, large-v3…) or a CTranslate2 "
              "folder. Default: [transcribe] model in show.toml, else the embedded tiny.en.")
@click.option("--force", is_flag=True, help="Replace transcripts even if edited by hand.")
@click.option("--all", "fan_out", is_flag=True,
              help="Fan the episodes out to worker processes (or to --cluster).")
@click.option("--jobs", type=click.IntRange(1, 64),
              help="Worker processes for --all (default: one per two cores).")
@click.option("--cluster", metavar="ADDRESS",
              help="A Dask scheduler (tcp://host:8786) to run the episodes on; default: "
                   "[transcribe] cluster in show.toml with --all.")
@quiet_option
@click.pass_obj
def transcribe(obj: Context, episodes: tuple[str, ...], model: str | None, force: bool,
               fan_out: bool, jobs: int | None, cluster: str | None) -> None:
    """Transcribe episodes with Whisper into editable transcript.vtt files.

    EPISODES are folder names, slugs or numbers; none means all. Episodes whose audio, model
    and settings are unchanged are skipped; a transcript edited by hand is kept unless --force.
    With --all, episodes run side by side in worker processes, or on a Dask cluster.

    \b
    Example:
        warcast --show episodes transcribe
        warcast --show episodes transcribe 3 --model small.en --force
        warcast --show episodes transcribe --all --cluster tcp://10.0.0.5:8786
    """
    from warcast.progress import Progress
    from warcast.transcript.transcribe import transcribe_show

    bars: dict[str, Progress] = {}

    def progress(episode, done: float) -> None:  # type: ignore[no-untyped-def]
        bar = bars.setdefault(episode.name, Progress(episode.name, episode.audio.duration,
                                                     enabled=not obj.quiet))
        bar.update(done)

    for result in transcribe_show(obj.show, episodes, model=model, force=force,
                                  progress=progress, fan_out=fan_out or bool(jobs),
                                  workers=jobs, cluster=cluster):
        if result.episode.name in bars:
            bars[result.episode.name].close()
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        if result.status != Status.TRANSCRIBED:
            obj.say(f"{result.episode.name}: {result.status}")
            continue
        obj.say(f"{result.episode.name}: {result.cues} cues, {clock(result.audio_seconds)} of "
                f"audio in {result.wall_seconds:.1f} s ({result.speed:.0f}x real time)")


@main.group(cls=WarcastGroup)
def speakers() -> None:
    """Who speaks when: voices found in the audio, named from the show's enrolled voices.

    \b
    Example:
        warcast --show episodes speakers enroll "Nora Halvorsen" --sample nora.wav
        warcast --show episodes speakers find 3
        warcast --show episodes speakers name 3 "Speaker 2" "Lucia Ferreyra"
        warcast --show episodes speakers find 3 --track "Nora Halvorsen=nora.wav" \\
            --track "Lucia Ferreyra=lucia.wav"
    """


def _tracks(values: tuple[str, ...]) -> dict[str, Path]:
    tracks = {}
    for value in values:
        name, equals, path = value.partition("=")
        if not equals or not name.strip() or not path.strip():
            raise click.BadParameter(f"'{value}' is not NAME=FILE", param_hint="--track")
        tracks[name.strip()] = Path(path.strip())
    return tracks


@speakers.command("find")
@click.argument("episodes", nargs=-1)
@click.option("--track", "tracks", multiple=True, metavar="NAME=FILE",
              help="One speaker's own track of a multitrack recording (repeat for each): "
                   "exact turns instead of voices told apart.")
@click.option("--force", is_flag=True, help="Relabel transcripts even if edited by hand.")
@quiet_option
@click.pass_obj
def find_speakers(obj: Context, episodes: tuple[str, ...], tracks: tuple[str, ...],
                  force: bool) -> None:
    """Label the speakers of machine transcripts again (after enrolling a voice, say).

    EPISODES are folder names, slugs or numbers; none means all. [[turns]] in episode.toml
    and transcripts edited by hand are kept (the latter unless --force).

    \b
    Example:
        warcast --show episodes speakers find
        warcast --show episodes speakers find 3 --track "Nora Halvorsen=nora.wav" \\
            --track "Lucia Ferreyra=lucia.wav"
    """
    from warcast.transcript.turns import find_speakers as run

    for result in run(obj.show, episodes, tracks=_tracks(tracks) or None, force=force):
        heard = f": {', '.join(result.voices)}" if result.voices else ": one voice, unlabelled"
        obj.say(f"{result.episode.name}: {result.status}"
                + (heard if result.status == Status.LABELLED else ""))


@speakers.command("enroll")
@click.argument("name")
@click.option("--sample", type=click.Path(dir_okay=False, path_type=Path),
              help="Audio of this voice alone (30 s or more is best).")
@click.option("--from", "episode", metavar="EPISODE",
              help="An episode whose transcript names NAME in its turns.")
@quiet_option
@click.pass_obj
def enroll_speaker(obj: Context, name: str, sample: Path | None, episode: str | None) -> None:
    """Learn a host's voice once, so later episodes name it.

    \b
    Example:
        warcast --show episodes speakers enroll "Nora Halvorsen" --sample nora.wav
        warcast --show episodes speakers enroll "Nora Halvorsen" --from 1
    """
    from warcast.transcript.turns import enroll

    seconds = enroll(obj.show, name, sample=sample, episode=episode)
    obj.say(f"Enrolled {name} from {seconds} s of speech; 'warcast speakers find' labels "
            f"existing transcripts again.")


@speakers.command("name")
@click.argument("episode")
@click.argument("voice", required=False)
@click.argument("name", required=False)
@quiet_option
@click.pass_obj
def name_speaker(obj: Context, episode: str, voice: str | None, name: str | None) -> None:
    """Name a voice the machine found ("Speaker 2") after you confirm who it is.

    With only EPISODE, lists its voices and the guests (from episode.toml) offered for the
    unnamed ones; with VOICE and NAME, gives that host's or guest's name to every turn of
    VOICE. Found voices keep "Speaker N" until you do this (or rename them in warcast edit).

    \b
    Example:
        warcast --show episodes speakers name 3
        warcast --show episodes speakers name 3 "Speaker 2" "Lucia Ferreyra"
    """
    from warcast.editor import name_voice, offers, voices
    from warcast.episodes import load_episodes, select
    from warcast.show import load_show

    if voice is not None and name is None:
        raise click.UsageError(f"Give the name for {voice}, or leave both out to list voices.")
    show = load_show(obj.show)
    chosen = select(load_episodes(show), (episode,))[0]
    if voice is not None and name is not None:
        count = name_voice(show, chosen, voice, name)
        obj.say(f"{chosen.name}: {voice} is now {name} ({count} cues); transcript.vtt is "
                f"yours now, so 'warcast transcribe' keeps it.")
        return
    offered = offers(show, chosen)
    for found in voices(show, chosen):
        line = f"{found.label}: {found.seconds:.0f} s, first at {found.first:.0f} s"
        if found.unnamed:
            line += f"; offered: {', '.join(offered)}" if offered else "; no guest left to offer"
        click.echo(line)


@main.command()
@click.argument("episode", required=False)
@click.option("--port", default=8700, show_default=True, type=click.IntRange(1, 65535))
@quiet_option
@click.pass_obj
def edit(obj: Context, episode: str | None, port: int) -> None:
    """Correct a transcript in the browser: the audio, words to click and hear, speakers.

    Serves on 127.0.0.1 only. EPISODE is a folder name, slug or number (default: the newest).
    Saving writes transcript.vtt; later 'warcast transcribe' runs keep it.

    \b
    Example:
        warcast --show episodes edit 3        # then open http://127.0.0.1:8700/
    """
    from warcast.editor import HOST, check, serve

    chosen = check(obj.show, episode)
    obj.say(f"Editing {chosen.name} on http://{HOST}:{port}/ (Ctrl-C stops).")
    serve(obj.show, chosen, port)


@main.command()
@click.option("--out", default="public", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="The site folder.")
@click.option("--accept-changes", is_flag=True,
              help="Publish even if a published episode's guid or enclosure URL changes.")
@quiet_option
@click.pass_obj
def publish(obj: Context, out: Path, accept_changes: bool) -> None:
    """Build the feed, pages and media into the site folder, validated, switched atomically.

    \b
    Example:
        warcast --show episodes publish --out public
    """
    from warcast.publish.plan import publish as run

    report = run(obj.show, out, accept_changes=accept_changes)
    for finding in report.findings:
        click.echo(str(finding), err=True)
    for line in report.sound:
        click.echo(f"warning: {line}", err=True)
    if report.guid_pinned:
        obj.say(f"Pinned podcast:guid in {obj.show / 'show.toml'} (keep it).")
    private = f", {report.members_only} members-only left out" if report.members_only else ""
    obj.say(f"Published {report.episodes} episodes{private} to {out}: "
            f"{len(report.written)} files written, {report.unchanged} unchanged, "
            f"{len(report.removed)} removed.")
    obj.say(f"Feed: {out / 'feed.xml'} (served as {report.feed_url})")


@main.command()
@click.argument("episodes", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per episode.")
@click.pass_obj
def loudness(obj: Context, episodes: tuple[str, ...], as_json: bool) -> None:
    """Measure episodes' loudness (ITU-R BS.1770-4) against the show's [audio] target.

    EPISODES are folder names, slugs or numbers; none means all. For a master (WAV, FLAC,
    AIFF) it prints the master's figures and those of the audio publish makes from it (made
    now if it is not cached yet); other audio is published as it is.

    \b
    Example:
        warcast --show episodes loudness
        warcast --show episodes loudness 3 --json
    """
    from warcast.audio.masters import measure_show

    for report in measure_show(obj.show, episodes):
        if as_json:
            click.echo(_sound_json(report))
            continue
        click.echo(f"{report.episode.name}: {_sound_line(report)}")
        for line in report.warnings:
            click.echo(f"warning: {line}", err=True)


def _sound_line(report) -> str:  # type: ignore[no-untyped-def]
    target = f"target {report.target.describe()}"
    if report.source is None:
        return f"not measured (served from {report.episode.audio.url})"
    if report.derived is None:
        off = report.off_target
        return (f"{report.source.describe()}; published as it is, {abs(off):.1f} LU "
                f"{'over' if off > 0 else 'under'} the {target}")
    made = report.derived
    limited = ", limited" if made.limited else ""
    return (f"master {report.source.describe()} -> published {made.published.describe()} "
            f"({target}; gain {made.gain:+.1f} dB{limited})")


def _sound_json(report) -> str:  # type: ignore[no-untyped-def]
    import dataclasses
    import json

    made = report.derived
    return json.dumps({
        "episode": report.episode.name, "target": dataclasses.asdict(report.target),
        "source": dataclasses.asdict(report.source) if report.source else None,
        "published": dataclasses.asdict(made.published) if made else None,
        "gain": made.gain if made else None, "limited": made.limited if made else None,
        "warnings": list(report.warnings)}, sort_keys=True)


@main.command()
@click.argument("feed")
@click.option("--no-fetch", is_flag=True, help="Do not download the artwork of a URL feed.")
@click.option("--previous", metavar="FEED",
              help="An earlier version of the feed (file or URL): changed guids or enclosure "
                   "URLs of its episodes are errors.")
@quiet_option
@click.pass_obj
def validate(obj: Context, feed: str, no_fetch: bool, previous: str | None) -> None:
    """Check a feed (file or URL) against Apple's rules, PSP-1 and Podcasting 2.0.

    Prints errors and warnings; exits 1 when there are errors. Local enclosures are
    measured too: more than 1 LU off the show's target loudness, or true peaks over its
    ceiling, are warnings.

    \b
    Example:
        warcast validate public/feed.xml
        warcast validate https://example.org/feed.xml
        warcast validate public/feed.xml --previous https://example.org/feed.xml
    """
    from warcast.publish.layout import locate_beside
    from warcast.validation import has_errors, read_feed, validate_feed

    data = read_feed(feed)
    remote = feed.startswith(("http://", "https://"))
    locate = None if remote else locate_beside(feed, data)
    findings = validate_feed(data, source=feed, locate=locate,
                             fetch_remote=remote and not no_fetch)
    if locate is not None:
        from warcast.audio.masters import feed_loudness

        findings += feed_loudness(data, feed, locate, obj.show)
    if previous is not None:
        from warcast.validation import compare_feeds

        findings += compare_feeds(read_feed(previous), data, previous_source=previous,
                                  source=feed)
    for finding in findings:
        click.echo(str(finding))
    errors = sum(1 for f in findings if f.level == "error")
    obj.say(f"{feed}: {errors} errors, {len(findings) - errors} warnings")
    if has_errors(findings):
        sys.exit(1)


@main.group(cls=WarcastGroup)
def articles() -> None:
    """Load the publication's written articles into the show's store (.warcast/articles.sqlite).

    \b
    Example:
        warcast --show episodes articles import https://warcast.example.org/feed/
    """


@articles.command("import")
@click.argument("sources", nargs=-1, required=True)
@quiet_option
@click.pass_obj
def import_articles(obj: Context, sources: tuple[str, ...]) -> None:
    """Import articles from feeds, JSON Lines exports or folders of saved pages.

    SOURCES are RSS or Atom feeds (files or http(s) URLs), .jsonl files and folders of saved
    HTML pages. Articles are matched by URL: importing again updates them, never duplicates.
    Items that cannot be imported are skipped with a warning; a source with nothing to import
    is an error and nothing is written.

    \b
    Example:
        warcast --show episodes articles import https://warcast.example.org/feed/
        warcast --show episodes articles import export.jsonl saved-pages/
    """
    from warcast.articles import import_sources

    report = import_sources(obj.show, list(sources))
    for source in report.sources:
        for warning in source.warnings:
            click.echo(f"warning: {source.source}: {warning}", err=True)
        for skip in source.skipped:
            click.echo(f"warning: {source.source}: skipped {skip}", err=True)
        obj.say(str(source))
    obj.say(f"{report.total} articles in {report.store}")


@main.command()
@click.argument("episodes", nargs=-1)
@quiet_option
@click.pass_obj
def link(obj: Context, episodes: tuple[str, ...]) -> None:
    """Suggest the articles each transcript passage discusses, and the episode's top five.

    EPISODES are folder names, slugs or numbers; none means all. Needs transcripts
    (warcast transcribe) and articles (warcast articles import). Unchanged episodes are
    skipped; editors' decisions in episode.toml ([[links]]) always apply on top.

    \b
    Example:
        warcast --show episodes link
    """
    from warcast.links.run import link_show

    for result in link_show(obj.show, episodes):
        if result.status == Status.LINKED:
            obj.say(f"{result.episode.name}: {result.passages} passage links to "
                    f"{result.articles} articles")
        else:
            obj.say(f"{result.episode.name}: {result.status}")


@main.group(cls=WarcastGroup)
def links() -> None:
    """Editors' decisions on suggested links, kept in episode.toml.

    \b
    Example:
        warcast --show episodes links pin 3 https://warcast.example.org/analysis/x --at 12:34
        warcast --show episodes links reject 3 https://warcast.example.org/analysis/y
    """


@links.command("pin")
@click.argument("episode")
@click.argument("url")
@click.option("--at", "at", help="Where in the episode, as M:SS or H:MM:SS.")
@quiet_option
@click.pass_obj
def pin_link(obj: Context, episode: str, url: str, at: str | None) -> None:
    """Pin an article to an episode (optionally at a time); survives every re-run.

    \b
    Example:
        warcast --show episodes links pin 3 https://warcast.example.org/analysis/x --at 12:34
    """
    from warcast.links.run import decide

    path = decide(obj.show, episode, url, "pinned", at)
    obj.say(f"Pinned {url} in {path}")


@links.command("reject")
@click.argument("episode")
@click.argument("url")
@quiet_option
@click.pass_obj
def reject_link(obj: Context, episode: str, url: str) -> None:
    """Reject a suggested link so it is never published for this episode.

    \b
    Example:
        warcast --show episodes links reject 3 https://warcast.example.org/analysis/y
    """
    from warcast.links.run import decide

    path = decide(obj.show, episode, url, "rejected")
    obj.say(f"Rejected {url} in {path}")


@main.command()
@click.argument("episode")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.pass_obj
def related(obj: Context, episode: str, as_json: bool) -> None:
    """Show an episode's links to articles: passage links in time order, then episode links.

    \b
    Example:
        warcast --show episodes related 3 --json
    """
    import json

    from warcast.links.run import related_for

    slug, found = related_for(obj.show, episode)
    if as_json:
        items = [{"url": k.url, "title": k.title, "level": k.level, "start": float(k.start),
                  "end": float(k.end), "score": round(float(k.score), 4), "status": k.status}
                 for k in found]
        click.echo(json.dumps({"episode": slug, "links": items}, ensure_ascii=False))
        return
    for k in found:
        click.echo(f"{clock(k.start):>8}  {k.level:<7}  {k.score:5.2f}  {k.status:<9}  "
                   f"{k.title}  <{k.url}>")


@main.command()
@quiet_option
@click.pass_obj
def index(obj: Context) -> None:
    """Bring the search indexes up to date (only changed episodes are re-indexed).

    \b
    Example:
        warcast --show episodes index
    """
    from warcast.search import index_show

    report = index_show(obj.show)
    for name, part in (("public", report.public), ("members", report.members)):
        obj.say(f"Search index ({name}): {part.added} added, {part.updated} updated, "
                f"{part.removed} removed, {part.unchanged} unchanged.")


def _date_option(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD",
                                 param_hint=name) from None


@main.command()
@click.argument("episodes", nargs=-1)
@click.option("--write", is_flag=True, help="Write the derived terms to glossary.txt to edit.")
@click.option("--force", is_flag=True, help="With --write, replace an existing glossary.txt.")
@quiet_option
@click.pass_obj
def glossary(obj: Context, episodes: tuple[str, ...], write: bool, force: bool) -> None:
    """List the names and rare terms Whisper is given for each episode, best first.

    They come from the hosts, the guests, the episode's title and notes, and the imported
    articles; glossary.txt in the show folder, once written (--write) and edited, is used
    instead.

    \b
    Example:
        warcast --show episodes glossary 1
        warcast --show episodes glossary --write
    """
    from warcast.episodes import load_episodes, select
    from warcast.show import load_show
    from warcast.transcript.glossary import glossary_for, write_glossary

    show = load_show(obj.show)
    chosen = select(load_episodes(show), episodes)
    if write:
        path = write_glossary(show, chosen, force=force)
        obj.say(f"Wrote {path}; edit it freely, warcast keeps it.")
        return
    for episode in chosen:
        found = glossary_for(show, episode)
        click.echo(f"{episode.name} ({found.source}): {', '.join(found.terms)}")


@main.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100),
              help="At most this many hits.")
@click.option("--episode", help="Only this episode (folder name, slug or number).")
@click.option("--since", help="Only episodes published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only episodes published on or before this date (YYYY-MM-DD).")
@click.option("--speaker", help="Only passages spoken by this person.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.pass_obj
def search(obj: Context, query: str, limit: int, episode: str | None, since: str | None,
           until: str | None, speaker: str | None, as_json: bool) -> None:
    """Find where something was said: ranked passages with timestamps and deep links.

    Words must all match; "exact phrases" in quotes, prefix* with a star, a OR b, and
    -word to exclude. Stemmed: "sanction" finds "sanctions". Searches the public index
    (build it with 'warcast index' or 'warcast publish').

    \b
    Example:
        warcast --show episodes search "Maduro Russia"
        warcast --show episodes search '"Red Sea" shipping -Iran' --since 2025-01-01
        warcast --show episodes search essequibo --speaker "Dana Reyes" --json
    """
    import json

    from warcast.episodes import load_episodes, select
    from warcast.search import search_show
    from warcast.show import load_show

    slug = None
    if episode is not None:
        slug = select(load_episodes(load_show(obj.show)), (episode,))[0].slug
    result = search_show(obj.show, query, limit=limit, episode=slug,
                         since=_date_option(since, "--since"),
                         until=_date_option(until, "--until"), speaker=speaker)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
        return
    if result.note:
        click.echo(f"warning: {result.note}", err=True)
    if result.suggestions:
        click.echo(f"Did you mean {', '.join(result.suggestions)}? Showing those results.")
    if not result.hits:
        click.echo("No matches.")
    for hit in result.hits:
        who = f"  {hit.speaker}:" if hit.speaker else ""
        near = "  (approximate)" if hit.approximate else ""
        click.echo(f"{clock(hit.start):>8}  {hit.title}{who}{near}\n          {hit.plain_snippet}\n"
                   f"          {hit.url}")


@main.command()
@click.option("--out", default="public", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="The site folder to serve.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (they share the members store).")
@click.option("--access-log", type=click.Path(dir_okay=False, path_type=Path),
              help="Append a combined-format line per request to this file (for "
                   "'warcast stats').")
@click.pass_obj
def serve(obj: Context, out: Path, host: str, port: int, workers: int,
          access_log: Path | None) -> None:
    """Serve the site, the search API and the members' private feeds.

    GET /api/search?q=... searches the public index; /members/TOKEN/feed.xml is a
    member's private feed (see 'warcast members add').

    \b
    Example:
        warcast --show episodes serve --out public --port 8000 --access-log access.log
        curl 'http://127.0.0.1:8000/api/search?q=Essequibo&limit=5'
    """
    from warcast.server import serve as run

    if not out.is_dir():
        raise click.ClickException(f"{out}: no published site. Run 'warcast publish' first.")
    obj.say(f"Serving {out} on http://{host}:{port}/ (Ctrl-C stops).")
    run(obj.show, out, host, port, workers, access_log)


@main.group(cls=WarcastGroup)
def members() -> None:
    """Members and their private feed URLs (add, list, revoke, rotate, import).

    \b
    Example:
        warcast --show episodes members add reader@example.org --expires 2027-12-31
    """


def _feed_urls(show_folder: Path):  # type: ignore[no-untyped-def]
    """A function from a token to the member's feed URL (the show is loaded, and so checked,
    before any member is written)."""
    from warcast.show import load_show

    base = load_show(show_folder).base_url
    return lambda token: f"{base}/members/{token}/feed.xml"


@members.command("add")
@click.argument("member")
@click.option("--expires", help="Last day the URL works (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.pass_obj
def add_member(obj: Context, member: str, expires: str | None, as_json: bool) -> None:
    """Add a member and print their private feed URL (shown once: it holds their secret).

    \b
    Example:
        warcast --show episodes members add reader@example.org --expires 2027-12-31 --json
    """
    import json

    from warcast.members import MemberStore

    feed_url = _feed_urls(obj.show)
    with MemberStore(obj.show, create=True) as store:
        issued = store.add(member, _date_option(expires, "--expires"))
    url = feed_url(issued.token)
    if as_json:
        click.echo(json.dumps({"member": issued.name, "feed_url": url,
                               "expires": issued.expires}))
    else:
        click.echo(f"{issued.name}: {url}")


@members.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, for scripts.")
@click.pass_obj
def list_members(obj: Context, as_json: bool) -> None:
    """List members with their status (tokens are never shown again).

    \b
    Example:
        warcast --show episodes members list
    """
    import json

    from warcast.members import MemberStore

    today = dt.date.today()
    with MemberStore(obj.show) as store:
        for m in store.members():
            if as_json:
                click.echo(json.dumps({"member": m.name, "created": m.created,
                                       "expires": m.expires, "status": m.status(today)}))
            else:
                click.echo(f"{m.status(today):<8} {m.name}  (since {m.created}"
                           f"{', until ' + m.expires if m.expires else ''})")


@members.command("revoke")
@click.argument("member")
@click.pass_obj
def revoke_member(obj: Context, member: str) -> None:
    """Stop a member's URL now (on the server's next request).

    \b
    Example:
        warcast --show episodes members revoke reader@example.org
    """
    from warcast.members import MemberStore

    with MemberStore(obj.show) as store:
        store.revoke(member)
    obj.say(f"Revoked {member}.")


@members.command("rotate")
@click.argument("member")
@click.pass_obj
def rotate_member(obj: Context, member: str) -> None:
    """Give a member a new URL; the old one stops working now.

    \b
    Example:
        warcast --show episodes members rotate reader@example.org
    """
    from warcast.members import MemberStore

    feed_url = _feed_urls(obj.show)
    with MemberStore(obj.show) as store:
        issued = store.rotate(member)
    click.echo(f"{issued.name}: {feed_url(issued.token)}")


@members.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def import_members(obj: Context, csv_file: Path) -> None:
    """Add the members of a CSV export (an email or name column, optional expires); prints
    member,feed_url,expires as CSV for the new ones. Members already here are skipped.

    \b
    Example:
        warcast --show episodes members import export.csv > urls.csv
    """
    import csv

    from warcast.members import MemberStore

    feed_url = _feed_urls(obj.show)
    with MemberStore(obj.show, create=True) as store:
        issued = store.import_csv(csv_file)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["member", "feed_url", "expires"])
    for item in issued:
        writer.writerow([item.name, feed_url(item.token), item.expires or ""])
    click.echo(f"{len(issued)} members added.", err=True)


@main.command()
@click.argument("logs", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "log_format", type=click.Choice(["combined", "cloudfront", "s3"]),
              help="The logs' format (default: recognised from each file's first lines).")
@click.option("--by", "dimension", type=click.Choice(["episode", "day", "app", "platform"]),
              default="episode", show_default=True, help="What to total the downloads by.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write day,episode,app,platform,downloads rows to this file.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw downloads per day into this PNG file.")
@click.option("--page", is_flag=True,
              help="Also write the members' stats page (served at /members/TOKEN/stats/).")
@click.option("--keep", is_flag=True,
              help="Add to the counts kept in the show (downloads.sqlite) and report those: "
                   "give each day's logs as they come; files counted before are skipped.")
@click.pass_obj
def stats(obj: Context, logs: tuple[Path, ...], log_format: str | None, dimension: str,
          as_json: bool, csv_file: Path | None, chart: Path | None, page: bool,
          keep: bool) -> None:
    """Count episode downloads in access logs by the IAB Podcast Measurement v2 rules.

    LOGS are nginx/Apache combined logs (and 'warcast serve --access-log'), CloudFront or S3
    server access logs, gzipped or not. GETs of episode audio only; probes and bots left out;
    one listener's requests for an episode within 24 hours are one download, counted once a
    minute of audio was delivered.

    \b
    Example:
        warcast --show episodes stats /var/log/nginx/access.log* --by app
        warcast --show episodes stats cloudfront/*.gz --csv downloads.csv --chart downloads.png
        warcast --show episodes stats /var/log/nginx/access.log.1 --keep --page
    """
    import json

    from warcast.stats.audience import stats_show

    counts = stats_show(obj.show, list(logs), log_format=log_format, csv_file=csv_file,
                        chart=chart, page=page, keep=keep)
    if as_json:
        click.echo(json.dumps(counts.as_json(), ensure_ascii=False, sort_keys=False))
        return
    for name in counts.skipped:
        click.echo(f"note: {name} was counted before; skipped", err=True)
    for key, n in counts.by(dimension):
        click.echo(f"{n:>10,}  {key}")
    left_out = ", ".join(f"{n:,} {name}" for name, n in counts.excluded.items() if n)
    obj.say(f"{counts.total:,} downloads from {counts.lines:,} log lines"
            + (f" (left out: {left_out})" if left_out else "") + ".")


@main.command()
@click.argument("target")
@click.option("--out", default="public", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="The published site.")
@click.option("--endpoint", metavar="URL",
              help="S3 endpoint of another provider (R2, B2, MinIO, SeaweedFS…).")
@click.option("--profile", help="AWS profile for S3 (default: AWS_PROFILE, then the usual "
              "AWS_* variables and files).")
@click.option("--dry-run", is_flag=True, help="List what would be sent and removed; send nothing.")
@click.option("--no-ping", is_flag=True, help="Do not tell WebSub hubs or Podping.")
@quiet_option
@click.pass_obj
def deploy(obj: Context, target: str, out: Path, endpoint: str | None, profile: str | None,
           dry_run: bool, no_ping: bool) -> None:
    """Upload the published site to S3-compatible storage or to a server over SSH.

    TARGET is s3://BUCKET/PREFIX or ssh://USER@HOST[:PORT]/FOLDER (or USER@HOST:FOLDER).
    Only changed files are sent (checksums): the media first, the feed last, stale files
    removed after it; run it again to resume. Then the WebSub hubs and Podping named in
    show.toml ([notify]) are told, once per change of the feed.

    \b
    Example:
        warcast --show episodes deploy s3://pod-bucket/warcast --profile pod
        warcast --show episodes deploy s3://site --endpoint https://ACCOUNT.r2.cloudflarestorage.com
        warcast --show episodes deploy ssh://deploy@web.example.org/var/www/pod --dry-run
    """
    from warcast.publish.deploy import deploy as run

    report = run(obj.show, out, target, dry_run=dry_run, endpoint=endpoint, profile=profile,
                 notify=not no_ping)
    verb = "would send" if dry_run else "sent"
    if dry_run:
        for rel in report.sent:
            obj.say(f"send {rel}")
        for rel in report.removed:
            obj.say(f"remove {rel}")
    obj.say(f"{report.target}: {verb} {len(report.sent)} files, {report.unchanged} unchanged, "
            f"{len(report.removed)} {'to remove' if dry_run else 'removed'}.")
    if report.pings is not None:
        for name in report.pings.sent:
            obj.say(f"Told {name}.")
        for name in report.pings.failed:
            click.echo(f"warning: could not tell {name}; the next deploy tries again",
                       err=True)
