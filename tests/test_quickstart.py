"""The README's two commands in either order, and a show folder that publishes the same
wherever it is: copied (links followed or kept), moved, or cloned from git.

The demo's steps are read from the Makefile's ``demo`` recipe and run as written, in a tree
laid out like this repository; then the suite's fixtures are applied to that same tree.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE, Cli
from warcast.links.run import known_articles
from warcast.state import BUNDLE_DIR, STATE_DIR, copy_source, is_derived


def demo_steps() -> list[list[str]]:
    """The warcast commands of the Makefile's ``demo`` recipe, in order."""
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe, "the Makefile has no demo recipe"
    steps = [shlex.split(line.strip()) for line in recipe.group(1).splitlines()
             if line.strip().startswith("$(BIN)/warcast")]
    assert len(steps) >= 5, steps
    return [step[1:] for step in steps]


def warcast(tree: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "warcast", *args], cwd=tree, text=True,
                          capture_output=True, env={**os.environ, "WARCAST_LOCK_WAIT": "30"})
    assert done.returncode == 0, f"warcast {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def run_demo(tree: Path) -> str:
    return "".join(warcast(tree, *step) for step in demo_steps())


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def published(show: Path, out: Path) -> dict[str, bytes]:
    warcast(show.parent, "--show", str(show), "publish", "--out", str(out), "--quiet")
    return files(out)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A tree like this repository's, before anything ran in it."""
    root = tmp_path / "tree"
    root.mkdir()
    copy_source(SAMPLE, root / "episodes")
    shutil.copy(ROOT / ".gitignore", root / ".gitignore")
    return root


def test_demo_then_the_suites_fixtures_on_the_same_tree(tree: Path, tmp_path: Path) -> None:
    pristine = published(copy_source(tree / "episodes", tmp_path / "pristine"),
                         tmp_path / "pristine-out")
    run_demo(tree)
    show = tree / "episodes"
    assert (show / STATE_DIR).is_dir() and (show / BUNDLE_DIR).is_symlink()
    assert files(tree / "public") == pristine
    # What the fixtures do (conftest's show_dir, the browser tests' site): a copy of the
    # source, which holds none of what the demo derived, and publishes the same.
    copy = copy_source(show, tmp_path / "fixture", leave_out=("script.txt",))
    assert not [name for name in os.listdir(copy) if is_derived(name)]
    assert published(copy, tmp_path / "fixture-out") == pristine
    # The demo again, and the fixtures again: nothing changes, nothing fails.
    assert "0 files written" in run_demo(tree)
    assert files(tree / "public") == pristine
    again = copy_source(show, tmp_path / "fixture-again", leave_out=("script.txt",))
    assert published(again, tmp_path / "fixture-again-out") == pristine


@pytest.mark.parametrize("links", ["followed", "kept"])
def test_a_copied_show_folder_publishes_the_same(tree: Path, tmp_path: Path,
                                                 links: str) -> None:
    run_demo(tree)
    expected = files(tree / "public")
    members = files(tree / "episodes" / BUNDLE_DIR)
    copy = tmp_path / "copy"
    shutil.copytree(tree / "episodes", copy, symlinks=links == "kept")
    assert (copy / BUNDLE_DIR).is_symlink() == (links == "kept")
    assert published(copy, tmp_path / "copy-out") == expected
    assert (copy / BUNDLE_DIR).is_symlink() and files(copy / BUNDLE_DIR) == members


def test_a_moved_show_folder_publishes_the_same(tree: Path, tmp_path: Path) -> None:
    run_demo(tree)
    expected = files(tree / "public")
    moved = tmp_path / "elsewhere" / "show"
    moved.parent.mkdir()
    os.rename(tree / "episodes", moved)
    assert published(moved, tmp_path / "moved-out") == expected
    assert "0 files written" in warcast(tmp_path, "--show", str(moved), "publish",
                                        "--out", str(tree / "public"))
    assert files(tree / "public") == expected


def test_a_git_clone_of_a_show_after_the_demo_publishes_the_same(tree: Path,
                                                                tmp_path: Path) -> None:
    run_demo(tree)
    expected = files(tree / "public")
    git = ["git", "-c", "user.name=Producer", "-c", "user.email=producer@example.org"]
    subprocess.run([*git, "init", "-q", str(tree)], check=True)
    subprocess.run([*git, "-C", str(tree), "add", "."], check=True)
    subprocess.run([*git, "-C", str(tree), "commit", "-q", "-m", "show"], check=True)
    tracked = subprocess.run(["git", "-C", str(tree), "ls-files"], check=True, text=True,
                             capture_output=True).stdout.split()
    assert not [name for name in tracked if is_derived(name.removeprefix("episodes/"))]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(tree), str(clone)], check=True)
    run_demo(clone)
    assert files(clone / "public") == expected


def test_an_older_warcasts_derived_files_move_into_the_state_folder(cli: Cli,
                                                                  tmp_path: Path) -> None:
    show = cli.show
    assert cli("articles", "import", str(show / "articles.jsonl")).exit_code == 0
    articles = len(known_articles(show))
    store = show / STATE_DIR / "articles.sqlite"
    os.replace(store, show / "articles.sqlite")   # where warcast 0.1 kept it
    (show / ".cache").mkdir()
    (show / ".cache" / "render.sqlite").write_bytes(b"old")
    (show / "search.sqlite").write_bytes(b"old")
    (show / ".private.d" / "000001").mkdir(parents=True)
    os.symlink(".private.d/000001", show / ".private")
    result = cli("publish", "--out", str(tmp_path / "public"))
    assert result.exit_code == 0, result.output
    assert store.is_file() and not (show / "articles.sqlite").exists()
    assert not [name for name in os.listdir(show) if is_derived(name) and name != STATE_DIR]
    assert len(known_articles(show)) == articles > 0   # nothing lost: no import needed
