"""Screenshots of the wallboard and of a hot call for docs/img/, from a live `callheat run`.

Run by hand (not part of the tests)::

    .venv/bin/python scripts/wallboard_screenshots.py [--minutes 3]

It starts `callheat run` on free ports with a store in a temporary directory, lets
the simulated floor run, acknowledges the hottest call and marks another one not
hot as supervisor ``sup-ana`` (real actions through the broker), then saves
docs/img/wallboard.png and docs/img/call.png with Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streaming.broker import free_port  # noqa: E402
from streaming.store import open_store  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


def wait_for_app(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("callheat run did not start") from None
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long the floor runs first")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store_url = f"sqlite:///{tmp}/callheat.db"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLHEAT_")}
        env["CALLHEAT_DATA_DIR"] = tmp
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "callheat"), "run", "--port", str(port),
             "--broker-port", str(free_port()), "--store-url", store_url, "--concurrency", "24"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_app(url, proc)
            time.sleep(args.minutes * 60)
            store = open_store(store_url)
            live = sorted(store.live_calls(), key=lambda c: -c.risk)
            hot = [c for c in live if c.level == "hot"] or live[:1]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                if len(hot) > 1:  # a false alarm, as a supervisor would label it
                    page.goto(f"{url}/call?call_id={hot[-1].call_id}&sup=sup-ana")
                    page.get_by_role("button", name="Mark not hot").click()
                    expect(page.get_by_text("marked not hot").first).to_be_visible(timeout=30_000)
                page.goto(f"{url}/?sup=sup-ana")
                tile = page.locator(f".st-key-tile-hot-{hot[0].call_id}")
                expect(tile).to_be_visible(timeout=30_000)
                tile.get_by_role("button", name="I'm on it").click()
                expect(tile).to_contain_text("On it: sup-ana", timeout=30_000)
                time.sleep(2)
                page.screenshot(path=str(args.out / "wallboard.png"), full_page=True)
                tile.get_by_role("link", name="Open").click()
                expect(page.get_by_role("heading", name="Act on this call")).to_be_visible(
                    timeout=30_000)  # fmt: skip
                time.sleep(3)
                page.screenshot(path=str(args.out / "call.png"), full_page=True)
                browser.close()
            store.close()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    print(f"saved {args.out / 'wallboard.png'} and {args.out / 'call.png'}")


if __name__ == "__main__":
    main()
