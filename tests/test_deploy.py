"""warcast deploy: the published site to real servers started here on loopback (SeaweedFS for
S3, OpenSSH sshd + rsync for SSH), kills mid-deploy, and the WebSub / Podping calls seen by a
local HTTP server."""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from tests.browser import free_port
from tests.conftest import Cli, need
from warcast.publish.deploy import FEED_CACHE, IMMUTABLE_CACHE, site_files
from warcast.publish.releases import live
from warcast.state import BUNDLE_DIR

ROOT = Path(__file__).resolve().parent.parent
WEED = Path(sys.executable).parent / "weed"
SSHD = "/usr/sbin/sshd"
BASE = "https://warcast.example.org"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "warcast-test", "AWS_SECRET_ACCESS_KEY": "warcast-test",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
               "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def _wait(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return                      # answering, even if with an error
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _ports(count: int) -> list[int]:
    """Free ports whose +10000 gRPC companions are free too (SeaweedFS uses both)."""
    found: list[int] = []
    while len(found) < count:
        port = free_port()
        if port < 50000 and port not in found:
            try:
                import socket

                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + 10000))
                found.append(port)
            except OSError:
                continue
    return found


def _bucket_ready(endpoint: str, seconds: float = 60.0) -> None:
    """Wait until the bucket exists: SeaweedFS answers S3 requests a moment before the
    bucket named on its command line is made (then make it here)."""
    import boto3
    import botocore.exceptions

    client = boto3.client("s3", endpoint_url=endpoint)
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.head_bucket(Bucket="site")
            return
        except botocore.exceptions.ClientError:
            with contextlib.suppress(botocore.exceptions.ClientError):
                client.create_bucket(Bucket="site")
        except botocore.exceptions.BotoCoreError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the SeaweedFS bucket did not appear")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SeaweedFS server (``weed mini``) with a bucket ``site``; yields its S3 endpoint."""
    if not WEED.exists():
        pytest.fail("the weed binary is missing: run the tests through `make test`")
    folder = tmp_path_factory.mktemp("seaweed")
    master, volume, filer, s3_port, admin, iceberg, lance = _ports(7)
    log = (folder / "weed.log").open("w")
    server = subprocess.Popen(
        [str(WEED), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
         f"-s3.port={s3_port}", f"-admin.port={admin}", f"-s3.port.iceberg={iceberg}",
         f"-s3.port.lance={lance}", "-webdav=false", "-admin.ui=false", "-bucket=site",
         "-master.volumeSizeLimitMB=64"], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{s3_port}"
    saved = {key: os.environ.get(key) for key in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        _wait(f"{endpoint}/site")
        _bucket_ready(endpoint)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """OpenSSH's sshd on a free loopback port with a temporary host key and a temporary
    authorized key for this user; yields the target prefix and the ssh command to use."""
    need("ssh", "ssh-keygen", "rsync")
    if not Path(SSHD).exists():
        pytest.fail("sshd is missing: run the tests through `make test` (openssh-server)")
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(folder / name)], check=True)
    shutil.copy(folder / "client.pub", folder / "authorized_keys")
    os.chmod(folder / "authorized_keys", 0o600)
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n")
    Path("/run/sshd").mkdir(exist_ok=True)     # sshd's privilege-separation folder
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                              stdout=subprocess.DEVNULL, stderr=(folder / "sshd.log").open("w"))
    shell = (f"ssh -i {folder / 'client'} -F /dev/null -o IdentitiesOnly=yes "
             "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
    user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True,
                                                    text=True).stdout.strip()
    saved = os.environ.get("RSYNC_RSH")
    os.environ["RSYNC_RSH"] = shell
    try:
        for _ in range(100):
            probe = subprocess.run([*shell.split(), "-p", str(port), f"{user}@127.0.0.1",
                                    "true"], capture_output=True)
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError((folder / "sshd.log").read_text())
        yield {"target": f"ssh://{user}@127.0.0.1:{port}", "root": str(folder)}
    finally:
        server.terminate()
        server.wait(timeout=10)
        if saved is None:
            os.environ.pop("RSYNC_RSH", None)
        else:
            os.environ["RSYNC_RSH"] = saved


