"""Text from calls on the page: never markdown or HTML, never a crash (dashboard.safe, formats)."""

from __future__ import annotations

import html
import re

import pytest

from dashboard import safe, trend_charts, views, widgets
from streaming.store import CallRow
from tests.dashboard.test_views import NOW, live

LINK = "Ana\n\n[Supervisor login expired - sign in](https://evil.example/sso)"
INJECTIONS = [
    LINK,
    "Ana\n\n# You are fired",
    "x\r\n\r\n![](https://evil.example/pixel)",
    "x\n\n* * *\n\n- a list\n1. numbered",
    "see www.evil.example or mail boss@evil.example or https://evil.example",
    "$\\frac{1}{2}$ :red[alarm] **bold** _it_ ~~gone~~ `code` <b>tag</b> &amp;",
    "x\x00\x1b\x85\u2028\u2029y",
]
# what a markdown renderer could make of a value: a link, an image, a heading, a list, a line break,
# emphasis, code, math, a colour directive, a raw tag, an autolink
ACTIVE = re.compile(r"[\[\]()!#*_~`$:<>@&\\\n\r]|www\.|https?:")


def shows(text: str) -> str:
    """What a value's markdown reads as once its character references are decoded (without the
    invisible word joiners that keep GFM from linking a bare address)."""
    return html.unescape(text).replace("\u2060", "")


# what GFM links in text, its character references decoded (mdast-util-gfm-autolink-literal)
AUTOLINK = re.compile(r"(?i)https?://|www\.|[-.\w+]@\w")


@pytest.mark.parametrize("value", INJECTIONS)
def test_md_leaves_nothing_markdown_or_html_could_act_on(value):
    out = safe.md(value)
    assert not ACTIVE.search(re.sub(r"&#\d+;", "", out)), out  # only character references
    assert not AUTOLINK.search(html.unescape(out)), out
    assert shows(out) == re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", value)


@pytest.mark.parametrize("name", ["O'Brien", "Billing & Payments", "Dana_Ruiz", "Chloé Martin",
                                  "tech-support (EU)", "50% off? #1"])  # fmt: skip
def test_md_reads_as_the_name_itself_with_no_backslash(name):
    assert "\\" not in safe.md(name) and shows(safe.md(name)) == name


def test_md_keeps_a_transcripts_line_breaks_as_br_only_when_asked():
    assert safe.md("a\nb\r\nc\rd", breaks=True) == "a<br>b<br>c<br>d"
    assert safe.md("a\nb") == "a b"
    assert safe.md("[x](y)\n# z", breaks=True) == "&#91;x&#93;&#40;y&#41;<br>&#35; z"


def test_plot_text_has_no_tags_or_line_breaks():
    out = safe.plot("<a href='https://evil.example'>click</a>\n<br>")
    assert "<" not in out and ">" not in out and "\n" not in out
    assert shows(out) == "<a href='https://evil.example'>click</a> <br>"


def _one_html_block(block: str) -> None:
    """A raw HTML block stays one (CommonMark ends it at a blank line) and holds no link."""
    assert "\n" not in block and "\r" not in block
    assert "<a " not in block and "<img" not in block and "](" not in block


@pytest.mark.parametrize("value", INJECTIONS)
def test_tiles_banner_and_transcript_keep_call_text_inside_their_html_block(value):
    call = live("x", "hot", 0.9, agent_name=value, team=value, queue=value, reasons=(value,))
    tile = views.tile(call, NOW, on_it=(value,))
    for block in (widgets.tile_html(tile), widgets.compact_tile_html(tile),
                  widgets.banner_html(call, NOW)):  # fmt: skip
        _one_html_block(block)
        assert safe.md(value) in block
    line = views.TranscriptLine(seq=1, at="00:01", speaker="customer", text=value, sentiment=-0.5)
    turn = widgets.turn_html(line)
    assert "\n" not in turn and "<a " not in turn and safe.md(value, breaks=True) in turn


def test_a_tile_of_an_injected_agent_name_reads_as_that_name():
    tile = widgets.tile_html(views.tile(live("x", agent_name=LINK), NOW))
    assert '<span class="ch-name">' + safe.md(LINK) + "</span>" in tile
    assert "Supervisor login expired - sign in" in shows(tile)


def test_a_queue_name_is_no_part_of_the_drift_charts_hover_template():
    import pandas as pd

    queue = "%{customdata[0]} <a href='https://evil.example'>x</a>"
    drifts = pd.DataFrame({"queue": [queue], "time": [pd.Timestamp("2026-11-25 20:00")],
                           "mean_before": [0.3], "mean_after": [-0.1], "change": [-0.4]})  # fmt: skip
    trace = trend_charts.drift_chart(drifts).data[0]
    assert "evil" not in trace.hovertemplate and "%{customdata[2]}" in trace.hovertemplate
    assert trace.name == safe.plot(queue) and list(trace.customdata[0][:2]) == [0.3, -0.4]
    assert trace.customdata[0][2] == safe.plot(queue)


def test_the_call_id_and_status_of_an_unknown_call_are_text():
    # the banner of a call whose status and agent came from events
    call = CallRow(call_id="c", status="live\n\n# x", queue="q", customer_id="k", updated_at=NOW,
                   agent_name=None, agent_id="[a](https://evil.example)")  # fmt: skip
    _one_html_block(widgets.banner_html(call, NOW))
