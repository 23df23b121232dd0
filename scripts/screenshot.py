"""Make docs/episode-page.png: the sample show's first episode page in headless Chromium.

Usage: python scripts/screenshot.py   (make screenshot; needs chromium and chromium-driver)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import browser  # noqa: E402
from warcast.state import copy_source  # noqa: E402

PAGE = "episodes/venezuela-guyana-essequibo-claim/?t=20"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        show = Path(folder) / "show"
        copy_source(ROOT / "episodes", show, leave_out=("script.txt",))
        subprocess.run([sys.executable, "-m", "warcast", "--show", str(show), "publish", "--out",
                        str(Path(folder) / "public"), "--quiet"], check=True)
        with browser.serving(show, Path(folder) / "public") as base:
            driver = browser.chrome(1000, 1500)
            try:
                driver.get(base + PAGE)
                time.sleep(1.5)   # the player seeks to ?t= and highlights that passage
                driver.execute_script("window.scrollTo(0, 0)")
                time.sleep(0.3)
                target = ROOT / "docs" / "episode-page.png"
                target.parent.mkdir(exist_ok=True)
                driver.save_screenshot(str(target))
                print(f"wrote {target}")
            finally:
                driver.quit()


if __name__ == "__main__":
    main()
