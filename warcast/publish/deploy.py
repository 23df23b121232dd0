"""Deployment: the published site uploaded to object storage (S3 and compatible) or to a web
server over SSH (rsync), sending only what changed.

The source is the generation ``warcast publish`` made live (``public`` is a link to it, read
once, so a publish running meanwhile changes nothing under the deploy); the members' bundle
lives in the show folder and is never part of it. The order keeps every moment safe for
apps: the media first, then the other files, the feed last, and only then are files that
are no longer published removed. A kill at any point leaves the old feed (whose files are all
still there) or the new one (whose files were all sent before it) serving; running the same
deploy again sends only what is still missing, since what is remote is compared by checksum.

Credentials come from where the tools look for them (AWS profiles and environment variables,
instance roles; ssh-agent and ``~/.ssh``), never from the show.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from warcast.errors import DeployError
from warcast.files import write_atomic
from warcast.publish.layout import FEED_FILE
from warcast.publish.releases import MANIFEST, fault_point, live
from warcast.state import CACHE_DIR

FEED_CACHE = "public, max-age=60"                       # apps see a new episode within a minute
PAGE_CACHE = "public, max-age=300"
MEDIA_CACHE = "public, max-age=86400"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"  # content-addressed names
OTHER_CACHE = "public, max-age=3600"
_CONTENT_ADDRESSED = re.compile(r"-[0-9a-f]{12}\.[A-Za-z0-9]+$")   # Layout.image_name
TYPES = {".xml": "application/xml", ".html": "text/html; charset=utf-8",
         ".json": "application/json", ".vtt": "text/vtt; charset=utf-8",
         ".srt": "application/x-subrip; charset=utf-8", ".txt": "text/plain; charset=utf-8",
         ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "video/mp4", ".jpg": "image/jpeg",
         ".png": "image/png", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
         ".webp": "image/webp", ".pf_meta": "application/octet-stream"}
DIGESTS_FILE = f"{CACHE_DIR}/deploy-md5.json"


@dataclass(frozen=True)
class Target:
    """Where a site goes: ``s3://bucket/prefix`` or ``ssh://[user@]host[:port]/path`` (also
    the rsync form ``[user@]host:path``)."""

    kind: str
    host: str
    path: str
    user: str | None = None
    port: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "s3":
            return f"s3://{self.host}/{self.path}".rstrip("/")
        who = f"{self.user}@" if self.user else ""
        where = self.path if self.path.startswith("/") else f"/~/{self.path}"
        return f"ssh://{who}{self.host}{':' + str(self.port) if self.port else ''}{where}"


def parse_target(text: str) -> Target:
    """The target named on the command line."""
    if text.startswith("s3://"):
        parts = urlsplit(text)
        if not parts.netloc:
            raise DeployError(f"'{text}' names no bucket", hint="Write s3://BUCKET/PREFIX")
        return Target("s3", parts.netloc, parts.path.strip("/"))
    if text.startswith("ssh://"):
        parts = urlsplit(text)
        if not parts.hostname or not parts.path.strip("/"):
            raise DeployError(f"'{text}' names no host or folder",
                              hint="Write ssh://USER@HOST[:PORT]/FOLDER")
        return Target("ssh", parts.hostname, parts.path, parts.username,
                      parts.port)
    match = re.fullmatch(r"(?:([^@/:]+)@)?([^@/:]+):(.+)", text)
    if match and "://" not in text:
        return Target("ssh", match.group(2), match.group(3), match.group(1))
    raise DeployError(f"'{text}' is not a deploy target",
                      hint="Write s3://BUCKET/PREFIX or ssh://USER@HOST/FOLDER")


@dataclass
class DeployReport:
    """What a deploy sent and removed (or would have, with ``dry_run``)."""

    target: str
    sent: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False
    feed: bytes | None = None          # the public feed now served (None: dry run)
    pings: Any = None                  # warcast.publish.pings.PingReport, once told

    @property
    def feed_changed(self) -> bool:
        return FEED_FILE in self.sent


def site_files(site: Path) -> list[str]:
    """The site's files as POSIX paths, in upload order: media, the rest, the feed last."""
    files = [p.relative_to(site).as_posix() for p in site.rglob("*")
             if p.is_file() and p.name != MANIFEST]

    def rank(rel: str) -> tuple[int, str]:
        return (2 if rel == FEED_FILE else 0 if rel.startswith("media/") else 1, rel)

    return sorted(files, key=rank)