def _published(cli: Cli, tmp_path: Path) -> Path:
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def _deploy(cli: Cli, out: Path, target: str, *extra: str) -> tuple[int, int, int, str]:
    result = cli("deploy", target, "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    match = re.search(r"(?:would send|sent) (\d+) files, (\d+) unchanged, (\d+) ", result.output)
    assert match, result.output
    return int(match[1]), int(match[2]), int(match[3]), result.output


def _get(url: str, method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method),
                                    timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, b"", dict(error.headers)


def _bucket_keys(endpoint: str, prefix: str) -> set[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    keys: set[str] = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="site",
                                                                 Prefix=prefix + "/"):
        keys.update(item["Key"][len(prefix) + 1:] for item in page.get("Contents", []))
    return keys


def _served_equals(endpoint: str, prefix: str, out: Path) -> None:
    site = live(out)
    assert site is not None
    files = site_files(site)
    assert _bucket_keys(endpoint, prefix) == set(files)
    for rel in files:
        status, body, _ = _get(f"{endpoint}/site/{prefix}/{urllib.parse.quote(rel)}")
        assert status == 200 and body == (site / rel).read_bytes(), rel


def _new_episode(cli: Cli, speech: Path, title: str) -> None:
    result = cli("new", str(speech), "--title", title, "--published",
                 "2026-11-20T09:00:00+00:00")
    assert result.exit_code == 0, result.output


def test_s3_round_trip_sends_only_changes_in_order(cli: Cli, tmp_path: Path, s3: str,
                                                   speech_mp3: Path) -> None:
    out = _published(cli, tmp_path)
    target = "s3://site/round-trip"
    files = site_files(live(out))
    sent, unchanged, removed, text = _deploy(cli, out, target, "--endpoint", s3, "--dry-run")
    assert (sent, unchanged, removed) == (len(files), 0, 0)
    assert _bucket_keys(s3, "round-trip") == set()            # a dry run sends nothing
    assert text.splitlines()[0].startswith("send media/")     # media first…
    assert text.splitlines()[len(files) - 1] == "send feed.xml"   # …the feed last
    assert _deploy(cli, out, target, "--endpoint", s3)[:3] == (len(files), 0, 0)
    _served_equals(s3, "round-trip", out)
    assert _deploy(cli, out, target, "--endpoint", s3)[:3] == (0, len(files), 0)
    _, _, feed_headers = _get(f"{s3}/site/round-trip/feed.xml", "HEAD")
    assert feed_headers["Content-Type"].startswith("application/rss+xml")
    assert feed_headers["Cache-Control"] == FEED_CACHE
    cover = next(rel for rel in files if re.fullmatch(r"cover-[0-9a-f]{12}\.jpg", rel))
    _, _, cover_headers = _get(f"{s3}/site/round-trip/{cover}", "HEAD")
    assert cover_headers["Content-Type"] == "image/jpeg"
    assert cover_headers["Cache-Control"] == IMMUTABLE_CACHE
    audio = next(rel for rel in files if rel.endswith(".mp3"))
    assert _get(f"{s3}/site/round-trip/{audio}", "HEAD")[2]["Content-Type"] == "audio/mpeg"
    # A new episode, and one gone: only what changed is sent, the stale files removed.
    _new_episode(cli, speech_mp3, "A new episode")
    shutil.rmtree(cli.show / "0002-houthis-red-sea-shipping")
    _published(cli, tmp_path)
    sent, unchanged, removed, text = _deploy(cli, out, target, "--endpoint", s3, "--dry-run")
    lines = [line for line in text.splitlines() if line.startswith("send ")]
    assert lines[0].startswith("send media/") and lines[-1] == "send feed.xml"
    assert 0 < sent < len(files) and removed > 0
    assert (sent, unchanged, removed) == _deploy(cli, out, target, "--endpoint", s3)[:3]
    _served_equals(s3, "round-trip", out)


def _enclosures_present(feed: bytes, fetch) -> None:  # type: ignore[no-untyped-def]
    for url in re.findall(rb'<enclosure url="([^"]+)"', feed):
        rel = url.decode()[len(BASE) + 1:]
        assert fetch(rel), f"the live feed names {rel}, which is missing"


def test_s3_kill_mid_deploy_never_serves_a_feed_naming_missing_media(
        cli: Cli, tmp_path: Path, s3: str, speech_mp3: Path) -> None:
    out = _published(cli, tmp_path)
    target = "s3://site/killed"
    _deploy(cli, out, target, "--endpoint", s3)
    _new_episode(cli, speech_mp3, "Killed midway")
    shutil.rmtree(cli.show / "0001-venezuela-guyana-essequibo-claim")
    _published(cli, tmp_path)

    def fetch(rel: str) -> bool:
        return _get(f"{s3}/site/killed/{rel}", "HEAD")[0] == 200

    command = [sys.executable, "-m", "warcast", "--show", str(cli.show), "deploy", target,
               "--out", str(out), "--endpoint", s3]
    kills = 0
    for after in range(1, 200):
        run = subprocess.run(command, env={**os.environ, "WARCAST_FAULT_KILL_AFTER": str(after)},
                             capture_output=True, text=True)
        feed = _get(f"{s3}/site/killed/feed.xml")[1]
        _enclosures_present(feed, fetch)
        if run.returncode == 0:
            break
        assert run.returncode == -9, run.stderr
        kills += 1
    assert kills >= 3
    assert _deploy(cli, out, target, "--endpoint", s3)[0] == 0
    _served_equals(s3, "killed", out)


def test_ssh_round_trip_and_kill(cli: Cli, tmp_path: Path, sshd: dict[str, str],
                                 speech_mp3: Path) -> None:
    out = _published(cli, tmp_path)
    remote = Path(sshd["root"]) / f"www-{tmp_path.name}" / "pod"
    target = f"{sshd['target']}{remote}"
    files = site_files(live(out))
    assert _deploy(cli, out, target, "--dry-run")[:3] == (len(files), 0, 0)
    assert not remote.exists()
    assert _deploy(cli, out, target)[:3] == (len(files), 0, 0)

    def same() -> None:
        site = live(out)
        served = sorted(p.relative_to(remote).as_posix() for p in remote.rglob("*")
                        if p.is_file())
        assert served == sorted(files)
        for rel in files:
            assert (remote / rel).read_bytes() == (site / rel).read_bytes(), rel

    same()
    assert _deploy(cli, out, target)[:3] == (0, len(files), 0)
    _new_episode(cli, speech_mp3, "Over SSH")
    shutil.rmtree(cli.show / "0002-houthis-red-sea-shipping")
    _published(cli, tmp_path)
    files = site_files(live(out))
    command = [sys.executable, "-m", "warcast", "--show", str(cli.show), "deploy", target,
               "--out", str(out)]
    for after in (1, 2):        # killed after the media pass, then after all but the feed
        run = subprocess.run(command, env={**os.environ, "WARCAST_FAULT_KILL_AFTER": str(after)},
                             capture_output=True, text=True)
        assert run.returncode == -9, run.stderr
        _enclosures_present((remote / "feed.xml").read_bytes(),
                            lambda rel: (remote / rel).is_file())
    sent, _, removed, _ = _deploy(cli, out, target)
    assert sent >= 1 and removed > 0          # the feed, then the stale files
    same()
    assert _deploy(cli, out, target)[0] == 0


class _Recorder(http.server.BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, str, str, str]]] = []
    failures: ClassVar[list[int]] = []          # status codes to answer first, one per request

    def _answer(self, body: str) -> None:
        type(self).calls.append((self.command, self.path, body,
                                 self.headers.get("Authorization", "")))
        status = type(self).failures.pop(0) if type(self).failures else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self._answer(self.rfile.read(length).decode())

    def do_GET(self) -> None:
        self._answer("")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hub() -> Iterator[str]:
    _Recorder.calls, _Recorder.failures = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _with_notify(show: Path, hub: str) -> None:
    with (show / "show.toml").open("a") as handle:
        handle.write(f'\n[notify]\nwebsub_hubs = ["{hub}/hub"]\n'
                     f'podping_url = "{hub}/podping"\npodping_token = "secret-token"\n')


