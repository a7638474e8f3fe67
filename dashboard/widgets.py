"""Small Streamlit widgets the pages compose: tiles, header figures, transcript lines.

The HTML builders (``tile_html``, ``turn_html``, ``banner_html``) are plain functions
that escape every value that comes from a call; the ``show_*`` functions put them
on the page. Levels are coloured with CSS on keyed containers (``st-key-...``).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import streamlit as st

from dashboard import views
from dashboard.charts import sparkline
from dashboard.views import Freshness, Header, QueueWait, Tile, TranscriptLine
from streaming.store import CallRow

LEVEL_COLORS = {  # level -> (accent, background, text)
    "hot": ("#dc2626", "#fde8e8", "#991b1b"),
    "warming": ("#f59e0b", "#fef6e0", "#92400e"),
    "calm": ("#34a36b", "#f5f8f6", "#1f5f3f"),
}


def _level_css() -> str:
    rules = []
    for level, (accent, bg, text) in LEVEL_COLORS.items():
        rules.append(
            f'div[class*="st-key-tile-{level}-"], div[class*="st-key-banner-{level}"] '
            f"{{ background: {bg}; border: 1px solid {accent}55 !important; "
            f"border-left: 12px solid {accent} !important; border-radius: 10px; }}"
            f" .ch-{level} .ch-risk {{ color: {text}; }}"
            f" .ch-{level} .ch-spark {{ color: {accent}; }}"
            f" .ch-pill-{level} {{ background: {accent}; }}"
        )
    return "\n".join(rules)


BASE_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 4rem; padding-bottom: 1rem; }
[data-testid="stMetricValue"] { font-size: 2.6rem; font-weight: 700; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem; }
div[class*="st-key-metric-alert"] [data-testid="stMetricValue"] { color: #dc2626; }
div[class*="st-key-metric-alert"] { background: #fde8e8; border-radius: 10px; }
.ch-tile { line-height: 1.3; }
.ch-row { display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
.ch-name { font-size: 1.45rem; font-weight: 700; overflow: hidden; text-overflow: ellipsis;
           white-space: nowrap; }
.ch-risk { font-size: 2.1rem; font-weight: 800; line-height: 1; }
.ch-meta { font-size: 1.0rem; opacity: .8; }
.ch-dur { font-size: 1.2rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.ch-pill { border-radius: 4px; padding: .05rem .4rem; font-size: .8rem; font-weight: 800;
           letter-spacing: .05em; text-transform: uppercase; color: white; margin-right: .3rem;
           white-space: nowrap; }
.ch-pill-hold { background: #64748b; }
.ch-sent { display: flex; align-items: center; gap: .6rem; margin-top: .3rem;
           font-size: 1.05rem; }
.ch-sent b { font-variant-numeric: tabular-nums; }
.ch-noconsent { margin-top: .35rem; font-style: italic; opacity: .75; }
ul.ch-reasons { margin: .3rem 0 0 0; padding-left: 1.1rem; font-size: 1.0rem; }
ul.ch-reasons li { margin: 0; }
.ch-turn { padding: .25rem .5rem; margin: 0; border-radius: 6px; }
.ch-turn-customer { background: #eef4ff; }
.ch-turn-agent { background: #f4f4f5; }
.ch-at { font-variant-numeric: tabular-nums; opacity: .6; margin-right: .4rem; }
.ch-s-negative { color: #b91c1c; font-weight: 700; }
.ch-s-positive { color: #15803d; font-weight: 700; }
.ch-s-neutral { opacity: .7; }
.ch-banner { padding-bottom: .5rem; }
.ch-fresh { text-align: right; opacity: .65; font-size: .95rem; }
.ch-banner-title { font-size: 1.9rem; font-weight: 800; }
.ch-banner-sub { font-size: 1.15rem; opacity: .85; }
table.ch-queues { width: 100%; font-size: 1.1rem; border-collapse: collapse; }
table.ch-queues th { text-align: left; font-size: .85rem; opacity: .7; font-weight: 600; }
table.ch-queues td, table.ch-queues th { padding: .3rem .25rem; border: none;
                                         border-bottom: 1px solid #e5e7eb; }
div[class*="st-key-tile-"] [data-testid="stPageLink"] a {
    justify-content: center; border: 1px solid #cbd5e1; border-radius: 8px; background: white;
    padding: .35rem .5rem; margin-top: .2rem; }
div[class*="st-key-tile-"] [data-testid="stPageLink"] a:hover { border-color: #64748b; }
div[class*="st-key-tile-"] [data-testid="stPageLink"] p { font-size: 1.0rem; font-weight: 600; }
table.ch-queues td.n { text-align: right; font-weight: 700; font-variant-numeric: tabular-nums; }
"""
CSS = f"<style>{BASE_CSS}{_level_css()}</style>"


def inject_css() -> None:
    st.html(CSS)


# --- plain HTML builders -------------------------------------------------------------------


def _sentiment_span(value: float | None) -> str:
    word = views.sentiment_word(value)
    return f'<b class="ch-s-{word}">{escape(views.fmt_sentiment(value))}</b>'


def _pills(level: str, hot_for: str | None, on_hold: bool) -> str:
    text = level + (f" {hot_for}" if hot_for else "")
    hold = '<span class="ch-pill ch-pill-hold">on hold</span>' if on_hold else ""
    return f'<span><span class="ch-pill ch-pill-{level}">{escape(text)}</span>{hold}</span>'


