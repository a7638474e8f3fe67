"""Screenshot of the Trends page from the real app: ``python scripts/screenshots.py STORE_URL``.

Starts ``callheat dashboard`` on a free port over the given store (fill one with
``callheat simulate --history-days 30 --store-url ...``), opens /trends in headless
Debian Chromium with Playwright and writes docs/img/trends.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from streaming.broker import free_port

ROOT = Path(__file__).resolve().parents[1]


def main(store_url: str, out: Path = ROOT / "docs" / "img" / "trends.png") -> None:
    port = free_port()
    env = {**os.environ, "CALLHEAT_STORE_URL": store_url, "CALLHEAT_DASHBOARD_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "streaming.cli", "dashboard"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1500, "height": 1250}, timezone_id="Europe/London")
            page.goto(f"{base}/trends", wait_until="networkidle")
            page.get_by_text("Hot calls and escalations").wait_for(timeout=60_000)
            page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
            time.sleep(3)  # let the charts finish drawing
            page.screenshot(path=str(out), full_page=False)
            browser.close()
        print(f"wrote {out}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{ROOT / '.callheat/bench/history-30d.db'}")