def test_websub_and_podping_once_per_changed_feed(cli: Cli, tmp_path: Path, s3: str,
                                                  hub: str, speech_mp3: Path) -> None:
    _with_notify(cli.show, hub)
    out = _published(cli, tmp_path)
    feed = (out / "feed.xml").read_text()
    assert f'<atom:link href="{hub}/hub" rel="hub"/>' in feed
    private = (cli.show / BUNDLE_DIR / "feed.xml").read_text()
    assert 'rel="hub"' not in private                        # never a members' feed
    target = "s3://site/pinged"
    _deploy(cli, out, target, "--endpoint", s3)
    feed_url = urllib.parse.quote(f"{BASE}/feed.xml", safe="")
    assert sorted(_Recorder.calls) == [
        ("GET", f"/podping?url={feed_url}&reason=update&medium=podcast", "", "secret-token"),
        ("POST", "/hub", f"hub.mode=publish&hub.url={feed_url}", "")]
    _deploy(cli, out, target, "--endpoint", s3)              # nothing changed: nobody told
    _deploy(cli, out, target, "--endpoint", s3, "--dry-run")
    assert len(_Recorder.calls) == 2
    _new_episode(cli, speech_mp3, "Tell the apps")
    _published(cli, tmp_path)
    _Recorder.failures = [503, 503]                          # the first two tries fail
    started = time.monotonic()
    _deploy(cli, out, target, "--endpoint", s3)
    assert time.monotonic() - started >= 3.0                 # backoff: 1 s, then 2 s
    assert len(_Recorder.calls) == 6                         # 2 failed, then once each
    assert [call[0] for call in _Recorder.calls[2:]] == ["POST", "POST", "POST", "GET"]
    _deploy(cli, out, target, "--endpoint", s3)
    assert len(_Recorder.calls) == 6


