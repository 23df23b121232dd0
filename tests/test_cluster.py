"""Transcription fanned out: a local process pool and a real Dask cluster on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

EPISODES = ("0001-venezuela-guyana-essequibo-claim", "0002-houthis-red-sea-shipping")


def _transcripts(show: Path) -> dict[str, bytes]:
    return {name: (show / name / "transcript.vtt").read_bytes() for name in EPISODES}


def _unsure(show: Path) -> dict[str, bytes]:
    return {name: (show / name / "transcript.unsure.json").read_bytes() for name in EPISODES}


@pytest.fixture(scope="module")
def scheduler():  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_a_cluster_run_matches_a_local_pool_run(cli: Cli, show_dir: Path,
                                                scheduler: str) -> None:
    local = cli("transcribe", "--force", "--all", "--jobs", "2")
    assert local.exit_code == 0, local.output
    assert local.output.count("cues,") == 2
    pooled, unsure = _transcripts(show_dir), _unsure(show_dir)
    # the words Whisper was unsure of survive the trip back from the workers
    assert any(rows != b"[]\n" for rows in unsure.values())
    assert cli("transcribe", "--all").output.count("up to date") == 2
    remote = cli("transcribe", "--force", "--all", "--cluster", scheduler)
    assert remote.exit_code == 0, remote.output
    assert _transcripts(show_dir) == pooled
    assert _unsure(show_dir) == unsure
    assert b"Essequibo" in pooled[EPISODES[0]] and b"Red Sea" in pooled[EPISODES[1]]


def test_cluster_from_show_toml_and_bad_audio_on_a_cluster(cli: Cli, show_dir: Path,
                                                           scheduler: str) -> None:
    toml = show_dir / "show.toml"
    toml.write_text(toml.read_text().replace("[transcribe]",
                                              f'[transcribe]\ncluster = "{scheduler}"'))
    audio = show_dir / EPISODES[0] / "audio.mp3"
    data = audio.read_bytes()
    audio.write_bytes(data[:len(data) // 3])       # damaged: decoding fails on the worker
    result = cli("transcribe", "--force", "--all")
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_an_unreachable_scheduler_is_one_clear_line(cli: Cli) -> None:
    result = cli("transcribe", "--force", "--all", "--cluster", "tcp://127.0.0.1:9")
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output


def test_a_lost_worker_is_replaced_and_its_episode_redone(cli: Cli, show_dir: Path,
                                                          scheduler: str) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from distributed import Client

    assert cli("transcribe", "--force", "--all", "--jobs", "2").exit_code == 0
    expected = _transcripts(show_dir)
    run = subprocess.Popen([sys.executable, "-m", "warcast", "--show", str(show_dir),
                            "transcribe", "--force", "--all", "--cluster", scheduler],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with Client(scheduler) as client:
        deadline = time.monotonic() + 60
        while not client.processing() or not any(client.processing().values()):
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.05)
        busy = next(address for address, tasks in client.processing().items() if tasks)
        pid = client.run(os.getpid, workers=[busy])[busy]
        os.kill(pid, signal.SIGKILL)          # the worker dies mid-episode
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert out.count("cues,") == 2
    assert _transcripts(show_dir) == expected