def tile_html(t: Tile) -> str:
    """One tile's body as a single-line HTML block (markdown keeps it as raw HTML)."""
    parts = [
        f'<div class="ch-tile ch-{t.level}">',
        f'<div class="ch-row"><span class="ch-name">{escape(t.agent_name)}</span>'
        f'<span class="ch-risk">{views.fmt_risk(t.risk)}</span></div>',
        f'<div class="ch-row">{_pills(t.level, t.hot_for, t.on_hold)}'
        f'<span class="ch-dur">{t.duration}</span></div>',
        f'<div class="ch-meta">{escape(t.team)} · {escape(t.queue)}</div>',
    ]
    if not t.consent:
        parts.append(f'<div class="ch-noconsent">{views.NO_CONSENT}</div>')
    else:
        parts.append(f'<div class="ch-sent">sentiment {_sentiment_span(t.sentiment)}'
                     f"{sparkline(t.trend)}</div>")  # fmt: skip
        if t.reasons:
            items = "".join(f"<li>{escape(r)}</li>" for r in t.reasons)
            parts.append(f'<ul class="ch-reasons">{items}</ul>')
    parts.append("</div>")
    return "".join(parts)


def turn_html(line: TranscriptLine) -> str:
    speaker = "customer" if line.speaker == "customer" else "agent"
    return (
        f'<div class="ch-turn ch-turn-{speaker}"><span class="ch-at">{line.at}</span>'
        f"<b>{escape(line.speaker.capitalize())}</b> {_sentiment_span(line.sentiment)}"
        f"<div>{escape(line.text)}</div></div>"
    )


def banner_html(call: CallRow, now: float) -> str:
    """The call page's header: who, where, how long, how risky."""
    who = escape(call.agent_name or call.agent_id or "(no agent yet)")
    hot_for = None
    if call.level == "hot" and call.hot_since is not None:
        hot_for = views.fmt_duration(now - call.hot_since)
    duration = views.fmt_duration(views.call_duration_s(call, now))
    return (
        f'<div class="ch-tile ch-banner ch-{call.level}"><div class="ch-row">'
        f'<span class="ch-banner-title">{who}</span>'
        f'<span class="ch-risk">{views.fmt_risk(call.risk)}</span></div>'
        f'<div class="ch-row"><span class="ch-banner-sub">{escape(call.team or "—")} · '
        f"{escape(call.queue)} · {escape(call.status)} · "
        f'<span class="ch-dur">{duration}</span></span>'
        f"{_pills(call.level, hot_for, call.on_hold)}</div></div>"
    )


def queue_html(rows: Sequence[QueueWait]) -> str:
    body = "".join(
        f'<tr><td>{escape(r.queue)}</td><td class="n">{r.waiting}</td>'
        f'<td class="n">{views.fmt_duration(r.longest_wait_s)}</td></tr>'
        for r in rows
    )
    return (f'<table class="ch-queues"><tr><th>queue</th><th>waiting</th><th>longest</th></tr>'
            f"{body}</table>")  # fmt: skip


# --- Streamlit pieces ----------------------------------------------------------------------


def show_header(h: Header) -> None:
    """Live calls, hot calls, waiting, longest wait, average sentiment, longest hot call."""
    cols = st.columns(6)
    figures = [
        ("Live calls", str(h.live), False),
        ("Hot calls", str(h.hot), h.hot > 0),
        ("Calls waiting", str(h.waiting), False),
        ("Longest wait", views.fmt_duration(h.longest_wait_s), False),
        ("Avg customer sentiment", views.fmt_sentiment(h.avg_sentiment), False),
        ("Longest hot call", views.fmt_duration(h.longest_hot_s), h.longest_hot_s is not None),
    ]
    for col, (label, value, alert) in zip(cols, figures, strict=True):
        key = f"metric-{'alert' if alert else 'plain'}-{label.lower().replace(' ', '-')}"
        with col, st.container(border=True, key=key):
            st.metric(label, value)


def show_freshness(f: Freshness) -> None:
    if f.stale:
        st.warning(f.text, icon=":material/warning:")
    else:
        st.markdown(f'<div class="ch-fresh">{escape(f.text)}</div>', unsafe_allow_html=True)


def show_tile(t: Tile, call_page: str) -> None:
    """Draw one tile with an Open link to the call's page.

    A link, not a button calling st.switch_page: a switch from inside the
    auto-refreshing fragment races with that fragment's next timed rerun, which
    could leave the call page blank (seen in the browser test at short refreshes).
    """
    with st.container(border=True, key=f"tile-{t.level}-{t.call_id}"):
        st.markdown(tile_html(t), unsafe_allow_html=True)
        st.page_link(call_page, label="Open", query_params={"call_id": t.call_id},
                     width="stretch")


def show_grid(tiles: Sequence[Tile], per_row: int, call_page: str) -> None:
    """Tiles in rows of ``per_row``."""
    for start in range(0, len(tiles), per_row):
        row = tiles[start : start + per_row]
        for col, t in zip(st.columns(per_row), row, strict=False):
            with col:
                show_tile(t, call_page)


def show_queue_table(rows: Sequence[QueueWait]) -> None:
    st.markdown("#### Calls waiting")
    if not rows:
        st.caption("No calls waiting.")
        return
    st.markdown(queue_html(rows), unsafe_allow_html=True)
