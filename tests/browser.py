"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) and a running
``warcast serve``: shared by the browser tests and the README screenshot script."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("chromedriver",)


def find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists()
                                       else None)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(show: Path, out: Path) -> Iterator[str]:
    """``warcast serve`` on a free loopback port; yields its base URL."""
    with warcast_server(show, "serve", "--out", str(out)) as base:
        yield base


@contextmanager
def warcast_server(show: Path, *command: str) -> Iterator[str]:
    """A warcast command that serves HTTP (``serve``, ``edit``) on a free loopback port, once
    it answers; yields its base URL and stops it after."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "warcast", "--show", str(show), *command, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def chrome(width: int = 1200, height: int = 1000):  # type: ignore[no-untyped-def]
    """A headless Chromium driven through chromedriver, console messages logged."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = find(CHROMIUM), find(DRIVER)
    if binary is None or driver is None:
        raise RuntimeError("chromium and chromium-driver are needed: run `make test`")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--mute-audio",
                 "--autoplay-policy=no-user-gesture-required", "--disable-gpu",
                 f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))