def headers(rel: str) -> tuple[str, str]:
    """Content-Type and Cache-Control of a site file."""
    suffix = PurePosixPath(rel).suffix.lower()
    kind = TYPES.get(suffix) or mimetypes.guess_type(rel)[0] or "application/octet-stream"
    if rel == FEED_FILE:
        return "application/rss+xml; charset=utf-8", FEED_CACHE
    if _CONTENT_ADDRESSED.search(rel):
        return kind, IMMUTABLE_CACHE
    if rel.startswith("media/"):
        return kind, MEDIA_CACHE
    if suffix in (".html", ".xml", ".json", ".txt"):
        return kind, PAGE_CACHE
    return kind, OTHER_CACHE


def deploy(show_folder: Path, out: Path, target_text: str, *, dry_run: bool = False,
           endpoint: str | None = None, profile: str | None = None,
           notify: bool = True) -> DeployReport:
    """Upload the live site at ``out`` to the target; only what changed is sent. Then, with
    ``notify``, tell the show's WebSub hubs and Podping about the feed (once per change)."""
    target = parse_target(target_text)
    site = live(out)
    if site is None:
        raise DeployError("no published site", path=out,
                          hint="Run 'warcast publish' first, or pass --out")
    site = site.resolve()
    private = (show_folder / ".private").resolve()
    if site == private or private in site.parents:
        raise DeployError("this is the members' bundle, never deployed publicly", path=out)
    files = site_files(site)
    report = DeployReport(target=target.label, dry_run=dry_run)
    if target.kind == "s3":
        _S3(target, endpoint, profile, show_folder).sync(site, files, report)
    else:
        _Rsync(target).sync(site, files, report)
    if not dry_run and (site / FEED_FILE).is_file():
        report.feed = (site / FEED_FILE).read_bytes()
        if notify:
            from warcast.publish.pings import ping
            from warcast.show import load_show

            report.pings = ping(load_show(show_folder), report.feed)
    return report


class _S3:
    """A bucket (and prefix): objects compared by their ETag (the MD5 of a single-part
    upload), written one by one (each PUT replaces an object whole)."""

    def __init__(self, target: Target, endpoint: str | None, profile: str | None,
                 show_folder: Path) -> None:
        import boto3
        import botocore.exceptions

        self.errors = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
        self.bucket, self.prefix = target.host, target.path
        self.digests = _Digests(show_folder / DIGESTS_FILE)
        try:
            session = boto3.Session(profile_name=profile)
            self.client = session.client("s3", endpoint_url=endpoint)
        except self.errors as exc:
            raise DeployError(f"cannot use AWS: {exc}",
                              hint="Check --profile, AWS_PROFILE or the AWS_* variables") \
                from None

    def key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def listing(self) -> dict[str, str]:
        found: dict[str, str] = {}
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                      Prefix=start)
        for page in pages:
            for item in page.get("Contents", []):
                found[item["Key"][len(start):]] = item["ETag"].strip('"')
        return found

    def sync(self, site: Path, files: list[str], report: DeployReport) -> None:
        try:
            self._sync(site, files, report)
        except self.errors as exc:
            raise DeployError(f"s3://{self.bucket}: {_aws_message(exc)}",
                              hint="Check the bucket, the endpoint and the credentials "
                                   "(AWS_PROFILE, AWS_ACCESS_KEY_ID…); run again to resume")\
                from None
        finally:
            self.digests.save()

    def _sync(self, site: Path, files: list[str], report: DeployReport) -> None:
        remote = self.listing()
        for rel in files:
            if remote.get(rel) == self.digests.md5(site / rel):
                report.unchanged += 1
                continue
            report.sent.append(rel)
            if report.dry_run:
                continue
            kind, cache = headers(rel)
            with (site / rel).open("rb") as body:
                self.client.put_object(Bucket=self.bucket, Key=self.key(rel), Body=body,
                                       ContentType=kind, CacheControl=cache)
            fault_point()
        report.removed = sorted(set(remote) - set(files))
        if report.dry_run:
            return
        for start in range(0, len(report.removed), 1000):
            batch = report.removed[start:start + 1000]
            self.client.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": self.key(rel)} for rel in batch], "Quiet": True})
            fault_point()


