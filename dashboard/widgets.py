"""Small Streamlit widgets the pages compose: tiles, header figures, transcript lines.

The HTML builders (``tile_html``, ``turn_html``, ``banner_html``) are plain functions
that pass every value that comes from a call through :func:`dashboard.safe.md` (escaped
and on one line, so it can neither end the HTML block nor be read as markdown); the
``show_*`` functions put them on the page. Levels are coloured with CSS on keyed
containers (``st-key-...``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from dashboard import safe, views
from dashboard.charts import sparkline
from dashboard.queues import QueueFigures, fmt_share, total
from dashboard.views import Freshness, Header, Tile, TranscriptLine
from streaming.errors import StoreError
from streaming.scoring.playbook import Cue
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


GRID_GAP_REM = 1.0
GRID_WIDTHS = range(1, 9)  # tiles per line a grid can be drawn with


def _grid_css() -> str:
    """A grid of ``n`` tiles per line: each tile's wrapper takes 1/n of the line, less the gaps."""
    return "\n".join(
        f'div[class*="st-key-ch-grid{n}-"] {{ column-gap: {GRID_GAP_REM}rem; }}'
        f' div[class*="st-key-ch-grid{n}-"] > [data-testid="stLayoutWrapper"]'
        f" {{ flex: 0 0 calc((100% - {(n - 1) * GRID_GAP_REM}rem) / {n}); min-width: 0; }}"
        for n in GRID_WIDTHS
    ) + (  # a phone: one tile per line, as st.columns would stack them
        '\n@media (max-width: 640px) { div[class*="st-key-ch-grid"] > [data-testid="stLayoutWrapper"]'
        " { flex-basis: 100%; } }"
    )


