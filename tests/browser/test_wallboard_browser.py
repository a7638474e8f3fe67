"""The wallboard in a real headless Chromium (Debian's, /usr/bin/chromium), driven by Playwright.

The whole path is real: call events published to the real broker (Tansu), a
ScorerService consuming them into SQLite, the Streamlit server reading that store,
and the supervisor's whisper and feedback going back through the broker to the
agent's topic and to the same scorer. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from streaming.broker import free_port
from streaming.children import dashboard_command
from streaming.events import encode
from streaming.settings import Settings
from streaming.store import Store, open_store
from tests.dashboard.conftest import floor_scripts
from tests.streaming.test_consumer import Running, events_of, publish, read_topic, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.broker]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERVER_LOG = ARTIFACTS / "wallboard-server.log"  # the Streamlit server's stderr: what each send did
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():  # `make test` installs it as root; say so when it could not
    pytest.skip("no Chromium at /usr/bin/chromium (make test installs Debian's chromium as root)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
# Playwright's 5 s default for expectations is short on a loaded 2-core CI machine,
# where a rerun of the page can take longer; a real failure still fails, later.
sync_api.expect.set_options(timeout=30_000)


@pytest.fixture
def scorer(kafka_settings: Settings) -> Iterator[Running]:
    """A real ScorerService on a thread, consuming call-events and supervisor-actions."""
    running = Running(kafka_settings)
    yield running
    running.close()


@pytest.fixture
def app(kafka_settings: Settings, scorer: Running) -> Iterator[str]:
    """The wallboard served by Streamlit on a free port over the scorer's store."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLHEAT_")}
    env.update({"CALLHEAT_STORE_URL": kafka_settings.store_url.get_secret_value(),
                "CALLHEAT_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
                "CALLHEAT_TOPIC_PREFIX": kafka_settings.topic_prefix,
                "CALLHEAT_STALE_AFTER_S": "100000",
                # refresh faster than the default 1 s: timed fragment reruns racing a
                # navigation once left the call page blank; this keeps that covered
                "CALLHEAT_REFRESH_S": "0.3"})
    command = dashboard_command(kafka_settings.model_copy(update={"dashboard_port": port}))
    ARTIFACTS.mkdir(exist_ok=True)
    with SERVER_LOG.open("w") as server_log:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=server_log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "streamlit did not start"
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def feedback_learned(store: Store, scorer: Running) -> int:
    """How many feedback labels the scorer has learned from.

    The scorer's own figure in the store (meta ``validation``, ``feedback_labels``)
    when it reports one; else the risk model's label count on the running service.
    """
    raw = store.meta("validation")
    figures = json.loads(raw) if raw else {}
    if "feedback_labels" in figures:
        return int(figures["feedback_labels"])
    return int(scorer.service.scorer.risk.n_labels)


def sends_seen(records: dict) -> str:
    """What a failed count shows: each record's place and action id, and the server's log of
    what the page sent (one line per send)."""
    seen = [(p, o, json.loads(m.value).get("action_id")) for (p, o), m in sorted(records.items())]
    log = SERVER_LOG.read_text(errors="replace").splitlines() if SERVER_LOG.exists() else []
    return f"records (partition, offset, action_id): {seen}; the wallboard's log:\n" + "\n".join(log[-30:])


def transfer(settings: Settings, store: Store, call_id: str, to_agent_id: str | None = None) -> None:
    """The call moves to the retention queue: waiting there, or taken by ``to_agent_id``; returns
    once the scorer has stored it."""
    call = store.get_call(call_id)
    assert call is not None
    event = {"type": "transfer", "call_id": call_id, "seq": call.last_seq + 1, "to_queue": "retention",
             "ts": datetime.fromtimestamp(call.updated_at + 2, UTC).isoformat()}  # fmt: skip
    if to_agent_id:
        event["to_agent_id"] = to_agent_id
    publish(settings, [(call_id, encode(event))])
    assert wait_for(lambda: (c := store.get_call(call_id)) is not None and c.last_seq == event["seq"])
    got = store.get_call(call_id)
    assert got is not None and got.status == "live" and got.agent_id == to_agent_id


