"""Publishing makes byte-identical output to the golden manifest: the sample show and a
generated 100-episode catalog, every output file (public site and members' bundle) by SHA-256.

The manifests in tests/golden/ were made from the code before the package was reorganised;
refresh them only on purpose, after checking the diff: ``pytest tests/test_identity.py
--update-golden`` (or ``WARCAST_UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from pathlib import Path

from tests.conftest import ROOT, SAMPLE, Cli
from warcast.state import BUNDLE_DIR

GOLDEN = ROOT / "tests" / "golden"
TINY_AUDIO = ROOT / "tests" / "data" / "tiny.mp3"   # 2 s of MP3, so no ffmpeg build differs
CATALOG_EPISODES = 100
# Bookkeeping of the release itself (paths of generation folders), not published content.
SKIP = (".warcast-manifest.json",)


def _catalog_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_catalog", ROOT / "bench" / "catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def manifest(*folders: tuple[str, Path]) -> dict[str, str]:
    """SHA-256 of every file under each folder, by ``label/relative path``."""
    files = {}
    for label, folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name not in SKIP:
                rel = path.relative_to(folder).as_posix()
                files[f"{label}/{rel}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def check(name: str, files: dict[str, str], update: bool) -> None:
    golden = GOLDEN / f"{name}.json"
    if update or os.environ.get("WARCAST_UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(files, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    missing = sorted(set(expected) - set(files))
    extra = sorted(set(files) - set(expected))
    changed = sorted(k for k in set(files) & set(expected) if files[k] != expected[k])
    assert not (missing or extra or changed), (
        f"{name}: missing {missing[:5]}, extra {extra[:5]}, changed {changed[:5]} "
        f"(of {len(expected)}); refresh with --update-golden only after checking the diff")


def publish(cli: Cli, show: Path, out: Path) -> dict[str, str]:
    result = cli("publish", "--out", str(out), "--quiet", show=show)
    assert result.exit_code == 0, result.output
    return manifest(("public", out), ("private", show / BUNDLE_DIR))


def test_sample_show_byte_identical(cli: Cli, show_dir: Path, tmp_path: Path,
                                    update_golden: bool) -> None:
    check("sample", publish(cli, show_dir, tmp_path / "public"), update_golden)


def test_catalog_byte_identical(tmp_path: Path, update_golden: bool) -> None:
    catalog = _catalog_module()
    shutil.copyfile(TINY_AUDIO, tmp_path / "tiny.mp3")   # make_catalog uses it when present
    show = catalog.make_catalog(tmp_path, CATALOG_EPISODES)
    files = publish(Cli(show), show, tmp_path / "public")
    assert sum(1 for k in files if k.startswith("public/") and k.endswith("/index.html")) \
        > CATALOG_EPISODES
    check("catalog", files, update_golden)


def test_manifest_notices_one_changed_byte(tmp_path: Path) -> None:
    """The comparison can fail: one byte more in one file is a changed entry."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_bytes(b"x")
    before = manifest(("public", tmp_path / "a"))
    (tmp_path / "a" / "x.txt").write_bytes(b"xy")
    assert manifest(("public", tmp_path / "a")) != before
    assert SAMPLE.is_dir()
