"""Shared fixtures: a copy of the sample show, real speech audio, and the CLI runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from warcast.cli import main
from warcast.state import copy_source

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "episodes"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite golden files from the current output.")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def need(*tools: str) -> None:
    """Fail (not skip) when a tool the tests rely on is missing: `make test` installs them."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing tools {missing}: run the tests through `make test`")


@pytest.fixture
def show_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled sample show."""
    target = tmp_path / "show"
    return copy_source(SAMPLE, target, leave_out=("script.txt",))


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


def make_speech(folder: Path, name: str, text: str, codec: tuple[str, ...],
                voice: str = "en-us") -> Path:
    """Render ``text`` with espeak-ng and encode it with ffmpeg (cached per name)."""
    need("espeak-ng", "ffmpeg")
    target = folder / name
    if not target.exists():
        wav = folder / f"{name}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text],
                       check=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *codec, str(target)],
                       check=True)
    return target


@pytest.fixture(scope="session")
def speech_mp3(speech_dir: Path) -> Path:
    return make_speech(speech_dir, "speech.mp3", "Welcome to a short test episode of Warcast.",
                       ("-codec:a", "libmp3lame", "-b:a", "48k"))


@pytest.fixture(scope="session")
def speech_m4a(speech_dir: Path) -> Path:
    return make_speech(speech_dir, "speech.m4a", "A second test episode, in AAC this time.",
                       ("-c:a", "aac", "-b:a", "48k"))


class Cli:
    """Runs ``warcast`` in-process with a real show folder."""

    def __init__(self, show: Path) -> None:
        self.show = show

    def __call__(self, *args: str, show: Path | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(main, ["--show", str(show or self.show), *args],
                             catch_exceptions=False)


@pytest.fixture
def cli(show_dir: Path) -> Cli:
    return Cli(show_dir)