def test_deploy_bad_input_is_one_line(cli: Cli, tmp_path: Path) -> None:
    nothing = cli("deploy", "s3://site/x", "--out", str(tmp_path / "none"))
    assert nothing.exit_code == 1
    assert nothing.output.strip().splitlines() == [
        f"Error: {tmp_path / 'none'}: no published site. Run 'warcast publish' first, or pass "
        "--out."]
    out = _published(cli, tmp_path)
    for target, words in (("ftp://x/y", "not a deploy target"),
                          ("s3://", "names no bucket")):
        result = cli("deploy", target, "--out", str(out))
        assert result.exit_code == 1 and words in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    closed = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, **CREDENTIALS}
    run = subprocess.run([sys.executable, "-m", "warcast", "--show", str(cli.show), "deploy",
                          "s3://site/x", "--out", str(out), "--endpoint", closed],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "s3://site" in run.stderr


def test_notify_settings_are_checked(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from warcast.show import load_show

    with (cli.show / "show.toml").open("a") as handle:
        handle.write('\n[notify]\npodping_url = "https://podping.example/"\n')
    monkeypatch.delenv("WARCAST_PODPING_TOKEN", raising=False)
    result = cli("publish", "--out", str(cli.show.parent / "public"))
    assert result.exit_code == 1
    assert "key 'notify.podping_token': is needed with the other one" in result.output
    monkeypatch.setenv("WARCAST_PODPING_TOKEN", "from-the-environment")
    assert load_show(cli.show).podping == ("https://podping.example/", "from-the-environment")
    feed = cli("publish", "--out", str(cli.show.parent / "public"))
    assert feed.exit_code == 0, feed.output
    assert 'rel="hub"' not in (cli.show.parent / "public" / "feed.xml").read_text()