def test_a_hot_call_appears_the_supervisor_whispers_and_marks_it_not_hot(app, kafka_settings, scorer):
    settings = kafka_settings
    store = open_store(settings.store_url)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        # a self-hosted floor may have no internet: the pages ask nothing of any other host
        # (the favicon came from fonts.gstatic.com, found by a floor review)
        elsewhere: list[str] = []
        page.on("request", lambda r: elsewhere.append(r.url)
                if urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(r.url).hostname not in ("localhost", "127.0.0.1") else None)  # fmt: skip
        try:
            page.goto(f"{app}/?sup=sup-ana")
            sync_api.expect(page.get_by_text("No live calls right now.")).to_be_visible(timeout=30_000)

            publish(settings, events_of(*floor_scripts(time.time())))  # the floor goes live
            assert scorer.wait_for(lambda: any(c.level == "hot" for c in store.live_calls()))
            hottest = max(store.live_calls(), key=lambda c: c.risk)
            assert hottest.level == "hot" and hottest.agent_id and hottest.reasons
            tile = page.locator(f".st-key-tile-hot-{hottest.call_id}")
            sync_api.expect(tile).to_be_visible(timeout=30_000)
            sync_api.expect(tile).to_contain_text(hottest.agent_name or "")
            sync_api.expect(tile).to_contain_text(hottest.reasons[0])
            sync_api.expect(page.get_by_text("your alert precision: no feedback yet")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "wallboard.png"), full_page=True)
            # the grid: four tiles to a line (the default), equal widths filling the line,
            # the fifth on the next line
            tiles = page.locator("[class*='st-key-ch-grid4-'] > [data-testid='stLayoutWrapper']")
            sync_api.expect(tiles.nth(4)).to_be_visible(timeout=30_000)
            boxes = [tiles.nth(i).bounding_box() for i in range(5)]
            grid = page.locator("[class*='st-key-ch-grid4-']").bounding_box()
            assert grid is not None and all(boxes)
            first = boxes[:4]
            assert max(b["y"] for b in first) - min(b["y"] for b in first) < 1  # type: ignore[index]
            assert max(b["width"] for b in first) - min(b["width"] for b in first) < 1  # type: ignore[index]
            assert 0.85 * grid["width"] < 4 * first[0]["width"] <= grid["width"]  # type: ignore[index]
            assert boxes[4]["y"] > first[0]["y"] + 20  # type: ignore[index]

            tile.get_by_role("link", name="Open").click()
            page.wait_for_url(f"**/call?*call_id={hottest.call_id}*", timeout=30_000)
            sync_api.expect(page.get_by_role("heading", name="Act on this call")).to_be_visible(
                timeout=30_000)
            sync_api.expect(page.get_by_label("Supervisor")).to_have_value("sup-ana")
            sync_api.expect(page.get_by_text(hottest.reasons[0]).first).to_be_visible()
            box = page.get_by_label("Whisper to the agent")
            box.fill("Acknowledge the repeat call and own it.")
            box.press("Control+Enter")  # commit the text area before clicking
            page.get_by_role("button", name="Send whisper").click()
            sync_api.expect(page.get_by_text("Whisper sent").first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "call.png"), full_page=True)

            # one whisper on the broker: read on for a second one, which would show here too (two
            # deliveries of one record, the same partition and offset, are the client's, not a send)
            coaching = {(m.partition, m.offset): m for m in
                        read_topic(settings, settings.topics.agent_coaching, 2, timeout_s=5)}  # fmt: skip
            assert len(coaching) == 1, sends_seen(coaching)
            (record,) = coaching.values()
            message = json.loads(record.value)
            assert record.key.decode() == hottest.agent_id
            assert message["text"] == "Acknowledge the repeat call and own it."
            assert message["supervisor_id"] == "sup-ana"

            before = feedback_learned(store, scorer)
            page.get_by_role("button", name="Mark not hot").click()
            sync_api.expect(page.get_by_text("marked not hot").first).to_be_visible(timeout=30_000)

            # transferred to a queue, the page reopened while it waits there, then picked up by an
            # agent: the buttons follow the call (they stayed disabled, under "The call is live:
            # ... are for live calls", until the page was reloaded)
            whisper, barge = (page.get_by_role("button", name=n) for n in ("Send whisper", "Barge in"))
            waiting = page.get_by_text("waiting in retention for an agent")
            transfer(settings, store, hottest.call_id)
            sync_api.expect(whisper).to_be_disabled()
            sync_api.expect(waiting).to_be_visible()
            page.reload()
            sync_api.expect(waiting).to_be_visible(timeout=30_000)
            sync_api.expect(whisper).to_be_disabled()
            typing = page.get_by_label("Whisper to the agent")
            typing.fill("Welcome them, then own the refund.")  # typed while it waits, not sent yet
            transfer(settings, store, hottest.call_id, to_agent_id="a-zoe")
            sync_api.expect(whisper).to_be_enabled()
            sync_api.expect(typing).to_have_value("Welcome them, then own the refund.")  # kept on the rerun
            sync_api.expect(barge).to_be_enabled()
            sync_api.expect(waiting).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "call-picked-up.png"), full_page=True)
            assert elsewhere == [], elsewhere
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "browser-failed.png"), full_page=True)
            raise
        finally:
            browser.close()

    assert scorer.wait_for(lambda: feedback_learned(store, scorer) > before), "the scorer did not learn"
    stored = store.actions(hottest.call_id)  # the page's write and the scorer's, kept once each
    assert [(a.action, a.supervisor_id) for a in stored] == [("whisper", "sup-ana"),
                                                            ("feedback", "sup-ana")]  # fmt: skip
    assert stored[0].text == message["text"] and stored[1].label == "not_hot"
    assert stored[0].action_id == message["action_id"]
    # and the wallboard's log says who sent what, once
    sent = [ln for ln in SERVER_LOG.read_text().splitlines() if "sup-ana sent whisper" in ln]
    assert len(sent) == 1 and f"whisper {message['action_id']} on call {hottest.call_id}" in sent[0], sent
    store.close()