BASE_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 4rem; padding-bottom: 1rem; }
[data-testid="stMetricValue"] { font-size: 2.6rem; font-weight: 700; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem; }
div[class*="st-key-metric-alert"] [data-testid="stMetricValue"] { color: #dc2626; }
div[class*="st-key-metric-alert"] { background: #fde8e8; border-radius: 10px; }
.ch-tile { line-height: 1.3; }
.ch-row { display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
.ch-name { font-size: 1.45rem; font-weight: 700; min-width: 0; overflow-wrap: anywhere; }
.ch-row .ch-risk { flex-shrink: 0; }
.ch-risk { font-size: 2.1rem; font-weight: 800; line-height: 1; }
.ch-meta { font-size: 1.0rem; opacity: .8; }
.ch-dur { font-size: 1.2rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.ch-pill { border-radius: 4px; padding: .05rem .4rem; font-size: .8rem; font-weight: 800;
           letter-spacing: .05em; text-transform: uppercase; color: white; margin-right: .3rem;
           white-space: nowrap; }
.ch-pill-hold { background: #64748b; }
.ch-pill-ended { background: #64748b; }
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
table.ch-queues th.n { text-align: right; }
table.ch-queues tr.ch-total td { font-weight: 800; border-bottom: none; }
table.ch-queues td.ch-bad { color: #b91c1c; }
.ch-pills { display: flex; flex-wrap: wrap; gap: .2rem 0; min-width: 0; }
.ch-dur { flex-shrink: 0; }
.ch-pill-new { background: #111827; animation: ch-blink 1s steps(2, start) infinite; }
.ch-pill-budget { background: #9a3412; }
@keyframes ch-blink { to { visibility: hidden; } }
div[class*="st-key-tile-hot-"]:has(.ch-new) { box-shadow: 0 0 0 5px #dc2626; }
.ch-whisper { margin-top: .3rem; font-size: 1.0rem; font-style: italic; overflow-wrap: anywhere; }
.ch-onit { margin-top: .3rem; font-weight: 700; color: #1d4ed8; }
.ch-budget-note { margin-top: .2rem; font-size: .95rem; color: #9a3412; font-weight: 600; }
.ch-compact .ch-name { font-size: 1.1rem; }
.ch-compact .ch-meta { font-size: .9rem; }
div[class*="st-key-beep"] { height: 0; overflow: hidden; }
div.st-key-suggestions { gap: .1rem; }
div.st-key-suggestions button { min-height: 0; padding: .1rem 0; text-align: left; }
.ch-cue { margin: .15rem 0 .5rem 0; }
.ch-cue-whisper { opacity: .85; font-style: italic; }
"""
# TV mode: the same board, read from across the room.
TV_CSS = """
[data-testid="stMetricValue"] { font-size: 3.6rem; }
[data-testid="stMetricLabel"] p { font-size: 1.35rem; }
.ch-name { font-size: 2.1rem; }
.ch-risk { font-size: 3.0rem; }
.ch-meta, .ch-sent, ul.ch-reasons, .ch-whisper, .ch-onit, .ch-budget-note { font-size: 1.4rem; }
.ch-dur { font-size: 1.7rem; }
.ch-pill { font-size: 1.1rem; }
.ch-compact .ch-name { font-size: 1.35rem; }
.ch-compact .ch-meta, .ch-compact .ch-dur { font-size: 1.15rem; }
table.ch-queues { font-size: 1.4rem; }
div[class*="st-key-ch-title"] h3 { font-size: 2.2rem; }
"""
CSS = f"<style>{BASE_CSS}{_level_css()}\n{_grid_css()}</style>"


def inject_css(tv: bool = False) -> None:
    st.html(CSS + (f"<style>{TV_CSS}</style>" if tv else ""))


# --- plain HTML builders -------------------------------------------------------------------


def _sentiment_span(value: float | None) -> str:
    word = views.sentiment_word(value)
    return f'<b class="ch-s-{word}">{views.fmt_sentiment(value)}</b>'


def _pills(level: str, hot_for: str | None, on_hold: bool, new: bool = False,
           over_budget: bool = False, ended: bool = False) -> str:  # fmt: skip
    text = ("was " if ended else "") + level + (f" {hot_for}" if hot_for else "")
    css = "ch-pill-ended" if ended else f"ch-pill-{level}"
    pills = [f'<span class="ch-pill {css}">{text}</span>']  # the scorer's level, a duration
    if new:
        pills.append('<span class="ch-pill ch-pill-new">new</span>')
    if over_budget:
        pills.append('<span class="ch-pill ch-pill-budget">over budget</span>')
    if on_hold:
        pills.append('<span class="ch-pill ch-pill-hold">on hold</span>')
    return f'<span class="ch-pills">{"".join(pills)}</span>'


def _on_it(names: Sequence[str]) -> str:
    return f'<div class="ch-onit">On it: {safe.md(", ".join(names))}</div>' if names else ""


WHISPER_LEVELS = ("hot", "warming")  # tiles that show the suggested whisper
TILE_WHISPER_CHARS = 90  # about two lines of a tile; the call page has the whole text


def tile_html(t: Tile) -> str:
    """One tile's body as a single-line HTML block (markdown keeps it as raw HTML); a hot or
    warming tile ends with the suggested whisper, shortened to :data:`TILE_WHISPER_CHARS`."""
    parts = [
        f'<div class="ch-tile ch-{t.level}{" ch-new" if t.new_hot else ""}">',
        f'<div class="ch-row"><span class="ch-name">{safe.md(t.agent_name)}</span>'
        f'<span class="ch-risk">{views.fmt_risk(t.risk)}</span></div>',
        f'<div class="ch-row">{_pills(t.level, t.hot_for, t.on_hold, t.new_hot, t.over_budget)}'
        f'<span class="ch-dur">{t.duration}</span></div>',
        f'<div class="ch-meta">{safe.md(t.team)} · {safe.md(t.queue)}</div>',
    ]
    if t.over_budget:
        parts.append('<div class="ch-budget-note">hot, over the alert budget</div>')
    parts.append(_on_it(t.on_it))
    if not t.consent:
        parts.append(f'<div class="ch-noconsent">{views.NO_CONSENT}</div>')
    else:
        parts.append(f'<div class="ch-sent">sentiment {_sentiment_span(t.sentiment)}'
                     f"{sparkline(t.trend)}</div>")  # fmt: skip
        if t.reasons:
            items = "".join(f"<li>{safe.md(r)}</li>" for r in t.reasons)
            parts.append(f'<ul class="ch-reasons">{items}</ul>')
        if t.whisper and t.level in WHISPER_LEVELS:  # what to tell the agent, at a glance
            whisper = safe.md(views.shorten(t.whisper, TILE_WHISPER_CHARS))
            parts.append(f'<div class="ch-whisper">Whisper: “{whisper}”</div>')
    parts.append("</div>")
    return "".join(parts)


def compact_tile_html(t: Tile) -> str:
    """A calm call in TV mode: who, how long, risk and sentiment on two short lines."""
    sentiment = "" if not t.consent else f" · {_sentiment_span(t.sentiment)}"
    consent = "" if t.consent else f" · {views.NO_CONSENT}"
    return (
        f'<div class="ch-tile ch-compact ch-{t.level}"><div class="ch-row">'
        f'<span class="ch-name">{safe.md(t.agent_name)}</span>'
        f'<span class="ch-dur">{t.duration}</span></div>'
        f'<div class="ch-meta">{safe.md(t.queue)} · {views.fmt_risk(t.risk)}{sentiment}{consent}'
        f"</div>{_on_it(t.on_it)}</div>"
    )


def turn_html(line: TranscriptLine) -> str:
    speaker = "customer" if line.speaker == "customer" else "agent"
    return (
        f'<div class="ch-turn ch-turn-{speaker}"><span class="ch-at">{line.at}</span>'
        f"<b>{safe.md(line.speaker.capitalize())}</b> {_sentiment_span(line.sentiment)}"
        f"<div>{safe.md(line.text, breaks=True)}</div></div>"
    )


def banner_html(call: CallRow, now: float) -> str:
    """The call page's header: who, where, how long, how risky.

    An ended call's clocks stop at its end, and its level is what it was ("was hot 01:16").
    """
    who = safe.md(call.agent_name or call.agent_id or "(no agent yet)")
    ended = call.ended_at is not None
    hot_for = None
    if call.level == "hot" and call.hot_since is not None:
        hot_for = views.fmt_duration((now if call.ended_at is None else call.ended_at) - call.hot_since)
    duration = views.fmt_duration(views.call_duration_s(call, now))
    waited = "" if call.wait_s is None else f" · waited {views.fmt_duration(call.wait_s)}"
    return (
        f'<div class="ch-tile ch-banner ch-{call.level}"><div class="ch-row">'
        f'<span class="ch-banner-title">{who}</span>'
        f'<span class="ch-risk">{views.fmt_risk(call.risk)}</span></div>'
        f'<div class="ch-row"><span class="ch-banner-sub">{safe.md(call.team or "—")} · '
        f"{safe.md(call.queue)} · {safe.md(call.status)} · "
        f'<span class="ch-dur">{duration}</span>{waited}</span>'
        f"{_pills(call.level, hot_for, call.on_hold and not ended, ended=ended)}</div></div>"
    )


def _queue_row(r: QueueFigures, target: float, css: str = "") -> str:
    level = r.service_level
    bad = ' ch-bad' if level is not None and level < target else ""
    return (
        f'<tr class="{css}"><td>{safe.md(r.queue)}</td><td class="n">{r.waiting}</td>'
        f'<td class="n">{views.fmt_duration(r.longest_wait_s)}</td>'
        f'<td class="n{bad}">{fmt_share(level)}</td>'
        f'<td class="n">{fmt_share(r.abandon_rate)}</td></tr>'
    )


def queue_html(rows: Sequence[QueueFigures], target: float = 0.8) -> str:
    """Per queue: waiting, longest wait, service level, abandon rate; then all queues.

    A service level under ``target`` (the usual 80/20 goal) is shown in red.
    """
    body = "".join(_queue_row(r, target) for r in rows)
    if len(rows) > 1:
        body += _queue_row(total(rows), target, "ch-total")
    return ('<table class="ch-queues"><tr><th>queue</th><th class="n">waiting</th>'
            '<th class="n">longest</th><th class="n">SL</th>'
            f'<th class="n">aband.</th></tr>{body}</table>')  # fmt: skip


def cue_html(cue: Cue) -> str:
    """A playbook cue: the lapse, and the whisper the playbook suggests for it."""
    whisper = "" if not cue.whisper else f'<div class="ch-cue-whisper">“{safe.md(cue.whisper)}”</div>'
    return f'<div class="ch-cue"><b>{safe.md(cue.reason)}</b>{whisper}</div>'


# --- Streamlit pieces ----------------------------------------------------------------------


def show_header(h: Header) -> None:
    """Live calls, hot now, average sentiment, interventions, longest hot call, calls waiting."""
    cols = st.columns(6)
    intervened = "—" if h.intervened is None else str(h.intervened)
    figures = [
        ("Live calls", str(h.live), False, None, None),
        ("Hot now", str(h.hot), h.hot > 0,
         f"+{h.over_budget} over budget, shown as warming" if h.over_budget else None,
         "Calls shown hot now (at most the alert budget, if one is set)"),
        ("Avg sentiment", views.fmt_sentiment(h.avg_sentiment), False, None,
         "Average customer sentiment of the live calls (calls with consent), from -1 to +1"),
        ("Whisper/barge 1 h", intervened, False, None,
         "Calls whispered to or barged in on in the last hour"),
        ("Longest hot", views.fmt_duration(h.longest_hot_s), h.longest_hot_s is not None, None,
         "How long the call that has been hot longest has been hot"),
        ("Calls waiting", str(h.waiting), False,
         f"longest {views.fmt_duration(h.longest_wait_s)}" if h.waiting else None, None),
    ]  # fmt: skip
    for col, (label, value, alert, note, explain) in zip(cols, figures, strict=True):
        slug = "".join(ch if ch.isalnum() else "-" for ch in label.lower())
        key = f"metric-{'alert' if alert else 'plain'}-{slug}"
        with col, st.container(border=True, key=key):
            st.metric(label, value, help=explain)
            if note:
                st.caption(note)


# stale: every figure of the board greyed, the header's red figures and the queue table too
STALE_CSS = """<style>
div[class*="st-key-tile-"], div[class*="st-key-metric-"], table.ch-queues
{ opacity: .5; filter: grayscale(1); }
</style>"""


def show_stale_board(f: Freshness) -> None:
    """Across the board, not in a corner: tiles, header figures and queue table greyed, the
    clocks stopped."""
    st.markdown(STALE_CSS, unsafe_allow_html=True)
    st.error(f"{safe.md(f.text)}: the board shows the calls as they were then, their clocks stopped. "
             "Is the scorer running?", icon=":material/warning:")  # fmt: skip


def show_stale_call(f: Freshness) -> None:
    """The call page's form of :func:`show_stale_board`: the banner says the call is as it was."""
    st.error(f"{safe.md(f.text)}: the call is shown as it was then, its clocks stopped. "
             "Is the scorer running?", icon=":material/warning:")  # fmt: skip


STORE_DOWN_KEY = "ch-store-down-at"


def show_store_down(exc: StoreError, retry_s: float) -> None:
    """The store cannot be read: say so in one line (no traceback), and try again every
    ``retry_s`` by itself, so a wall screen comes back without anyone reloading it."""
    st.error(f"The store cannot be read ({safe.md(exc)}). This page tries again every {retry_s:g} s.",
             icon=":material/cloud_off:")  # fmt: skip
    st.session_state[STORE_DOWN_KEY] = time.time()

    @st.fragment(run_every=retry_s)
    def retry() -> None:
        if time.time() - st.session_state.get(STORE_DOWN_KEY, 0.0) >= retry_s:
            st.rerun(scope="app")

    retry()


def show_freshness(f: Freshness) -> None:
    if f.stale:
        st.warning(safe.md(f.text), icon=":material/warning:")
    else:
        st.markdown(f'<div class="ch-fresh">{safe.md(f.text)}</div>', unsafe_allow_html=True)


OnAck = Callable[[str], None]


def ack_help(supervisor: str, mine: bool) -> str:
    """What "I'm on it" does, or why it cannot be pressed."""
    if not supervisor:
        return "Enter your supervisor id in the sidebar (>) first: the board shows who is on each call"
    if mine:
        return "You are on this call: the board shows it"
    return "Acknowledge: the board shows you are on this call"


def show_tile(t: Tile, call_page: str, link_params: Mapping[str, str] | None = None,
              on_ack: OnAck | None = None, supervisor: str = "", compact: bool = False) -> None:  # fmt: skip
    """Draw one tile with an Open link to the call's page (and "I'm on it" on hot calls).

    A link, not a button calling st.switch_page: a switch from inside the
    auto-refreshing fragment races with that fragment's next timed rerun, which
    could leave the call page blank (seen in the browser test at short refreshes).
    """
    with st.container(border=True, key=f"tile-{t.level}-{t.call_id}"):
        st.markdown(compact_tile_html(t) if compact else tile_html(t), unsafe_allow_html=True)
        st.page_link(call_page, label="Open", width="stretch",
                     query_params={**(link_params or {}), "call_id": t.call_id})  # fmt: skip
        if on_ack is not None and (t.level == "hot" or t.over_budget):
            mine = any(name.split(" (")[0] == supervisor for name in t.on_it)
            st.button("I'm on it", key=f"ack-{t.call_id}", on_click=on_ack, args=(t.call_id,),
                      width="stretch", disabled=mine or not supervisor,
                      help=ack_help(supervisor, mine))  # fmt: skip


def show_grid(tiles: Sequence[Tile], per_row: int, call_page: str,
              link_params: Mapping[str, str] | None = None, on_ack: OnAck | None = None,
              supervisor: str = "", compact: bool = False, name: str = "tiles") -> None:  # fmt: skip
    """Tiles ``per_row`` to a line (1 to 8), in one wrapping container named ``name``.

    One container, not a row of ``st.columns`` per line: with 1,000 live calls the
    columns were 1,250 more elements to build, send and draw on every refresh.
    """
    if per_row not in GRID_WIDTHS:
        raise ValueError(f"tiles per row must be in {GRID_WIDTHS.start}..{GRID_WIDTHS.stop - 1}")
    with st.container(horizontal=True, wrap=True, key=f"ch-grid{per_row}-{name}"):
        for t in tiles:
            show_tile(t, call_page, link_params, on_ack, supervisor, compact)


def show_queue_table(rows: Sequence[QueueFigures], caption: str) -> None:
    st.markdown("#### Queues")
    if not rows:
        st.caption("No calls waiting or answered in the last hour.")
        return
    st.markdown(queue_html(rows), unsafe_allow_html=True)
    st.caption(caption)