def _aws_message(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', '')} {error.get('Message', '')}".strip()
    return str(exc).splitlines()[0]


class _Digests:
    """MD5s of site files, remembered by path, size and mtime (a hard-linked unchanged file
    keeps both), so an unchanged hour of audio is not read on every deploy."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.known: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.used: dict[str, str] = {}

    def md5(self, path: Path) -> str:
        stat = path.stat()
        key = f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"
        digest = self.known.get(key)
        if digest is None:
            md5 = hashlib.md5(usedforsecurity=False)
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    md5.update(block)
            digest = md5.hexdigest()
        self.used[key] = digest
        return digest

    def save(self) -> None:
        if self.used and self.used != self.known:
            with contextlib.suppress(OSError):   # a cache: the next deploy reads files again
                write_atomic(self.path, json.dumps(self.used, sort_keys=True).encode())


class _Rsync:
    """A folder on a server over SSH, by rsync: files compared by checksum, each written to a
    temporary name and renamed (a reader sees the old file or the new one). Three passes:
    the media, everything but the feed, then the feed and the removals after it."""

    def __init__(self, target: Target) -> None:
        if shutil.which("rsync") is None:
            raise DeployError("rsync is not installed",
                              hint="Install rsync (apt-get install rsync) here and on the server")
        self.target = target
        shell = os.environ.get("RSYNC_RSH", "ssh")
        extra = ["-o", "BatchMode=yes"] + (["-p", str(target.port)] if target.port else [])
        self.shell = shell + " " + shlex.join(extra)
        who = f"{target.user}@" if target.user else ""
        self.destination = f"{who}{target.host}:{target.path.rstrip('/')}/"

    def run(self, site: Path, *options: str, dry_run: bool) -> list[str]:
        command = ["rsync", "--recursive", "--links", "--times", "--checksum", "--mkpath",
                   "--itemize-changes", "--out-format=%i %n", "-e", self.shell,
                   *(["--dry-run"] if dry_run else []), *options, f"{site}/",
                   self.destination]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["failed"])[-1]
            raise DeployError(f"{self.target.label}: rsync: {last}",
                              hint="Check the host, the folder and your SSH key (ssh-agent); "
                                   "run again to resume")
        fault_point()
        return result.stdout.splitlines()

    def sync(self, site: Path, files: list[str], report: DeployReport) -> None:
        if report.dry_run:
            passes = [("--delete",)]
        else:
            passes = [("--include=/media/***", "--exclude=*"), (f"--exclude=/{FEED_FILE}",),
                      ("--delete-after",)]
        for options in passes:
            for line in self.run(site, *options, dry_run=report.dry_run):
                change, _, name = line.partition(" ")
                name = name.strip()
                if change.startswith("*deleting"):
                    if not name.endswith("/"):
                        report.removed.append(name)
                elif change[:2] in (">f", "<f"):
                    report.sent.append(name)
        report.removed.sort()
        report.unchanged = len(files) - len(set(report.sent))
